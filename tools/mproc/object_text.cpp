#include "object_text.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace mproc::cli {

namespace {

// "held by 123", "held by 123 (dead)", or "free".
std::string holder_text(const mproc_object_info_t &info) {
    if (info.holder_pid == 0) return "free";
    std::string text = "held by " + std::to_string(info.holder_pid);
    if (info.holder_alive == 0) text += " (dead)";
    return text;
}

std::string items_text(unsigned long long count) {
    return std::to_string(count) + (count == 1 ? " item" : " items");
}

// Items, and who holds the lock that guards them when someone does.
std::string container_text(const mproc_object_info_t &info, unsigned long long count) {
    std::string text = items_text(count);
    if (info.holder_pid != 0) text += ", " + holder_text(info);
    return text;
}

}  // namespace

std::string alive_word(int alive) {
    if (alive == 1) return "yes";
    if (alive == 0) return "no";
    return "?";
}

std::string mode_string(unsigned int mode) {
    char text[16];
    std::snprintf(text, sizeof text, "%04o", mode & 07777u);
    return text;
}

std::string status_word(int status) {
    return status == MPROC_OK ? "ok" : mproc_errname(status);
}

std::string object_detail(const mproc_object_info_t &info) {
    if (info.status != MPROC_OK) {
        return std::string("invalid: ") +
               (info.problem[0] != '\0' ? info.problem : mproc_strerror(info.status));
    }
    switch (info.kind) {
        case MPROC_KIND_LOCK:
        case MPROC_KIND_RLOCK:
        case MPROC_KIND_CONDITION:
            return holder_text(info);
        case MPROC_KIND_SEMAPHORE: {
            std::string text = "value " + std::to_string(info.depth);
            if (info.capacity != 0) text += ", bound " + std::to_string(info.capacity);
            return text;
        }
        case MPROC_KIND_EVENT:
            return info.depth != 0 ? "set" : "clear";
        case MPROC_KIND_BARRIER:
            return std::to_string(info.depth) + "/" + std::to_string(info.capacity) + " waiting";
        case MPROC_KIND_QUEUE:
            return std::to_string(info.depth) + "/" + std::to_string(info.capacity);
        case MPROC_KIND_VALUE:
        case MPROC_KIND_ARRAY:
            return container_text(info, info.capacity);
        case MPROC_KIND_DICT:
        case MPROC_KIND_LIST:
            return container_text(info, info.depth);
        default:
            return "";
    }
}

std::string object_lines(const mproc_object_info_t &info) {
    const auto number = [](auto value) { return std::to_string(value); };
    const auto unknown_if = [](bool unknown, std::string text) {
        return unknown ? std::string("?") : std::move(text);
    };
    std::vector<std::pair<const char *, std::string>> fields = {
        // identity
        {"name", info.name},
        {"kind", info.kind_name},
        {"status", status_word(info.status)},
    };
    if (info.status != MPROC_OK) fields.emplace_back("problem", info.problem);
    const std::vector<std::pair<const char *, std::string>> rest = {
        {"layout_version", number(info.layout_version)},
        {"bytes", number(info.bytes)},
        {"mode", mode_string(info.mode)},
        {"uid", number(info.uid)},
        // creator
        {"creator_pid", unknown_if(info.creator_pid == 0, number(info.creator_pid))},
        {"creator_start_time",
         unknown_if(info.creator_start_time == 0, number(info.creator_start_time))},
        {"creator_alive", alive_word(info.creator_alive)},
        // state
        {"users", unknown_if(info.users < 0, number(info.users))},
        {"holder_pid", info.holder_pid == 0 ? std::string("none") : number(info.holder_pid)},
        {"holder_alive", info.holder_pid == 0 ? std::string("-") : alive_word(info.holder_alive)},
        {"depth", number(info.depth)},
        {"capacity", number(info.capacity)},
        {"detail", object_detail(info)},
        // counters
        {"puts", number(info.puts)},
        {"gets", number(info.gets)},
        {"waits", number(info.waits)},
        {"timeouts", number(info.timeouts)},
        {"owner_dead", number(info.owner_dead)},
    };
    fields.insert(fields.end(), rest.begin(), rest.end());

    std::size_t width = 0;
    for (const auto &field : fields)
        width = std::max(width, std::string(field.first).size());
    std::string out;
    for (const auto &field : fields) {
        out += field.first;
        out += ':';
        out.append(width - std::string(field.first).size() + 1, ' ');
        out += field.second;
        out += '\n';
    }
    return out;
}

}  // namespace mproc::cli
