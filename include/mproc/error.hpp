// mproc/error.hpp -- the exceptions of the C++ API.
//
// Every failing C call becomes an mproc::error (a std::runtime_error) that carries the
// MPROC_E* code and the calling thread's mproc_last_error() message. Each code that users
// catch has its own subclass, so `catch (const mproc::timeout_error &)` reads like Python's
// `except TimeoutError`, and `catch (const mproc::error &e)` with `e.code()` catches all.
#pragma once

#include <stdexcept>
#include <string>

#include "mproc/mproc.h"

namespace mproc {

// The base of every exception the C++ API throws. code() is the negative MPROC_E* value;
// what() is the library's message for the failure ("lock 'jobs': open: no object of that
// name"), or mproc_strerror(code) when the library gave none.
class error : public std::runtime_error {
  public:
    error(int code, const std::string &message) : std::runtime_error(message), code_(code) {}

    // The MPROC_E* code, always negative.
    int code() const noexcept { return code_; }

    // The code's macro name, "MPROC_ETIMEDOUT".
    const char *name() const noexcept { return mproc_errname(code_); }

  private:
    int code_;
};

// One class per MPROC_E* code. Constructed by detail::throw_error; users only catch them.
#define MPROC_DEFINE_ERROR_(cls) \
    class cls : public error {   \
      public:                    \
        using error::error;      \
    }

MPROC_DEFINE_ERROR_(invalid_argument_error);  // MPROC_EINVAL
MPROC_DEFINE_ERROR_(bad_handle_error);        // MPROC_EBADHANDLE: moved-from or closed object
MPROC_DEFINE_ERROR_(timeout_error);           // MPROC_ETIMEDOUT
MPROC_DEFINE_ERROR_(empty_error);             // MPROC_EEMPTY
MPROC_DEFINE_ERROR_(full_error);              // MPROC_EFULL
MPROC_DEFINE_ERROR_(closed_error);            // MPROC_ECLOSED: the handle was closed under a call
MPROC_DEFINE_ERROR_(owner_dead_error);        // MPROC_EOWNERDEAD
MPROC_DEFINE_ERROR_(not_found_error);         // MPROC_ENOTFOUND
MPROC_DEFINE_ERROR_(exists_error);            // MPROC_EEXIST
MPROC_DEFINE_ERROR_(kind_error);              // MPROC_EKIND: the name holds another kind
MPROC_DEFINE_ERROR_(version_error);           // MPROC_EVERSION
MPROC_DEFINE_ERROR_(too_big_error);           // MPROC_ETOOBIG
MPROC_DEFINE_ERROR_(not_owner_error);         // MPROC_ENOTOWNER
MPROC_DEFINE_ERROR_(overflow_error);          // MPROC_EOVERFLOW
MPROC_DEFINE_ERROR_(broken_barrier_error);    // MPROC_EBROKEN
MPROC_DEFINE_ERROR_(out_of_memory_error);     // MPROC_ENOMEM
MPROC_DEFINE_ERROR_(permission_error);        // MPROC_EPERM
MPROC_DEFINE_ERROR_(system_error);            // MPROC_ESYSTEM: errno is in what()
MPROC_DEFINE_ERROR_(eof_error);               // MPROC_EEOF: the other end of a connection closed
MPROC_DEFINE_ERROR_(broken_pipe_error);       // MPROC_EPIPE: cannot send, the other end closed
MPROC_DEFINE_ERROR_(failed_error);            // MPROC_EFAILED: a child process or task failed
MPROC_DEFINE_ERROR_(cancelled_error);         // MPROC_ECANCELLED: the future was cancelled
MPROC_DEFINE_ERROR_(corrupt_error);           // MPROC_ECORRUPT: the shared memory is damaged

#undef MPROC_DEFINE_ERROR_

namespace detail {

// Throws the mproc::error subclass for `code` with `message`.
[[noreturn]] inline void throw_error(int code, const std::string &message) {
    switch (code) {
        case MPROC_EINVAL:
            throw invalid_argument_error(code, message);
        case MPROC_EBADHANDLE:
            throw bad_handle_error(code, message);
        case MPROC_ETIMEDOUT:
            throw timeout_error(code, message);
        case MPROC_EEMPTY:
            throw empty_error(code, message);
        case MPROC_EFULL:
            throw full_error(code, message);
        case MPROC_ECLOSED:
            throw closed_error(code, message);
        case MPROC_EOWNERDEAD:
            throw owner_dead_error(code, message);
        case MPROC_ENOTFOUND:
            throw not_found_error(code, message);
        case MPROC_EEXIST:
            throw exists_error(code, message);
        case MPROC_EKIND:
            throw kind_error(code, message);
        case MPROC_EVERSION:
            throw version_error(code, message);
        case MPROC_ETOOBIG:
            throw too_big_error(code, message);
        case MPROC_ENOTOWNER:
            throw not_owner_error(code, message);
        case MPROC_EOVERFLOW:
            throw overflow_error(code, message);
        case MPROC_EBROKEN:
            throw broken_barrier_error(code, message);
        case MPROC_ENOMEM:
            throw out_of_memory_error(code, message);
        case MPROC_EPERM:
            throw permission_error(code, message);
        case MPROC_ESYSTEM:
            throw system_error(code, message);
        case MPROC_EEOF:
            throw eof_error(code, message);
        case MPROC_EPIPE:
            throw broken_pipe_error(code, message);
        case MPROC_EFAILED:
            throw failed_error(code, message);
        case MPROC_ECANCELLED:
            throw cancelled_error(code, message);
        case MPROC_ECORRUPT:
            throw corrupt_error(code, message);
        default:
            throw error(code, message);
    }
}

// Throws for a code that a C call just returned. The message is read at once because
// mproc_last_error() is only valid until the thread's next mproc call.
[[noreturn]] inline void throw_error(int code) {
    const char *message = mproc_last_error();
    throw_error(code, *message != '\0' ? message : mproc_strerror(code));
}

// Returns rc if the C call succeeded (rc >= 0), else throws the matching exception.
inline int check(int rc) {
    if (rc < 0) throw_error(rc);
    return rc;
}

}  // namespace detail
}  // namespace mproc
