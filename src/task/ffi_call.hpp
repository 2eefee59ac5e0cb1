// The call of a task reference through libffi: C arguments built from the task's, the
// result read back according to the signature. The part that depends only on the function
// and the signature (the address, libffi's call interface and its type arrays) is prepared
// once per task and reused, so a repeated call costs the argument marshalling and
// ffi_call only.
#pragma once

#include <ffi.h>

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

// `function` called as `signature` says, prepared for libffi. Immutable once built, so any
// number of threads may call() it at once. Not copyable: the cif points into the object.
class PreparedCall {
  public:
    // Throws Error(kSystem) if libffi refuses the signature; messages name `task`.
    PreparedCall(void *function, const Signature &signature, const std::string &task);
    PreparedCall(const PreparedCall &) = delete;
    PreparedCall &operator=(const PreparedCall &) = delete;

    // Calls it with `args` (complete: one per argument code of the signature). Errors:
    // kInvalid for a result the signature cannot represent (bytes with NULL data and a
    // non-zero length) or an argument count that does not match. Messages do not name the
    // task (the hot path builds no label): the caller prefixes it.
    Result call(const std::vector<Argument> &args) const;

  private:
    // A 'y' argument is two C parameters, so at most twice kMaxArgs.
    static constexpr std::size_t kMaxParams = 2 * kMaxArgs;

    void (*entry_)();
    char result_code_;
    std::size_t arg_count_;  // the signature's arguments (a 'y' counts once)
    unsigned params_;        // C parameters
    ffi_type *types_[kMaxParams];
    // mproc_bytes_t, for a 'y' / 'Y' result: per call interface rather than shared,
    // because ffi_prep_cif writes the size and alignment into it.
    ffi_type *bytes_elements_[3];
    ffi_type bytes_type_;
    ffi_cif cif_;
};

}  // namespace mproc::core::task
