// The transport test's worker: spawned by the test (MPI_Comm_spawn through the plugin),
// it echoes every message until told to stop.
#include "transport_check.hpp"

int main() {
    mproc_remote_open_fn open = load_plugin();
    mproc_remote_options_t o = test_options();
    mproc_remote_transport_t *t = nullptr;
    char err[512] = "";
    if (open(&o, &t, err, sizeof err) != 0) {
        std::fprintf(stderr, "echo_worker: open: %s\n", err);
        return 1;
    }
    if (t->role != MPROC_REMOTE_WORKER || t->peers != 1) {
        std::fprintf(stderr, "echo_worker: not a worker (role %d, peers %d)\n", t->role, t->peers);
        t->close(t, 0);
        return 1;
    }
    return echo_loop(t);
}
