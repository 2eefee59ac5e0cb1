// run(): start a program, feed it, collect its output and wait for it, like Python's
// subprocess.run.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "error.hpp"
#include "subprocess/spawn.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::subprocess {

struct RunOptions {
    bool capture = false;  // stdout and stderr to pipes, whatever SpawnOptions says
    bool check = false;    // a non-zero returncode is kFailed
    // The input for stdin. has_input: stdin is a pipe fed with it (possibly empty), and
    // closed at its end, whatever SpawnOptions says.
    bool has_input = false;
    const void *input = nullptr;
    std::size_t length = 0;
};

struct RunResult {
    // kOk; kTimedOut (the child was killed with SIGKILL at the deadline and reaped);
    // kFailed (check, and the returncode is not 0).
    Status status = kOk;
    pid_t pid = -1;
    int returncode = 0;
    // What the child wrote to stdout / stderr where they were pipes (out_captured,
    // err_captured); at a timeout, what it wrote before it was killed.
    bool out_captured = false;
    bool err_captured = false;
    std::string out, err;
};

// Runs argv to its end, or until the deadline. Throws as Popen::start (nothing ran then)
// and Error(kInvalid) for input NULL with a length; any exception after the start kills
// and reaps the child first.
RunResult run(const std::vector<std::string> &argv, const SpawnOptions &options,
              const RunOptions &run_options, const sync::Deadline &deadline);

}  // namespace mproc::core::subprocess
