#include "options.hpp"

#include <cstddef>

#include "error.hpp"
#include "status.hpp"

namespace mproc::capi {

core::shm::CreateOptions to_create_options(const mproc_options_t *options) {
    core::shm::CreateOptions result;
    if (options == nullptr) return result;
    // A caller built against an older, shorter struct passes a smaller size; fields past
    // it keep their defaults. A size below the first version's means "not initialised".
    constexpr std::size_t kFirstVersionSize =
        offsetof(mproc_options_t, permissions) + sizeof(options->permissions);
    if (options->size < kFirstVersionSize || options->size > (1u << 16)) {
        throw core::Error(core::kInvalid, "options: size field is " +
                                              std::to_string(options->size) +
                                              "; initialise with mproc_options_init()");
    }
    if ((options->flags & ~MPROC_OPEN_EXISTING) != 0) {
        throw core::Error(core::kInvalid, "options: unknown flags");
    }
    if (options->permissions > 0777) {
        throw core::Error(core::kInvalid, "options: permissions must be at most 0777");
    }
    result.open_existing = (options->flags & MPROC_OPEN_EXISTING) != 0;
    result.permissions = options->permissions;
    return result;
}

}  // namespace mproc::capi

extern "C" int mproc_options_init(mproc_options_t *options) {
    if (options == nullptr)
        return mproc::capi::fail(MPROC_EINVAL, "mproc_options_init: options is NULL");
    options->size = sizeof(mproc_options_t);
    options->flags = 0;
    options->permissions = 0600;
    return MPROC_OK;
}
