// mproc_options_t -> the core's creation options, with the checks the header promises.
#pragma once

#include "mproc/mproc.h"
#include "shm/segment.hpp"

namespace mproc::capi {

// Throws core::Error(kInvalid) for options that were not initialised with
// mproc_options_init, unknown flags, or permissions above 0777. NULL = the defaults.
core::shm::CreateOptions to_create_options(const mproc_options_t *options);

}  // namespace mproc::capi
