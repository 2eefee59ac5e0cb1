// mproc-mpi-worker: a worker rank of an MPI process pool. Started by a pool with
// MPI_Comm_spawn, or as ranks 1 .. N-1 under mpiexec (`mpiexec -n 1 program : -n 3
// mproc-mpi-worker`). Serves the pool with run_remote_worker until it says stop. The
// transport is compiled in (the same sources as libmproc_mpi.so).
#include <cstdio>
#include <string>

#include "mpi_runtime.hpp"
#include "mpi_transport.hpp"
#include "pool/remote_pool.hpp"
#include "pool/remote_transport.h"

extern "C" int mproc_mpi_transport_open(const mproc_remote_options_t *options,
                                        mproc_remote_transport_t **out, char *err, size_t errcap);

int main() {
    std::string why;
    if (!mproc::mpi::started_as_worker(&why)) {
        if (!why.empty()) {
            std::fprintf(stderr, "mproc-mpi-worker: %s\n", why.c_str());
            return 1;
        }
        std::fprintf(stderr,
                     "mproc-mpi-worker: start it through an MPI pool (MPI_Comm_spawn) or as "
                     "ranks 1..N-1 under mpiexec\n");
        return 2;
    }
    mproc_remote_options_t options{};
    options.abi = MPROC_REMOTE_ABI;
    // The pool's heartbeat timeout is not known here (0.5 s at least): beat often enough
    // for any, and give the pool the default timeout.
    options.heartbeat_interval = 0.1;
    options.heartbeat_timeout = mproc::core::pool::kDefaultHeartbeatTimeout;
    mproc_remote_transport_t *transport = nullptr;
    char err[512] = "";
    if (mproc_mpi_transport_open(&options, &transport, err, sizeof err) != 0) {
        std::fprintf(stderr, "mproc-mpi-worker: %s\n", err);
        return 1;
    }
    const int status = mproc::core::pool::run_remote_worker(transport);
    // 1 says the pool was lost; one that closed or abandoned us in order was not (and a
    // non-zero status makes Open MPI abort the rest of the job).
    return status != 0 && mproc::mpi::Runtime::get().worker_released() ? 0 : status;
}
