// Subprocess: run and Popen over real programs (true, false, sh, cat, sleep, ls): exit
// statuses and signals, captured output, 2>&1, input, megabytes both ways at once without
// deadlock, timeouts that kill and reap, env and cwd, programs that cannot start (an error
// of the call, no child left), descriptors that must not leak, default signal dispositions
// in the child, no SIGPIPE in the caller, poll / wait / close semantics and the reap-later
// list.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "subprocess/popen.hpp"
#include "subprocess/reaper.hpp"
#include "subprocess/run.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kClosed;
using mproc::core::kEmpty;
using mproc::core::kFailed;
using mproc::core::kInvalid;
using mproc::core::kNotFound;
using mproc::core::kOk;
using mproc::core::kPermission;
using mproc::core::kTimedOut;
using mproc::core::Status;
using mproc::core::subprocess::Communicated;
using mproc::core::subprocess::Popen;
using mproc::core::subprocess::reap_finished;
using mproc::core::subprocess::reap_later_pending;
using mproc::core::subprocess::RunOptions;
using mproc::core::subprocess::RunResult;
using mproc::core::subprocess::SpawnOptions;
using mproc::core::subprocess::Stdio;
using mproc::core::subprocess::StdioSpec;
namespace sp = mproc::core::subprocess;

namespace {

constexpr StdioSpec kPipe{Stdio::kPipe, -1};

RunOptions capture() {
    RunOptions r;
    r.capture = true;
    return r;
}

RunOptions with_input(const std::string &input, bool capture_output = true) {
    RunOptions r;
    r.capture = capture_output;
    r.has_input = true;
    r.input = input.data();
    r.length = input.size();
    return r;
}

RunResult run(const std::vector<std::string> &argv, const RunOptions &r = capture(),
              const SpawnOptions &o = {}, double timeout = 60) {
    return sp::run(argv, o, r, after(timeout));
}

std::vector<std::string> sh(const std::string &script) {
    return {"/bin/sh", "-c", script};
}

bool process_exists(pid_t pid) {
    return ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

std::string pattern(std::size_t size) {
    std::string s(size, '\0');
    std::uint32_t x = 2463534242u;
    for (char &c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
    }
    return s;
}

// A directory of its own, removed with what is in it at the end of the scope.
class TempDir {
  public:
    TempDir() {
        char templ[] = "/tmp/mproc-subprocess-XXXXXX";
        if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = templ;
    }
    ~TempDir() {
        const std::string cmd = "rm -rf '" + path_ + "'";
        if (std::system(cmd.c_str()) != 0)
            std::fprintf(stderr, "could not remove %s\n", path_.c_str());
    }
    const std::string &path() const { return path_; }
    std::string write(const std::string &name, const std::string &content, mode_t mode) const {
        const std::string file = path_ + "/" + name;
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0) throw std::runtime_error("open failed");
        if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
            ::close(fd);
            throw std::runtime_error("write failed");
        }
        ::close(fd);
        ::chmod(file.c_str(), mode);
        return file;
    }

  private:
    std::string path_;
};

// Kills and reaps, at the end of the scope, a child a failing test left behind.
struct KillAtEnd {
    pid_t pid;
    ~KillAtEnd() {
        if (pid > 0 && process_exists(pid)) ::kill(pid, SIGKILL);
    }
};

}  // namespace

// ---- Exit statuses and output ------------------------------------------------------------

TEST(Subprocess, RunReportsExitStatus) {
    EXPECT_EQ(run({"true"}).returncode, 0);
    EXPECT_EQ(run({"false"}).returncode, 1);
    RunResult r = run(sh("exit 3"));
    EXPECT_EQ(r.status, kOk);
    EXPECT_EQ(r.returncode, 3);
    EXPECT_FALSE(process_exists(r.pid)) << "reaped";
}

TEST(Subprocess, RunCapturesStdoutAndStderrApart) {
    RunResult r = run(sh("echo out; echo err >&2; echo more"));
    ASSERT_EQ(r.status, kOk);
    EXPECT_TRUE(r.out_captured);
    EXPECT_TRUE(r.err_captured);
    EXPECT_EQ(r.out, "out\nmore\n");
    EXPECT_EQ(r.err, "err\n");
}

TEST(Subprocess, RunWithoutCaptureCollectsNothing) {
    SpawnOptions o;
    o.out.mode = Stdio::kDevNull;
    RunResult r = run(sh("echo hidden"), RunOptions{}, o);
    EXPECT_EQ(r.status, kOk);
    EXPECT_FALSE(r.out_captured);
    EXPECT_FALSE(r.err_captured);
    EXPECT_EQ(r.out, "");
}

TEST(Subprocess, StderrCanGoToStdout) {
    SpawnOptions o;
    o.out = kPipe;
    o.err.mode = Stdio::kStdout;
    RunResult r = run(sh("echo a; echo b >&2; echo c"), RunOptions{}, o);
    ASSERT_EQ(r.status, kOk);
    EXPECT_TRUE(r.out_captured);
    EXPECT_FALSE(r.err_captured);
    EXPECT_EQ(r.out, "a\nb\nc\n");
}

TEST(Subprocess, StdoutToADescriptorOfTheCaller) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    SpawnOptions o;
    o.out = StdioSpec{Stdio::kFd, fds[1]};
    RunResult r = run(sh("echo through-fd"), RunOptions{}, o);
    ::close(fds[1]);  // the caller keeps its descriptor: ours to close
    char buf[64] = {};
    const ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
    ::close(fds[0]);
    EXPECT_EQ(r.status, kOk);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "through-fd\n");
}

TEST(Subprocess, DescriptorsCanBeSwapped) {
    // stdout to our fd 2 and stderr to our fd 1: the file actions must not overwrite one
    // source with the other (dup2 1 -> 2 before 2 -> 1). In a child of its own, whose 1 and
    // 2 are pipes this test reads.
    int out_pipe[2], err_pipe[2];
    ASSERT_EQ(::pipe2(out_pipe, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(err_pipe, O_CLOEXEC), 0);
    const pid_t child = run_in_child([&] {
        if (::dup2(out_pipe[1], 1) != 1 || ::dup2(err_pipe[1], 2) != 2) return 1;
        SpawnOptions o;
        o.out = StdioSpec{Stdio::kFd, 2};
        o.err = StdioSpec{Stdio::kFd, 1};
        RunResult r = sp::run(sh("echo to-stdout; echo to-stderr >&2"), o, RunOptions{}, after(20));
        return r.status == kOk && r.returncode == 0 ? 0 : 2;
    });
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    EXPECT_EQ(wait_child(child, 30s), 0);
    auto read_all = [](int fd) {
        std::string s;
        char buf[256];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
            s.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        return s;
    };
    EXPECT_EQ(read_all(out_pipe[0]), "to-stderr\n");
    EXPECT_EQ(read_all(err_pipe[0]), "to-stdout\n");
}

TEST(Subprocess, StdinFromDevNullReadsNothing) {
    SpawnOptions o;
    o.in.mode = Stdio::kDevNull;
    RunResult r = run({"cat"}, capture(), o);
    EXPECT_EQ(r.status, kOk);
    EXPECT_EQ(r.out, "");
}

// ---- Input, and large transfers ------------------------------------------------------------

TEST(Subprocess, InputRoundTripsThroughCat) {
    const std::string input = "hello\nworld\n";
    RunResult r = run({"cat"}, with_input(input));
    ASSERT_EQ(r.status, kOk);
    EXPECT_EQ(r.out, input);
    EXPECT_EQ(r.returncode, 0);
}

TEST(Subprocess, EmptyInputClosesStdin) {
    RunResult r = run({"cat"}, with_input(std::string()), {}, 10);
    EXPECT_EQ(r.status, kOk) << "cat would wait for ever on an open stdin";
    EXPECT_EQ(r.out, "");
}

TEST(Subprocess, EightMebibytesThroughCatBothWays) {
    const std::string input = pattern(8u << 20);
    const auto start = std::chrono::steady_clock::now();
    RunResult r = run({"cat"}, with_input(input), {}, 60);
    ASSERT_EQ(r.status, kOk) << "after " << seconds_since(start) << " s";
    EXPECT_EQ(r.out.size(), input.size());
    EXPECT_TRUE(r.out == input);
}

TEST(Subprocess, MegabytesOnBothOutputsAndInputAtOnce) {
    // The child fills stderr before it reads any input, then echoes the input: only a
    // reader of all three pipes at once gets through.
    const std::string input = pattern(8u << 20);
    RunResult r = run(sh("head -c 4194304 /dev/zero | tr '\\0' e >&2; cat; "
                         "head -c 4194304 /dev/zero | tr '\\0' o >&2"),
                      with_input(input), {}, 60);
    ASSERT_EQ(r.status, kOk);
    EXPECT_EQ(r.returncode, 0);
    EXPECT_TRUE(r.out == input);
    ASSERT_EQ(r.err.size(), 8u << 20);
    EXPECT_EQ(std::count(r.err.begin(), r.err.begin() + (4 << 20), 'e'), 4 << 20);
    EXPECT_EQ(std::count(r.err.begin() + (4 << 20), r.err.end(), 'o'), 4 << 20);
}

TEST(Subprocess, FourMebibytesToStdoutAndStderr) {
    RunResult r = run(sh("head -c 4194304 /dev/zero | tr '\\0' e >&2; "
                         "head -c 4194304 /dev/zero | tr '\\0' o"),
                      capture(), {}, 60);
    ASSERT_EQ(r.status, kOk);
    EXPECT_EQ(r.out, std::string(4u << 20, 'o'));
    EXPECT_EQ(r.err, std::string(4u << 20, 'e'));
}

TEST(Subprocess, ChildThatDoesNotReadRaisesNoSigpipe) {
    // `true` never reads: the write ends with EPIPE, and SIGPIPE (whose default action
    // would kill this test program) is neither delivered nor left pending.
    const std::string input = pattern(4u << 20);
    RunResult r = run(sh("exec 0<&-; sleep 0.1"), with_input(input), {}, 30);
    EXPECT_EQ(r.status, kOk);
    EXPECT_EQ(r.returncode, 0);
    sigset_t pending;
    sigemptyset(&pending);
    ASSERT_EQ(sigpending(&pending), 0);
    EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

// ---- Timeouts -------------------------------------------------------------------------

TEST(Subprocess, RunTimeoutKillsAndReaps) {
    const auto start = std::chrono::steady_clock::now();
    RunResult r = run(sh("echo partial; exec sleep 10"), capture(), {}, 1.0);
    const double took = seconds_since(start);
    KillAtEnd guard{r.pid};
    EXPECT_EQ(r.status, kTimedOut);
    EXPECT_EQ(r.returncode, -SIGKILL);
    EXPECT_GE(took, 0.9);
    EXPECT_LT(took, 5.0);
    EXPECT_EQ(r.out, "partial\n") << "what was written before the timeout is kept";
    EXPECT_FALSE(process_exists(r.pid)) << "killed and reaped";
}

TEST(Subprocess, CommunicateTimeoutKeepsOutputForTheNextCall) {
    SpawnOptions o;
    o.out = kPipe;
    Popen p = Popen::start(sh("echo partial; exec sleep 10"), o);
    KillAtEnd guard{p.pid()};
    Communicated c;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(p.communicate(nullptr, 0, after(0.5), &c), kTimedOut);
    EXPECT_LT(seconds_since(start), 5.0);
    EXPECT_EQ(p.kill(), kOk);
    ASSERT_EQ(p.communicate(nullptr, 0, after(10), &c), kOk);
    ASSERT_NE(c.out, nullptr);
    EXPECT_EQ(*c.out, "partial\n");
    EXPECT_EQ(c.err, nullptr);
    EXPECT_EQ(c.returncode, -SIGKILL);
    // Once done, it answers the same again.
    Communicated again;
    ASSERT_EQ(p.communicate(nullptr, 0, after(0), &again), kOk);
    EXPECT_EQ(again.out, c.out);
    EXPECT_EQ(again.returncode, -SIGKILL);
}

TEST(Subprocess, CommunicateGoesOnWithTheRestOfTheInput) {
    SpawnOptions o;
    o.in = kPipe;
    o.out = kPipe;
    Popen p = Popen::start(sh("sleep 0.3; cat"), o);
    KillAtEnd guard{p.pid()};
    const std::string input = pattern(1u << 20);  // more than a pipe holds
    Communicated c;
    ASSERT_EQ(p.communicate(input.data(), input.size(), after(0.05), &c), kTimedOut);
    const std::string other = "x";
    EXPECT_EQ(status_of([&] { p.communicate(other.data(), other.size(), after(0), &c); }),
              kInvalid);
    // The same input again, or none, goes on without sending anything twice.
    Status s = p.communicate(input.data(), input.size(), after(0.05), &c);
    if (s == kTimedOut) s = p.communicate(nullptr, 0, after(30), &c);
    ASSERT_EQ(s, kOk);
    ASSERT_NE(c.out, nullptr);
    EXPECT_EQ(c.out->size(), input.size());
    EXPECT_TRUE(*c.out == input);
}

TEST(Subprocess, CommunicateInputNeedsAStdinPipe) {
    SpawnOptions o;
    o.out = kPipe;
    Popen p = Popen::start({"true"}, o);
    Communicated c;
    const char byte = 'x';
    std::string message;
    EXPECT_EQ(status_of([&] { p.communicate(&byte, 1, after(10), &c); }, &message), kInvalid);
    EXPECT_NE(message.find("stdin"), std::string::npos) << message;
    EXPECT_EQ(p.communicate(nullptr, 0, after(10), &c), kOk);
    EXPECT_EQ(c.returncode, 0);
}

// ---- Environment and working directory ---------------------------------------------------

TEST(Subprocess, EnvReplacesTheEnvironment) {
    ::setenv("MPROC_TEST_PARENT_ONLY", "1", 1);
    SpawnOptions o;
    o.env = std::vector<std::string>{"FOO=bar baz", "EMPTY="};
    // "sh" is found in the caller's PATH although env has none.
    RunResult r =
        run({"sh", "-c", "echo \"$FOO|$EMPTY|${MPROC_TEST_PARENT_ONLY-unset}\""}, capture(), o);
    ::unsetenv("MPROC_TEST_PARENT_ONLY");
    ASSERT_EQ(r.status, kOk);
    EXPECT_EQ(r.out, "bar baz||unset\n");
}

TEST(Subprocess, WithoutEnvTheChildInheritsOurs) {
    ::setenv("MPROC_TEST_INHERITED", "yes", 1);
    RunResult r = run(sh("echo $MPROC_TEST_INHERITED"));
    ::unsetenv("MPROC_TEST_INHERITED");
    EXPECT_EQ(r.out, "yes\n");
}

TEST(Subprocess, BadEnvEntryIsInvalid) {
    SpawnOptions o;
    o.env = std::vector<std::string>{"NOEQUALS"};
    EXPECT_EQ(status_of([&] { Popen::start({"true"}, o); }), kInvalid);
    o.env = std::vector<std::string>{"=value"};
    EXPECT_EQ(status_of([&] { Popen::start({"true"}, o); }), kInvalid);
}

TEST(Subprocess, CwdIsTheChildsDirectory) {
    TempDir dir;
    SpawnOptions o;
    o.cwd = dir.path();
    RunResult r = run({"pwd"}, capture(), o);
    ASSERT_EQ(r.status, kOk);
    EXPECT_EQ(r.out, dir.path() + "\n");
    // A relative program path is found from cwd, as in Python.
    dir.write("hello.sh", "#!/bin/sh\necho hi from script\n", 0755);
    r = run({"./hello.sh"}, capture(), o);
    ASSERT_EQ(r.status, kOk);
    EXPECT_EQ(r.out, "hi from script\n");
}

TEST(Subprocess, MissingCwdIsNotFound) {
    SpawnOptions o;
    o.cwd = "/nonexistent-mproc-dir/sub";
    std::string message;
    EXPECT_EQ(status_of([&] { Popen::start({"true"}, o); }, &message), kNotFound);
    EXPECT_NE(message.find("/nonexistent-mproc-dir/sub"), std::string::npos) << message;
    EXPECT_NE(message.find("directory"), std::string::npos) << message;
}

// ---- Programs that cannot start -------------------------------------------------------------

TEST(Subprocess, MissingProgramIsNotFoundAndLeavesNoChild) {
    // In a child of its own, which has no other children: after the failed start, there
    // must be nothing to wait for (glibc's posix_spawn reaped the would-be child).
    const pid_t child = run_in_child([] {
        std::string message;
        if (status_of([] { Popen::start({"mproc-no-such-program"}, {}); }, &message) != kNotFound) {
            return 1;
        }
        if (message.find("mproc-no-such-program") == std::string::npos) return 2;
        if (status_of([] { Popen::start({"/nonexistent-mproc/prog"}, {}); }) != kNotFound) {
            return 3;
        }
        SpawnOptions o;
        o.out = kPipe;
        o.err = kPipe;
        if (status_of([&] { sp::run({"mproc-no-such-program"}, o, RunOptions{}, after(5)); }) !=
            kNotFound) {
            return 4;
        }
        errno = 0;
        if (::waitpid(-1, nullptr, WNOHANG) != -1 || errno != ECHILD) return 5;
        return 0;
    });
    EXPECT_EQ(wait_child(child), 0);
}

TEST(Subprocess, NonExecutableIsPermission) {
    TempDir dir;
    const std::string file = dir.write("not-executable", "#!/bin/sh\necho no\n", 0644);
    std::string message;
    EXPECT_EQ(status_of([&] { Popen::start({file}, {}); }, &message), kPermission);
    EXPECT_NE(message.find(file), std::string::npos) << message;
    EXPECT_EQ(status_of([&] { Popen::start({dir.path()}, {}); }), kPermission) << "a directory";
}

TEST(Subprocess, EmptyArgvIsInvalid) {
    EXPECT_EQ(status_of([] { Popen::start({}, {}); }), kInvalid);
    SpawnOptions o;
    o.out.mode = Stdio::kStdout;
    EXPECT_EQ(status_of([&] { Popen::start({"true"}, o); }), kInvalid);
    o = SpawnOptions{};
    o.in = StdioSpec{Stdio::kFd, 987654};
    EXPECT_EQ(status_of([&] { Popen::start({"true"}, o); }), kInvalid) << "not an open descriptor";
}

// ---- Signals, poll and wait ---------------------------------------------------------------

TEST(Subprocess, TerminateGivesMinusSigterm) {
    Popen p = Popen::start({"sleep", "10"}, {});
    KillAtEnd guard{p.pid()};
    EXPECT_EQ(p.terminate(), kOk);
    int rc = 0;
    ASSERT_EQ(p.wait(after(10), &rc), kOk);
    EXPECT_EQ(rc, -SIGTERM);
    EXPECT_FALSE(process_exists(p.pid()));
    EXPECT_EQ(p.kill(), kOk) << "nothing happens once reaped";
    EXPECT_EQ(p.send_signal(SIGUSR1), kOk);
    EXPECT_EQ(status_of([&] { p.send_signal(-1); }), kInvalid);
    EXPECT_EQ(status_of([&] { p.send_signal(1000); }), kInvalid);
}

void poll_and_wait(bool polling) {
    Popen p = Popen::start({"sleep", "10"}, {});
    KillAtEnd guard{p.pid()};
    if (polling) p.use_polling_wait_for_testing();
    int rc = 12345;
    EXPECT_EQ(p.poll(&rc), kEmpty);
    EXPECT_EQ(rc, 12345);
    EXPECT_EQ(p.wait(after(0), &rc), kTimedOut);
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(p.wait(after(0.3), &rc), kTimedOut);
    double took = seconds_since(start);
    EXPECT_GE(took, 0.25);
    EXPECT_LT(took, 5.0);
    EXPECT_EQ(p.send_signal(0), kOk) << "0 checks that it is there";
    EXPECT_EQ(p.kill(), kOk);
    start = std::chrono::steady_clock::now();
    ASSERT_EQ(p.wait(after(10), &rc), kOk);
    EXPECT_LT(seconds_since(start), 5.0);
    EXPECT_EQ(rc, -SIGKILL);
    rc = 0;
    EXPECT_EQ(p.poll(&rc), kOk);
    EXPECT_EQ(rc, -SIGKILL) << "the returncode is kept";
    EXPECT_EQ(p.wait(after(0), &rc), kOk);
}

TEST(Subprocess, PollAndWaitWithPidfd) {
    Popen probe = Popen::start({"true"}, {});
    if (!probe.has_pidfd()) GTEST_SKIP() << "no pidfd_open on this kernel";
    poll_and_wait(false);
}

TEST(Subprocess, PollAndWaitWithoutPidfd) {
    poll_and_wait(true);
}

TEST(Subprocess, WaitReturnsSoonAfterTheChildEnds) {
    for (bool polling : {false, true}) {
        Popen p = Popen::start(sh("sleep 0.2; exit 7"), {});
        if (polling) p.use_polling_wait_for_testing();
        const auto start = std::chrono::steady_clock::now();
        int rc = 0;
        ASSERT_EQ(p.wait(after(-1), &rc), kOk);
        EXPECT_EQ(rc, 7);
        EXPECT_LT(seconds_since(start), 3.0);
    }
}

TEST(Subprocess, RunCheckFailsOnNonZero) {
    RunOptions r;
    r.check = true;
    RunResult res = run({"false"}, r);
    EXPECT_EQ(res.status, kFailed);
    EXPECT_EQ(res.returncode, 1);
    EXPECT_EQ(run({"true"}, r).status, kOk);
    res = run(sh("kill -TERM $$"), r);
    EXPECT_EQ(res.status, kFailed);
    EXPECT_EQ(res.returncode, -SIGTERM);
}

// ---- What the child inherits -----------------------------------------------------------

TEST(Subprocess, NoDescriptorLeaksIntoTheChild) {
    // Descriptors without close-on-exec: a plain dup, and a pipe made without O_CLOEXEC.
    const int leaky = ::fcntl(2, F_DUPFD, 40);
    ASSERT_GE(leaky, 40);
    int plain[2];
    ASSERT_EQ(::pipe(plain), 0);
    SpawnOptions o;
    o.in = kPipe;  // our own pipes too (and the eventfd, and the pidfd)
    o.out = kPipe;
    o.err = kPipe;
    RunResult r = run({"/bin/sh", "-c", "exec ls /proc/self/fd"}, RunOptions{}, o);
    ::close(leaky);
    ::close(plain[0]);
    ::close(plain[1]);
    ASSERT_EQ(r.status, kOk) << r.err;
    std::set<std::string> fds;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
        fds.insert(line);
    // 0, 1 and 2, and the directory ls reads (3).
    EXPECT_TRUE(fds.count("0") && fds.count("1") && fds.count("2")) << r.out;
    for (const std::string &fd : fds) {
        EXPECT_TRUE(fd == "0" || fd == "1" || fd == "2" || fd == "3") << "leaked fd " << fd;
    }
    EXPECT_EQ(fds.count(std::to_string(leaky)), 0u);
}

TEST(Subprocess, ChildGetsDefaultSignalsAndAnEmptyMask) {
    // In a child of its own, so this test's process keeps its dispositions.
    const pid_t child = run_in_child([] {
        ::signal(SIGINT, SIG_IGN);
        ::signal(SIGPIPE, SIG_IGN);
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &block, nullptr);
        RunResult r = sp::run({"cat", "/proc/self/status"}, {}, capture(), after(20));
        if (r.status != kOk) return 1;
        if (r.out.find("SigBlk:\t0000000000000000\n") == std::string::npos) return 2;
        if (r.out.find("SigIgn:\t0000000000000000\n") == std::string::npos) return 3;
        Popen p = Popen::start({"sleep", "10"}, {});
        p.terminate();
        int rc = 0;
        if (p.wait(after(10), &rc) != kOk) {
            p.kill();
            return 4;
        }
        return rc == -SIGTERM ? 0 : 5;
    });
    EXPECT_EQ(wait_child(child, 30s), 0);
}

TEST(Subprocess, IgnoredSigchldGivesReturncodeZero) {
    const pid_t child = run_in_child([] {
        ::signal(SIGCHLD, SIG_IGN);  // the kernel reaps: the status is lost, as in Python
        RunResult r = sp::run({"false"}, {}, RunOptions{}, after(20));
        return r.status == kOk && r.returncode == 0 ? 0 : 1;
    });
    EXPECT_EQ(wait_child(child, 30s), 0);
}

// ---- Pipes, close and reaping ----------------------------------------------------------------

TEST(Subprocess, PipeDescriptorsAndCommunicateClosingThem) {
    SpawnOptions o;
    o.in = kPipe;
    o.out = kPipe;
    Popen p = Popen::start({"cat"}, o);
    bool closed = true;
    const int in = p.pipe_fd(0, &closed);
    ASSERT_GE(in, 3);
    EXPECT_FALSE(closed);
    EXPECT_GE(p.pipe_fd(1), 3);
    EXPECT_EQ(p.pipe_fd(2, &closed), -1);
    EXPECT_FALSE(closed) << "stderr never was a pipe";
    EXPECT_EQ(::fcntl(in, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(::fcntl(in, F_GETFL) & O_NONBLOCK, 0) << "blocking for the caller";
    ASSERT_EQ(::write(in, "direct ", 7), 7);
    Communicated c;
    const std::string more = "and communicated";
    ASSERT_EQ(p.communicate(more.data(), more.size(), after(10), &c), kOk);
    EXPECT_EQ(*c.out, "direct and communicated");
    EXPECT_EQ(p.pipe_fd(0, &closed), -1);
    EXPECT_TRUE(closed);
    EXPECT_EQ(p.pipe_fd(1, &closed), -1);
    EXPECT_TRUE(closed);
}

TEST(Subprocess, CloseOfARunningChildReapsItLater) {
    pid_t pid = -1;
    {
        Popen p = Popen::start({"sleep", "10"}, {});
        pid = p.pid();
        p.close();
        EXPECT_EQ(p.wait(after(0), nullptr), kClosed);
    }
    KillAtEnd guard{pid};
    EXPECT_TRUE(process_exists(pid)) << "close does not kill";
    EXPECT_TRUE(reap_later_pending(pid));
    ::kill(pid, SIGKILL);
    EXPECT_TRUE(eventually([&] {
        reap_finished();
        return !reap_later_pending(pid);
    }));
    EXPECT_FALSE(process_exists(pid)) << "reaped, not a zombie";
}

TEST(Subprocess, CloseOfAFinishedChildReapsItAtOnce) {
    pid_t pid = -1;
    {
        Popen p = Popen::start({"true"}, {});
        pid = p.pid();
        ASSERT_TRUE(eventually([&] { return task_state(static_cast<std::uint32_t>(pid)) == 'Z'; }));
    }  // the destructor closes
    EXPECT_FALSE(reap_later_pending(pid));
    EXPECT_FALSE(process_exists(pid));
}

TEST(Subprocess, CloseWakesABlockedWaitAndCommunicate) {
    SpawnOptions o;
    o.out = kPipe;
    Popen p = Popen::start({"sleep", "10"}, o);
    KillAtEnd guard{p.pid()};
    std::atomic<int> waited{-100}, communicated{-100};
    std::atomic<std::uint32_t> wait_tid{0}, comm_tid{0};
    std::thread waiter([&] {
        wait_tid = current_tid();
        int rc = 0;
        waited = p.wait(after(-1), &rc);
    });
    std::thread communicator([&] {
        comm_tid = current_tid();
        Communicated c;
        communicated = p.communicate(nullptr, 0, after(-1), &c);
    });
    ASSERT_TRUE(eventually([&] { return wait_tid != 0 && comm_tid != 0; }));
    wait_until_sleeping(wait_tid);
    wait_until_sleeping(comm_tid);
    Watchdog dog(20s, [&] { ::kill(p.pid(), SIGKILL); });
    const pid_t pid = p.pid();
    p.close();
    waiter.join();
    communicator.join();
    EXPECT_FALSE(dog.fired());
    EXPECT_EQ(waited.load(), kClosed);
    EXPECT_EQ(communicated.load(), kClosed);
    ::kill(pid, SIGKILL);
    EXPECT_TRUE(eventually([&] {
        reap_finished();
        return !reap_later_pending(pid);
    }));
}

TEST(Subprocess, WaitFromOneThreadTerminateFromAnother) {
    Popen p = Popen::start({"sleep", "10"}, {});
    KillAtEnd guard{p.pid()};
    std::atomic<int> rc{0};
    std::thread waiter([&] {
        int code = 0;
        if (p.wait(after(20), &code) == kOk) rc = code;
    });
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(p.terminate(), kOk);
    waiter.join();
    EXPECT_EQ(rc.load(), -SIGTERM);
}
