// mproc-worker: the program the "spawn" start method execs (see spawn_start.hpp), and in
// server mode the "forkserver" start method's server (see forkserver.hpp). It is not meant
// to be run by hand.
#include <cstdio>
#include <cstring>

#include "process/forkserver.hpp"
#include "process/spawn_start.hpp"

int main(int argc, char **argv) {
    if (argc == 2 && std::strcmp(argv[1], "--mproc-worker") == 0) {
        mproc::core::process::run_spawned_worker();
    }
    if (argc == 2 && std::strcmp(argv[1], "--mproc-forkserver") == 0) {
        mproc::core::process::forkserver::run_server();
    }
    std::fprintf(stderr,
                 "mproc-worker: this program runs tasks for mproc's spawn and forkserver start "
                 "methods; it is started by mproc_process_start, not by hand\n");
    return 2;
}
