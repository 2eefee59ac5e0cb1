// Running CPython as a peer. Each measurement is a small script run with `python3 -c`; the
// timing loop runs inside Python (time.perf_counter_ns) so that the interpreter's start-up is
// not counted, and the script prints one line "RESULT <value per repetition>...". Python's own
// loop overhead is counted: it is part of what a Python user pays for each call.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "bench_clock.hpp"
#include "bench_process.hpp"

namespace mproc_bench {

// The outcome of one Python measurement.
struct PythonResult {
    enum class Status { ok, missing, failed } status = Status::failed;
    Samples samples;
    std::string why;
};

inline PythonResult run_python(const char *script, const std::vector<long> &args,
                               double deadline_s) {
    PythonResult r;
    const std::string python = find_in_path("python3");
    if (python.empty()) {
        r.status = PythonResult::Status::missing;
        r.why = "python3 not found in PATH";
        return r;
    }
    std::vector<std::string> argv{python, "-c", script};
    for (long a : args)
        argv.push_back(std::to_string(a));
    const Captured c = run_capture(argv, deadline_s);
    if (!c.started) {
        r.why = "could not start python3";
        return r;
    }
    if (c.timed_out) {
        r.why = "python3 timed out and was killed";
        return r;
    }
    if (WIFEXITED(c.status) && WEXITSTATUS(c.status) == 127) {
        r.status = PythonResult::Status::missing;
        r.why = "python3 could not be executed";
        return r;
    }
    if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
        r.why = "python3 failed";
        return r;
    }
    std::istringstream lines(c.out);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("RESULT ", 0) != 0) continue;
        std::istringstream values(line.substr(7));
        double v = 0;
        while (values >> v)
            r.samples.add(v);
    }
    if (r.samples.empty()) {
        r.why = "no RESULT line in python3's output";
        return r;
    }
    r.status = PythonResult::Status::ok;
    return r;
}

}  // namespace mproc_bench
