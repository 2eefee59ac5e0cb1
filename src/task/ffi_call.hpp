// The call of a task reference through libffi: C arguments built from the task's, the
// result read back according to the signature.
#pragma once

#include <string>
#include <vector>

#include "task/argument.hpp"
#include "task/signature.hpp"
#include "task/task.hpp"

namespace mproc::core::task {

// The same layout as mproc.h's mproc_bytes_t (the core does not include mproc.h; capi/
// checks the two agree): what a 'y' or 'Y' function returns by value.
struct Bytes {
    const void *data;
    std::size_t len;
};

// Calls `function` as `signature` says with `args` (complete: one per argument code).
// Errors: kInvalid for a result the signature cannot represent (bytes with NULL data and
// a non-zero length), kSystem if libffi refuses the signature, messages naming `task`.
Result call_through_ffi(void *function, const Signature &signature,
                        const std::vector<Argument> &args, const std::string &task);

}  // namespace mproc::core::task
