#include "error.hpp"

#include <cerrno>
#include <cstring>

namespace mproc::core {

Status status_from_errno(int err) noexcept {
    switch (err) {
        case ENOENT:
            return kNotFound;
        case EEXIST:
            return kExists;
        case EACCES:
        case EPERM:
            return kPermission;
        case ENOMEM:
        case ENOSPC:
            return kNoMemory;
        case EINVAL:
        case ENAMETOOLONG:
            return kInvalid;
        case ETIMEDOUT:
            return kTimedOut;
        case EFBIG:
            return kTooBig;
        default:
            return kSystem;
    }
}

void throw_errno(int err, const std::string &what) {
    std::string message = what + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")";
    throw Error(status_from_errno(err), message);
}

}  // namespace mproc::core
