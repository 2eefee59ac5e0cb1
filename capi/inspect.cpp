// mproc_object_*: the C face of core::inspect (listing, inspecting and removing objects
// of any kind by name).
#include <cstring>
#include <string>
#include <vector>

#include "handle.hpp"
#include "inspect/object_info.hpp"
#include "status.hpp"

namespace capi = mproc::capi;
namespace inspect = mproc::core::inspect;

namespace {

// Copies `text` into the char array `out`, cut to fit and always NUL-terminated.
template <std::size_t N>
void copy_text(char (&out)[N], const std::string &text) noexcept {
    const std::size_t n = text.size() < N - 1 ? text.size() : N - 1;
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
}

void fill(const inspect::ObjectInfo &in, mproc_object_info_t *out) noexcept {
    // Only the fields this library knows: a caller built against a newer, longer struct
    // keeps the zeroes mproc_object_info_init gave the rest.
    const std::size_t size = out->size;
    std::memset(out, 0, sizeof(mproc_object_info_t));
    out->size = size;
    copy_text(out->name, in.name);
    out->kind = static_cast<int>(in.kind);
    copy_text(out->kind_name, in.kind_name);
    out->status = in.status;
    copy_text(out->problem, in.problem);
    out->layout_version = in.layout_version;
    out->bytes = in.bytes;
    out->mode = in.mode;
    out->uid = in.uid;
    out->creator_pid = in.creator_pid;
    out->creator_start_time = in.creator_start_time;
    out->creator_alive = in.creator_alive;
    out->users = in.users;
    out->holder_pid = in.holder_pid;
    out->holder_alive = in.holder_alive;
    out->depth = in.depth;
    out->capacity = in.capacity;
    out->puts = in.puts;
    out->gets = in.gets;
    out->waits = in.waits;
    out->timeouts = in.timeouts;
    out->owner_dead = in.owner_dead;
}

}  // namespace

extern "C" {

int mproc_object_info_init(mproc_object_info_t *info) {
    if (info == nullptr) return capi::null_argument("mproc_object_info_init", "info");
    std::memset(info, 0, sizeof *info);
    info->size = sizeof *info;
    return MPROC_OK;
}

int mproc_object_inspect(const char *name, mproc_object_info_t *info) {
    constexpr const char *kFunction = "mproc_object_inspect";
    if (name == nullptr) return capi::null_argument(kFunction, "name");
    if (info == nullptr) return capi::null_argument(kFunction, "info");
    // Every field so far is in the first version of the struct, so anything shorter was
    // not set by mproc_object_info_init; the upper bound catches an uninitialised size.
    if (info->size < sizeof(mproc_object_info_t) || info->size > (1u << 16)) {
        return capi::fail(MPROC_EINVAL, std::string(kFunction) + ": info->size is " +
                                            std::to_string(info->size) +
                                            "; initialise with mproc_object_info_init()");
    }
    return capi::guarded([&] {
        fill(inspect::inspect(name), info);
        return MPROC_OK;
    });
}

int mproc_object_names(char *buf, size_t cap, size_t *len) {
    constexpr const char *kFunction = "mproc_object_names";
    if (len == nullptr) return capi::null_argument(kFunction, "len");
    if (buf == nullptr && cap > 0) return capi::null_argument(kFunction, "buf");
    return capi::guarded([&] {
        const std::vector<std::string> names = inspect::list_names();
        std::size_t needed = 0;
        for (const std::string &name : names)
            needed += name.size() + 1;
        *len = needed;
        if (cap < needed) {
            return capi::fail(MPROC_ETOOBIG, std::string(kFunction) + ": buffer of " +
                                                 std::to_string(cap) + " bytes, the names need " +
                                                 std::to_string(needed));
        }
        for (const std::string &name : names) {
            std::memcpy(buf, name.c_str(), name.size() + 1);
            buf += name.size() + 1;
        }
        return MPROC_OK;
    });
}

int mproc_object_remove(const char *name) {
    if (name == nullptr) return capi::null_argument("mproc_object_remove", "name");
    return capi::guarded([&] {
        inspect::remove(name);
        return MPROC_OK;
    });
}

}  // extern "C"
