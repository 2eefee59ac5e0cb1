// Finding and loading the MPI transport plugin (libmproc_mpi.so) and the MPI worker
// program (mproc-mpi-worker). libmproc itself never links MPI.
#pragma once

#include <string>

#include "pool/remote_transport.h"

namespace mproc::core::pool {

// The plugin's open function. Looks at $MPROC_MPI_PLUGIN, then next to libmproc (the
// directory of the loaded library), then the build tree. Loaded once (RTLD_NODELETE),
// never unloaded. Throws Error(kNotFound) naming the places looked at ("mproc was built
// without MPI: configure with -DMPROC_WITH_MPI=ON") or Error(kVersion) for a plugin of
// another MPROC_REMOTE_ABI.
mproc_remote_open_fn mpi_plugin_open();

// True when mpi_plugin_open() would succeed (for mproc_pool_backend_available).
bool mpi_plugin_available() noexcept;

// The path of mproc-mpi-worker: $MPROC_MPI_WORKER, next to the library, in
// ../libexec/mproc, then the build tree. Throws Error(kNotFound).
std::string mpi_worker_path();

}  // namespace mproc::core::pool
