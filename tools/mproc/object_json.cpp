#include "object_json.hpp"

#include <cstdint>

namespace mproc::cli {

namespace {

void alive_field(JsonWriter &json, const char *key, int alive) {
    json.key(key);
    if (alive == 1 || alive == 0) {
        json.boolean(alive == 1);
    } else {
        json.null();
    }
}

void signed_field(JsonWriter &json, const char *key, long long value) {
    json.key(key);
    json.number(static_cast<std::int64_t>(value));
}

void unsigned_field(JsonWriter &json, const char *key, unsigned long long value) {
    json.key(key);
    json.number(static_cast<std::uint64_t>(value));
}

}  // namespace

void write_object_json(JsonWriter &json, const mproc_object_info_t &info) {
    json.begin_object();
    json.key("name");
    json.string(info.name);
    signed_field(json, "kind", info.kind);
    json.key("kind_name");
    json.string(info.kind_name);
    signed_field(json, "status", info.status);
    json.key("status_name");
    json.string(mproc_errname(info.status));
    json.key("problem");
    json.string(info.problem);
    unsigned_field(json, "layout_version", info.layout_version);
    unsigned_field(json, "bytes", info.bytes);
    unsigned_field(json, "mode", info.mode);
    unsigned_field(json, "uid", info.uid);
    signed_field(json, "creator_pid", info.creator_pid);
    unsigned_field(json, "creator_start_time", info.creator_start_time);
    alive_field(json, "creator_alive", info.creator_alive);
    json.key("users");
    if (info.users < 0) {
        json.null();
    } else {
        json.number(static_cast<std::int64_t>(info.users));
    }
    signed_field(json, "holder_pid", info.holder_pid);
    alive_field(json, "holder_alive", info.holder_pid == 0 ? -1 : info.holder_alive);
    unsigned_field(json, "depth", info.depth);
    unsigned_field(json, "capacity", info.capacity);
    unsigned_field(json, "puts", info.puts);
    unsigned_field(json, "gets", info.gets);
    unsigned_field(json, "waits", info.waits);
    unsigned_field(json, "timeouts", info.timeouts);
    unsigned_field(json, "owner_dead", info.owner_dead);
    json.end_object();
}

std::string objects_json(const std::vector<mproc_object_info_t> &objects) {
    JsonWriter writer;
    writer.begin_array();
    for (const mproc_object_info_t &info : objects)
        write_object_json(writer, info);
    writer.end_array();
    return writer.text();
}

}  // namespace mproc::cli
