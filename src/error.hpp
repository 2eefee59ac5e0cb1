// The core's error family: one exception type carrying a status code. The codes have the
// same values as the C ABI's MPROC_E* macros (capi/ checks that with static_asserts), but
// the core does not include the C header: it knows nothing of the ABI.
#pragma once

#include <stdexcept>
#include <string>

namespace mproc::core {

enum Status : int {
    kOk = 0,
    kInvalid = -1,
    kBadHandle = -2,
    kTimedOut = -3,
    kEmpty = -4,
    kFull = -5,
    kClosed = -6,
    kOwnerDead = -7,
    kNotFound = -8,
    kExists = -9,
    kKind = -10,
    kVersion = -11,
    kTooBig = -12,
    kNotOwner = -13,
    kOverflow = -14,
    kBroken = -15,
    kNoMemory = -16,
    kPermission = -17,
    kSystem = -18,
    kEof = -19,
    kPipe = -20,
    kFailed = -21,
    kCancelled = -22,
    kCorrupt = -23,  // shared memory holds values no mproc process writes
};

class Error : public std::runtime_error {
  public:
    Error(Status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    Status status() const noexcept { return status_; }

  private:
    Status status_;
};

// Throws Error with the status that best matches errno value `err`, and a message
// "<what>: <strerror(err)>".
[[noreturn]] void throw_errno(int err, const std::string &what);

// The status for an errno value (ENOENT -> kNotFound, EACCES -> kPermission, ...).
Status status_from_errno(int err) noexcept;

}  // namespace mproc::core
