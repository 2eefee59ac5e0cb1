// mproc_process_bench: starting processes with mproc against doing it by hand and against
// Python, measured side by side in one run, through the public C API only.
//
//   A. Process start + join, fork start method, us per process: mproc_process_create / start
//      / join / close of a function task that returns 0, raw fork() + _exit(0) + waitpid(),
//      and Python's multiprocessing "fork" Process start + join. Target: mproc within 1.5x
//      of raw fork + waitpid.
//   B. Process start + join, spawn start method, ms per process: a task reference to libc's
//      abs(0) ("i(i)") run by mproc-worker, and Python's multiprocessing "spawn" Process
//      start + join of abs(0). Target: mproc under 5 ms.
//   C. Running `true` to completion, us per run: mproc_run + mproc_run_result_free, raw
//      posix_spawnp() + waitpid(), and Python's subprocess.run(['true']). No target.
//   D. Process start + join, forkserver start method, us per process: the same abs(0) task
//      reference run by a fork of the forkserver, and Python's multiprocessing "forkserver"
//      Process start + join of abs(0); both servers are started by an untimed first
//      repetition. No target (the point: well under spawn's cost).
//
// Every repetition is one process started and reaped, and is one sample: the best sample is
// what the ratios use, the median shows the noise. Repetitions of the C++ peers of a section
// are interleaved, after a few untimed warm-ups. This is a measurement, not a test: it exits
// 0 whether or not a target is met, 1 if a measurement failed, 2 for a bad command line.
// `--quick` does about 1/10 of the work (a CI smoke run).
#include <errno.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench_clock.hpp"
#include "bench_main.hpp"
#include "bench_python.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"

extern char **environ;

namespace mproc_bench {
namespace {

constexpr double kForkVsRaw = 1.5;    // mproc fork start+join / raw fork+waitpid, at most
constexpr double kSpawnMaxMs = 5.0;   // mproc spawn start+join, ms, under
constexpr double kJoinTimeoutS = 10;  // a child that takes longer is a failed measurement

struct Config {
    // Each repetition is one process; a noisy 2-CPU machine needs a few hundred of the
    // cheap ones for a stable best and median.
    int fork_reps = 200;
    int fork_warm = 10;
    int spawn_reps = 50;  // an exec of mproc-worker and a dlopen: ~1-2 ms each
    int spawn_warm = 3;
    int forkserver_reps = 100;  // a fork of a small server, no exec: ~0.3-1 ms each
    int forkserver_warm = 5;    // the first also starts the server
    int run_reps = 100;
    int run_warm = 5;
    // Python is slower per process (a spawn is a fresh interpreter, ~50-100 ms).
    int py_fork_reps = 50;
    int py_fork_warm = 5;
    int py_spawn_reps = 10;
    int py_spawn_warm = 1;  // also starts multiprocessing's resource tracker, untimed
    int py_forkserver_reps = 20;
    int py_forkserver_warm = 2;  // also starts Python's forkserver, untimed
    int py_run_reps = 50;
    int py_run_warm = 5;
    // The longest one python3 run may take; only a hang gets near it.
    double python_deadline_s = 120.0;

    void make_quick() {
        for (int *reps :
             {&fork_reps, &spawn_reps, &run_reps, &py_fork_reps, &py_spawn_reps, &py_run_reps,
              &fork_warm, &spawn_warm, &run_warm, &py_fork_warm, &py_spawn_warm, &py_run_warm,
              &forkserver_reps, &forkserver_warm, &py_forkserver_reps, &py_forkserver_warm})
            *reps = std::max(1, *reps / 10);
        python_deadline_s = 60.0;
    }
};

void note_failure(const Row &r) {
    if (!r.missing.empty() && r.missing.rfind("skipped", 0) != 0)
        g_failures.push_back(r.key + " in \"" + r.label + "\": " + r.missing);
}

std::string status_text(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "ended with wait status " + std::to_string(status);
}

bool wait_for(pid_t pid, int &status) {
    for (;;) {
        if (waitpid(pid, &status, 0) == pid) return true;
        if (errno != EINTR) return false;
    }
}

// One peer of a section: `once` starts and reaps one process, and returns its time in the
// row's unit, or a negative value with `why` set.
struct Peer {
    Row row;
    std::function<double(std::string &why)> once;
};

// Warm-ups, then `reps` rounds over the peers, one repetition of each per round. A peer that
// fails once is not run again.
void measure(std::vector<Peer> &peers, int warm, int reps) {
    for (int rep = -warm; rep < reps; ++rep) {
        for (Peer &p : peers) {
            if (!p.row.missing.empty()) continue;
            std::string why;
            const double v = p.once(why);
            if (v < 0)
                p.row.missing = "failed (" + why + ")";
            else if (rep >= 0)
                p.row.samples.add(v);
        }
    }
}

// Ratios: "mproc/fork+waitpid = 1.12x"; three decimals below 0.1 so that "much faster"
// keeps its digits.
std::string ratio_text(const Row &num, const Row &den) {
    const std::string head = num.key + "/" + den.key + " = ";
    if (!num.has_value() || !den.has_value()) return head + "n/a";
    const double r = num.best() / den.best();
    if (r >= 0.1) return head + fmt(r) + "x";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3fx", r);
    return head + buf;
}

// ---- A. Process start + join, fork --------------------------------------------------------

int return_zero(void *) {
    return 0;
}

// One mproc Process of `task` with `method`, created, started, joined and closed: its time
// in us, or -1.
double mproc_process_once(const mproc_task_t *task, int method, std::string &why) {
    mproc_process_options_t opts;
    mproc_process_options_init(&opts);
    opts.start_method = method;
    const int64_t t0 = now_ns();
    mproc_process_t *p = nullptr;
    int rc = mproc_process_create(task, &opts, &p);
    if (rc != MPROC_OK) {
        why = api_error("mproc_process_create", rc);
        return -1;
    }
    rc = mproc_process_start(p);
    if (rc != MPROC_OK) {
        why = api_error("mproc_process_start", rc);
        mproc_process_close(p);
        return -1;
    }
    rc = mproc_process_join(p, kJoinTimeoutS);
    if (rc != MPROC_OK) {
        why = api_error("mproc_process_join", rc);
        mproc_process_kill(p);
        mproc_process_join(p, -1);
        mproc_process_close(p);
        return -1;
    }
    int exitcode = -1;
    const int exit_rc = mproc_process_exitcode(p, &exitcode);
    const int close_rc = mproc_process_close(p);
    const int64_t t1 = now_ns();
    if (exit_rc != MPROC_OK) {
        why = api_error("mproc_process_exitcode", exit_rc);
        return -1;
    }
    if (exitcode != 0) {
        why = "the child's exitcode is " + std::to_string(exitcode);
        return -1;
    }
    if (close_rc != MPROC_OK) {
        why = api_error("mproc_process_close", close_rc);
        return -1;
    }
    return static_cast<double>(t1 - t0) / 1e3;
}

double raw_fork_once(std::string &why) {
    const int64_t t0 = now_ns();
    const pid_t pid = fork();
    if (pid < 0) {
        why = "fork failed";
        return -1;
    }
    if (pid == 0) _exit(0);
    int status = 0;
    const bool reaped = wait_for(pid, status);
    const int64_t t1 = now_ns();
    if (!reaped) {
        why = "waitpid failed";
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        why = "the child " + status_text(status);
        return -1;
    }
    return static_cast<double>(t1 - t0) / 1e3;
}

// argv: repetitions, warm-ups. Prints us per Process(target=f).start(); join().
constexpr const char *kPythonForkScript = R"PY(
import multiprocessing as mp, sys, time
reps, warm = int(sys.argv[1]), int(sys.argv[2])
ctx = mp.get_context("fork")

def f():
    return 0

out = []
for i in range(warm + reps):
    t0 = time.perf_counter_ns()
    p = ctx.Process(target=f)
    p.start()
    p.join()
    t = time.perf_counter_ns() - t0
    if p.exitcode != 0:
        raise SystemExit("python fork process: exitcode %r" % p.exitcode)
    if i >= warm:
        out.append(t / 1000.0)
print("RESULT", *out)
)PY";

void section_fork(const Config &cfg) {
    std::vector<Peer> peers;
    mproc_task_t *task = nullptr;
    const int rc = mproc_task_from_function(return_zero, nullptr, &task);
    Row mproc_row{
        "mproc Process, fork: create + start + join + close, fn returns 0", "mproc", {}, ""};
    if (rc != MPROC_OK)
        mproc_row.missing = "failed (" + api_error("mproc_task_from_function", rc) + ")";
    peers.push_back(Peer{mproc_row, [task](std::string &why) {
                             return mproc_process_once(task, MPROC_START_FORK, why);
                         }});
    peers.push_back(
        Peer{Row{"raw fork() + _exit(0) in the child + waitpid()", "fork+waitpid", {}, ""},
             raw_fork_once});
    std::fflush(nullptr);
    measure(peers, cfg.fork_warm, cfg.fork_reps);
    if (task != nullptr) mproc_task_close(task);

    const Row py = python_row(
        "python 'fork' Process(target=f): start + join", "python-fork",
        run_python(kPythonForkScript, {cfg.py_fork_reps, cfg.py_fork_warm}, cfg.python_deadline_s));
    const Row &m = peers[0].row, &raw = peers[1].row;

    std::printf(
        "\nA. Process start + join, fork start method, us per process: best of %d, interleaved\n"
        "   (+%d untimed first); python: best of %d in one run (+%d untimed first)\n",
        cfg.fork_reps, cfg.fork_warm, cfg.py_fork_reps, cfg.py_fork_warm);
    for (const Peer &p : peers)
        print_row(p.row, "us");
    print_row(py, "us");
    std::string verdict = ratio_text(m, raw);
    if (m.has_value() && raw.has_value()) {
        const bool met = m.best() / raw.best() <= kForkVsRaw;
        verdict += " (target <= " + fmt_target(kForkVsRaw) + "x: " + (met ? "met" : "MISSED") + ")";
    }
    std::printf("process start+join, fork: %s  -> %s; also %s\n",
                summary({&m, &raw, &py}, "us").c_str(), verdict.c_str(), ratio_text(m, py).c_str());
    std::fflush(stdout);
    for (const Row *r : {&m, &raw, &py})
        note_failure(*r);
}

// ---- B. Process start + join, spawn -------------------------------------------------------

// argv: repetitions, warm-ups. Prints ms per Process(target=abs, args=(0,)).start(); join().
// abs is a builtin, so the child pickles it by name and never re-imports the `-c` script.
constexpr const char *kPythonSpawnScript = R"PY(
import multiprocessing as mp, sys, time
reps, warm = int(sys.argv[1]), int(sys.argv[2])
ctx = mp.get_context("spawn")

out = []
for i in range(warm + reps):
    t0 = time.perf_counter_ns()
    p = ctx.Process(target=abs, args=(0,))
    p.start()
    p.join()
    t = time.perf_counter_ns() - t0
    if p.exitcode != 0:
        raise SystemExit("python spawn process: exitcode %r" % p.exitcode)
    if i >= warm:
        out.append(t / 1e6)
print("RESULT", *out)
)PY";

void section_spawn(const Config &cfg) {
    std::vector<Peer> peers;
    mproc_task_t *task = nullptr;
    Row mproc_row{
        "mproc Process, spawn: create + start + join + close, libc abs(0)", "mproc", {}, ""};
    int rc = mproc_task_create("libc.so.6", "abs", "i(i)", &task);
    if (rc != MPROC_OK) {
        mproc_row.missing = "failed (" + api_error("mproc_task_create", rc) + ")";
    } else if ((rc = mproc_task_arg_int(task, 0)) != MPROC_OK) {
        mproc_row.missing = "failed (" + api_error("mproc_task_arg_int", rc) + ")";
    } else if ((rc = mproc_task_check(task)) != MPROC_OK) {
        mproc_row.missing = "failed (" + api_error("mproc_task_check", rc) + ")";
    }
    peers.push_back(Peer{mproc_row, [task](std::string &why) {
                             const double us = mproc_process_once(task, MPROC_START_SPAWN, why);
                             return us < 0 ? us : us / 1e3;
                         }});
    std::fflush(nullptr);
    measure(peers, cfg.spawn_warm, cfg.spawn_reps);
    if (task != nullptr) mproc_task_close(task);

    const Row py =
        python_row("python 'spawn' Process(target=abs, args=(0,)): start + join", "python-spawn",
                   run_python(kPythonSpawnScript, {cfg.py_spawn_reps, cfg.py_spawn_warm},
                              cfg.python_deadline_s));
    const Row &m = peers[0].row;

    std::printf(
        "\nB. Process start + join, spawn start method, ms per process: best of %d (+%d untimed\n"
        "   first); python: best of %d in one run (+%d untimed first)\n",
        cfg.spawn_reps, cfg.spawn_warm, cfg.py_spawn_reps, cfg.py_spawn_warm);
    print_row(m, "ms");
    print_row(py, "ms");
    std::string verdict = "mproc = " + (m.has_value() ? m.value("ms") : "n/a");
    if (m.has_value())
        verdict += std::string(" (target < ") + fmt_target(kSpawnMaxMs) +
                   " ms: " + (m.best() < kSpawnMaxMs ? "met" : "MISSED") + ")";
    std::printf("process start+join, spawn: %s  -> %s; also %s\n", summary({&m, &py}, "ms").c_str(),
                verdict.c_str(), ratio_text(m, py).c_str());
    std::fflush(stdout);
    for (const Row *r : {&m, &py})
        note_failure(*r);
}

// ---- D. Process start + join, forkserver --------------------------------------------------

// argv: repetitions, warm-ups. Prints us per Process(target=abs, args=(0,)).start(); join()
// with the forkserver start method (the first, untimed, also starts the server).
constexpr const char *kPythonForkserverScript = R"PY(
import multiprocessing as mp, sys, time
reps, warm = int(sys.argv[1]), int(sys.argv[2])
ctx = mp.get_context("forkserver")

out = []
for i in range(warm + reps):
    t0 = time.perf_counter_ns()
    p = ctx.Process(target=abs, args=(0,))
    p.start()
    p.join()
    t = time.perf_counter_ns() - t0
    if p.exitcode != 0:
        raise SystemExit("python forkserver process: exitcode %r" % p.exitcode)
    if i >= warm:
        out.append(t / 1000.0)
print("RESULT", *out)
)PY";

void section_forkserver(const Config &cfg) {
    std::vector<Peer> peers;
    mproc_task_t *task = nullptr;
    Row mproc_row{
        "mproc Process, forkserver: create + start + join + close, libc abs(0)", "mproc", {}, ""};
    int rc = mproc_task_create("libc.so.6", "abs", "i(i)", &task);
    if (rc != MPROC_OK) {
        mproc_row.missing = "failed (" + api_error("mproc_task_create", rc) + ")";
    } else if ((rc = mproc_task_arg_int(task, 0)) != MPROC_OK) {
        mproc_row.missing = "failed (" + api_error("mproc_task_arg_int", rc) + ")";
    }
    peers.push_back(Peer{mproc_row, [task](std::string &why) {
                             return mproc_process_once(task, MPROC_START_FORKSERVER, why);
                         }});
    std::fflush(nullptr);
    measure(peers, cfg.forkserver_warm, cfg.forkserver_reps);
    if (task != nullptr) mproc_task_close(task);

    const Row py = python_row(
        "python 'forkserver' Process(target=abs, args=(0,)): start + join", "python-forkserver",
        run_python(kPythonForkserverScript, {cfg.py_forkserver_reps, cfg.py_forkserver_warm},
                   cfg.python_deadline_s));
    const Row &m = peers[0].row;

    std::printf(
        "\nD. Process start + join, forkserver start method, us per process: best of %d (+%d\n"
        "   untimed first, which start the server); python: best of %d in one run (+%d untimed\n"
        "   first)\n",
        cfg.forkserver_reps, cfg.forkserver_warm, cfg.py_forkserver_reps, cfg.py_forkserver_warm);
    print_row(m, "us");
    print_row(py, "us");
    std::printf("process start+join, forkserver: %s  -> %s (no target)\n",
                summary({&m, &py}, "us").c_str(), ratio_text(m, py).c_str());
    std::fflush(stdout);
    for (const Row *r : {&m, &py})
        note_failure(*r);
}

// ---- C. Subprocess run of `true` ----------------------------------------------------------

double mproc_run_once(std::string &why) {
    const char *const argv[] = {"true", nullptr};
    mproc_run_result_t result{};
    const int64_t t0 = now_ns();
    const int rc = mproc_run(argv, nullptr, 0, nullptr, 0, -1, &result);
    const int returncode = result.returncode;
    mproc_run_result_free(&result);
    const int64_t t1 = now_ns();
    if (rc != MPROC_OK) {
        why = api_error("mproc_run", rc);
        return -1;
    }
    if (returncode != 0) {
        why = "true's returncode is " + std::to_string(returncode);
        return -1;
    }
    return static_cast<double>(t1 - t0) / 1e3;
}

double raw_posix_spawn_once(std::string &why) {
    char prog[] = "true";
    char *const argv[] = {prog, nullptr};
    const int64_t t0 = now_ns();
    pid_t pid = -1;
    const int err = posix_spawnp(&pid, prog, nullptr, nullptr, argv, environ);
    if (err != 0) {
        why = std::string("posix_spawnp failed: ") + std::strerror(err);
        return -1;
    }
    int status = 0;
    const bool reaped = wait_for(pid, status);
    const int64_t t1 = now_ns();
    if (!reaped) {
        why = "waitpid failed";
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        why = "true " + status_text(status);
        return -1;
    }
    return static_cast<double>(t1 - t0) / 1e3;
}

// argv: repetitions, warm-ups. Prints us per subprocess.run(['true']).
constexpr const char *kPythonRunScript = R"PY(
import subprocess, sys, time
reps, warm = int(sys.argv[1]), int(sys.argv[2])

out = []
for i in range(warm + reps):
    t0 = time.perf_counter_ns()
    r = subprocess.run(["true"])
    t = time.perf_counter_ns() - t0
    if r.returncode != 0:
        raise SystemExit("python subprocess.run: returncode %r" % r.returncode)
    if i >= warm:
        out.append(t / 1000.0)
print("RESULT", *out)
)PY";

void section_run(const Config &cfg) {
    std::vector<Peer> peers;
    peers.push_back(Peer{Row{"mproc_run({\"true\"}) + mproc_run_result_free", "mproc", {}, ""},
                         mproc_run_once});
    peers.push_back(Peer{Row{"raw posix_spawnp(\"true\") + waitpid()", "posix_spawnp", {}, ""},
                         raw_posix_spawn_once});
    std::fflush(nullptr);
    measure(peers, cfg.run_warm, cfg.run_reps);

    const Row py = python_row(
        "python subprocess.run(['true'])", "python-run",
        run_python(kPythonRunScript, {cfg.py_run_reps, cfg.py_run_warm}, cfg.python_deadline_s));
    const Row &m = peers[0].row, &raw = peers[1].row;

    std::printf(
        "\nC. Running `true` to completion (stdio inherited), us per run: best of %d\n"
        "   interleaved (+%d untimed first); python: best of %d in one run (+%d untimed first)\n",
        cfg.run_reps, cfg.run_warm, cfg.py_run_reps, cfg.py_run_warm);
    for (const Peer &p : peers)
        print_row(p.row, "us");
    print_row(py, "us");
    std::printf("subprocess run of true: %s  -> %s, %s (no target)\n",
                summary({&m, &raw, &py}, "us").c_str(), ratio_text(m, raw).c_str(),
                ratio_text(m, py).c_str());
    std::fflush(stdout);
    for (const Row *r : {&m, &raw, &py})
        note_failure(*r);
}

constexpr BenchProgram kProgram{
    "mproc process bench", "mproc-pbench",
    "  Measures mproc's Process start + join (fork, spawn and forkserver start methods) and\n"
    "  mproc_run against raw fork / posix_spawnp + waitpid and Python multiprocessing /\n"
    "  subprocess.\n",
    "about 1/10 of the repetitions (smoke run)"};

void run_sections(const Config &cfg, const std::string &) {
    section_fork(cfg);
    section_spawn(cfg);
    section_run(cfg);
    section_forkserver(cfg);
}

}  // namespace
}  // namespace mproc_bench

int main(int argc, char **argv) {
    return mproc_bench::bench_main(argc, argv, mproc_bench::kProgram, mproc_bench::run_sections);
}
