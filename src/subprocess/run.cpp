#include "subprocess/run.hpp"

#include <string>
#include <utility>

#include "subprocess/popen.hpp"

namespace mproc::core::subprocess {

using sync::Deadline;

namespace {

// After the child was killed: the output it wrote before is still in the pipes. Take what
// is there now, without waiting; a grandchild that kept the pipes open and goes on writing
// must not keep us here, hence the bound (a default pipe holds 64 KiB).
void collect_leftovers(Popen &popen) {
    Communicated ignored;
    for (int round = 0; round < 64; ++round) {
        if (popen.communicate(nullptr, 0, Deadline::after(0), &ignored) != kTimedOut) return;
    }
}

}  // namespace

RunResult run(const std::vector<std::string> &argv, const SpawnOptions &options,
              const RunOptions &run_options, const Deadline &deadline) {
    if (run_options.input == nullptr && run_options.length > 0) {
        throw Error(kInvalid, "subprocess: run: input is NULL with a length");
    }
    SpawnOptions spawn_options = options;
    if (run_options.capture) {
        spawn_options.out = StdioSpec{Stdio::kPipe, -1};
        spawn_options.err = StdioSpec{Stdio::kPipe, -1};
    }
    if (run_options.has_input) spawn_options.in = StdioSpec{Stdio::kPipe, -1};

    Popen popen = Popen::start(argv, spawn_options);
    RunResult result;
    result.pid = popen.pid();
    try {
        Communicated done;
        const void *input = run_options.has_input ? run_options.input : nullptr;
        const std::size_t length = run_options.has_input ? run_options.length : 0;
        Status status = popen.communicate(input, length, deadline, &done);
        if (status == kOk) {
            result.returncode = done.returncode;
            result.status = run_options.check && done.returncode != 0 ? kFailed : kOk;
        } else {  // kTimedOut (nobody else can close this Popen)
            popen.kill();
            popen.wait(Deadline::forever(), &result.returncode);
            collect_leftovers(popen);
            result.status = kTimedOut;
        }
    } catch (...) {
        try {
            popen.kill();
            int ignored = 0;
            popen.wait(Deadline::forever(), &ignored);
        } catch (...) {
            // Popen's close hands it to the reap-later list.
        }
        throw;
    }
    result.out_captured = spawn_options.out.mode == Stdio::kPipe;
    result.err_captured = spawn_options.err.mode == Stdio::kPipe;
    popen.take_output(&result.out, &result.err);
    return result;
}

}  // namespace mproc::core::subprocess
