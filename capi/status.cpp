#include "status.hpp"

#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

namespace mproc::capi {

// The codes of the core and of the ABI are one list.
static_assert(MPROC_OK == core::kOk && MPROC_EINVAL == core::kInvalid &&
              MPROC_EBADHANDLE == core::kBadHandle && MPROC_ETIMEDOUT == core::kTimedOut &&
              MPROC_EEMPTY == core::kEmpty && MPROC_EFULL == core::kFull &&
              MPROC_ECLOSED == core::kClosed && MPROC_EOWNERDEAD == core::kOwnerDead &&
              MPROC_ENOTFOUND == core::kNotFound && MPROC_EEXIST == core::kExists &&
              MPROC_EKIND == core::kKind && MPROC_EVERSION == core::kVersion &&
              MPROC_ETOOBIG == core::kTooBig && MPROC_ENOTOWNER == core::kNotOwner &&
              MPROC_EOVERFLOW == core::kOverflow && MPROC_EBROKEN == core::kBroken &&
              MPROC_ENOMEM == core::kNoMemory && MPROC_EPERM == core::kPermission &&
              MPROC_ESYSTEM == core::kSystem && MPROC_EEOF == core::kEof &&
              MPROC_EPIPE == core::kPipe && MPROC_EFAILED == core::kFailed &&
              MPROC_ECANCELLED == core::kCancelled && MPROC_ECORRUPT == core::kCorrupt);

namespace {

constexpr std::size_t kLastErrorSize = 1024;

// On the heap, per thread: every thread_local of this library lives in static TLS (see
// src/sync/process_identity.hpp), and that block must stay small for a dlopen() -- ctypes,
// any FFI -- to find room for it. tests/abi checks its size.
thread_local std::unique_ptr<char[]> last_error;

char *last_error_buffer() noexcept {
    if (!last_error) last_error.reset(new (std::nothrow) char[kLastErrorSize]());
    return last_error.get();
}

struct CodeInfo {
    int code;
    const char *name;
    const char *sentence;
};

constexpr CodeInfo kCodes[] = {
    {MPROC_OK, "MPROC_OK", "success"},
    {MPROC_EINVAL, "MPROC_EINVAL", "invalid argument"},
    {MPROC_EBADHANDLE, "MPROC_EBADHANDLE", "NULL, closed or wrong-kind handle"},
    {MPROC_ETIMEDOUT, "MPROC_ETIMEDOUT", "timed out"},
    {MPROC_EEMPTY, "MPROC_EEMPTY", "empty"},
    {MPROC_EFULL, "MPROC_EFULL", "full"},
    {MPROC_ECLOSED, "MPROC_ECLOSED", "closed"},
    {MPROC_EOWNERDEAD, "MPROC_EOWNERDEAD", "acquired; the previous owner died holding it"},
    {MPROC_ENOTFOUND, "MPROC_ENOTFOUND", "no object of that name"},
    {MPROC_EEXIST, "MPROC_EEXIST", "an object of that name exists already"},
    {MPROC_EKIND, "MPROC_EKIND", "the name holds another kind of object"},
    {MPROC_EVERSION, "MPROC_EVERSION", "the object has another layout version"},
    {MPROC_ETOOBIG, "MPROC_ETOOBIG", "too big"},
    {MPROC_ENOTOWNER, "MPROC_ENOTOWNER", "the caller does not hold the lock"},
    {MPROC_EOVERFLOW, "MPROC_EOVERFLOW", "released too many times, or value out of range"},
    {MPROC_EBROKEN, "MPROC_EBROKEN", "the barrier is broken"},
    {MPROC_ENOMEM, "MPROC_ENOMEM", "out of memory"},
    {MPROC_EPERM, "MPROC_EPERM", "permission denied"},
    {MPROC_ESYSTEM, "MPROC_ESYSTEM", "system error"},
    {MPROC_EEOF, "MPROC_EEOF", "end of stream: the other end is closed"},
    {MPROC_EPIPE, "MPROC_EPIPE", "the other end is closed: cannot send"},
    {MPROC_EFAILED, "MPROC_EFAILED", "a child process or task failed"},
    {MPROC_ECANCELLED, "MPROC_ECANCELLED", "the future was cancelled"},
    {MPROC_ECORRUPT, "MPROC_ECORRUPT", "the object's shared memory is damaged"},
};

const CodeInfo *find(int code) noexcept {
    for (const CodeInfo &info : kCodes) {
        if (info.code == code) return &info;
    }
    return nullptr;
}

}  // namespace

int fail(int code, const char *message) noexcept {
    if (char *buf = last_error_buffer()) std::snprintf(buf, kLastErrorSize, "%s", message);
    return code;
}

int fail(int code, const std::string &message) noexcept {
    return fail(code, message.c_str());
}

int report_failure(int code, const char *label, const std::string &name,
                   const char *verb) noexcept {
    if (char *buf = last_error_buffer()) {
        std::snprintf(buf, kLastErrorSize, "%s '%s': %s: %s", label, name.c_str(), verb,
                      mproc_strerror(code));
    }
    return code;
}

}  // namespace mproc::capi

extern "C" {

const char *mproc_strerror(int code) {
    const mproc::capi::CodeInfo *info = mproc::capi::find(code);
    return info != nullptr ? info->sentence : "unknown error";
}

const char *mproc_errname(int code) {
    const mproc::capi::CodeInfo *info = mproc::capi::find(code);
    return info != nullptr ? info->name : "MPROC_UNKNOWN";
}

const char *mproc_last_error(void) {
    return mproc::capi::last_error ? mproc::capi::last_error.get() : "";
}

}  // extern "C"
