// The shim's error plumbing: the thread's last-error message, and the one place where
// core exceptions become status codes. No exception leaves a C function.
#pragma once

#include <cmath>
#include <new>
#include <string>

#include "error.hpp"
#include "mproc/mproc.h"

namespace mproc::capi {

// Records `message` as the calling thread's last error and returns `code`.
int fail(int code, const std::string &message) noexcept;
int fail(int code, const char *message) noexcept;

// Records "<label> '<name>': <verb>: <strerror>" and returns `code`.
int report_failure(int code, const char *label, const std::string &name, const char *verb) noexcept;

// For hot paths that report a status without an exception: MPROC_OK passes straight
// through (inline, no call), anything else is recorded by report_failure.
inline int report(int code, const char *label, const std::string &name, const char *verb) noexcept {
    return code == MPROC_OK ? code : report_failure(code, label, name, verb);
}

// Runs `body` (which returns a status code); any exception becomes its code and message.
template <typename Body>
int guarded(Body &&body) noexcept {
    try {
        return body();
    } catch (const core::Error &e) {
        return fail(e.status(), e.what());
    } catch (const std::bad_alloc &) {
        return fail(MPROC_ENOMEM, "out of memory");
    } catch (const std::exception &e) {
        return fail(MPROC_ESYSTEM, e.what());
    } catch (...) {
        return fail(MPROC_ESYSTEM, "unknown internal error");
    }
}

// NaN is the only invalid timeout: negative means forever, 0 try once.
inline bool valid_timeout(double timeout) noexcept {
    return !std::isnan(timeout);
}

}  // namespace mproc::capi
