#include "status.hpp"

#include <cstdio>
#include <cstring>

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
              MPROC_ECANCELLED == core::kCancelled);

namespace {

thread_local char last_error[1024] = "";

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
};

const CodeInfo *find(int code) noexcept {
    for (const CodeInfo &info : kCodes) {
        if (info.code == code) return &info;
    }
    return nullptr;
}

}  // namespace

int fail(int code, const char *message) noexcept {
    std::snprintf(last_error, sizeof last_error, "%s", message);
    return code;
}

int fail(int code, const std::string &message) noexcept {
    return fail(code, message.c_str());
}

int report_failure(int code, const char *label, const std::string &name,
                   const char *verb) noexcept {
    std::snprintf(last_error, sizeof last_error, "%s '%s': %s: %s", label, name.c_str(), verb,
                  mproc_strerror(code));
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
    return mproc::capi::last_error;
}

}  // extern "C"
