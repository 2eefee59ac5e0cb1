// mproc-worker: the program the "spawn" start method execs (see spawn_start.hpp). It is
// not meant to be run by hand.
#include <cstdio>
#include <cstring>

#include "process/spawn_start.hpp"

int main(int argc, char **argv) {
    if (argc != 2 || std::strcmp(argv[1], "--mproc-worker") != 0) {
        std::fprintf(stderr,
                     "mproc-worker: this program runs tasks for mproc's spawn start method; "
                     "it is started by mproc_process_start, not by hand\n");
        return 2;
    }
    mproc::core::process::run_spawned_worker();
}
