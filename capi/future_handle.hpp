// The C handle of a future, shared by capi/future.cpp (the mproc_future_* calls) and the
// pools that hand futures out (capi/thread_pool.cpp, capi/pool.cpp):
//
//     *out = new mproc_future(mproc::capi::FutureRef{future, "task 'libm.so.6:cos'"});
//
// (inside capi::guarded or capi::new_handle, which turn std::bad_alloc into MPROC_ENOMEM).
// A handle holds one reference to the shared core::pool::Future; closing the handle drops
// that reference only, the pool keeps its own until the task is done.
#pragma once

#include <string>
#include <utility>

#include "handle.hpp"
#include "pool/future.hpp"

namespace mproc::capi {

// What a future handle holds. `label` names the task in messages ("task 'libm:cos'").
struct FutureRef {
    core::pool::FuturePtr future;
    std::string label;

    const std::string &name() const noexcept { return label; }
    void close() noexcept {}
};

}  // namespace mproc::capi

struct mproc_future : mproc::capi::Handle<mproc::capi::FutureRef, 0x46555452u /* FUTR */> {
    using Handle::Handle;
};
