// Lets condition.cpp reach the core Lock / RLock behind a C handle without knowing the
// handle structs of lock.cpp and rlock.cpp.
#pragma once

#include "mproc/mproc.h"
#include "sync/lock.hpp"
#include "sync/rlock.hpp"

namespace mproc::capi {

// The object behind a live handle, or nullptr for a NULL / closed / foreign one.
const core::sync::Lock *lock_object(const mproc_lock_t *lock);
const core::sync::RLock *rlock_object(const mproc_rlock_t *rlock);

}  // namespace mproc::capi
