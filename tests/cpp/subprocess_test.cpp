// mproc::run and mproc::Popen: capture and returncode, check as failed_error, input, timeouts
// as timeout_error, env and cwd, 2>&1 and /dev/null, missing programs as not_found_error,
// communicate through cat (and after a timeout), poll / wait / signals, pipe descriptors,
// the destructor leaving a child running, and moved-from objects.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/process.hpp"
#include "mproc/subprocess.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::seconds_since;

TEST(CppRun, CapturesOutputAndTheReturncode) {
    mproc::run_options options;
    options.capture = true;
    const mproc::completed_process done =
        mproc::run({"sh", "-c", "echo out; echo err >&2; exit 3"}, options);
    EXPECT_EQ(done.returncode, 3);
    EXPECT_EQ(done.out, "out\n");
    EXPECT_EQ(done.err, "err\n");
    ASSERT_EQ(done.args.size(), 3u);
    EXPECT_EQ(done.args[0], "sh");
    EXPECT_THROW(done.check_returncode(), mproc::failed_error);

    const mproc::completed_process ok = mproc::run({"true"});
    EXPECT_EQ(ok.returncode, 0);
    EXPECT_EQ(ok.out, "") << "nothing captured without capture";
    ok.check_returncode();
}

TEST(CppRun, CheckThrowsFailedErrorWithTheReturncode) {
    mproc::run_options options;
    options.check = true;
    options.capture = true;
    try {
        (void)mproc::run({"sh", "-c", "exit 3"}, options);
        FAIL() << "check did not throw";
    } catch (const mproc::failed_error &e) {
        EXPECT_EQ(e.code(), MPROC_EFAILED);
        EXPECT_NE(std::string(e.what()).find("status 3"), std::string::npos) << e.what();
    }
    try {
        (void)mproc::run({"sh", "-c", "kill -9 $$"}, options);
        FAIL() << "check did not throw for a killed child";
    } catch (const mproc::failed_error &e) {
        EXPECT_NE(std::string(e.what()).find("signal 9"), std::string::npos) << e.what();
    }
    EXPECT_EQ(mproc::run({"true"}, options).returncode, 0);
}

TEST(CppRun, FeedsInput) {
    mproc::run_options options;
    options.capture = true;
    options.input = std::string("line one\n\0binary", 16);
    const mproc::completed_process done = mproc::run({"cat"}, options);
    EXPECT_EQ(done.returncode, 0);
    EXPECT_EQ(done.out, std::string("line one\n\0binary", 16));

    // Empty input is still input: stdin is a pipe that is closed at once, so cat ends.
    options.input = std::string();
    options.timeout = 30s;
    EXPECT_EQ(mproc::run({"cat"}, options).out, "");
}

TEST(CppRun, TimeoutKillsTheChildAndThrows) {
    mproc::run_options options;
    options.timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW((void)mproc::run({"sleep", "30"}, options), mproc::timeout_error);
    EXPECT_GE(seconds_since(start), 0.25);
    EXPECT_LT(seconds_since(start), 20.0);
}

TEST(CppRun, EnvCwdAndStdioModes) {
    mproc::run_options options;
    options.capture = true;
    options.popen.env = std::vector<std::string>{"MPROC_CPP_TEST=bar"};
    options.popen.cwd = "/";
    const mproc::completed_process done =
        mproc::run({"/bin/sh", "-c", "echo \"$MPROC_CPP_TEST\"; pwd; echo \"[$HOME]\""}, options);
    EXPECT_EQ(done.out, "bar\n/\n[]\n") << "the environment is exactly the one given";

    mproc::run_options merged;
    merged.popen.stdout_mode = mproc::stdio::pipe;
    merged.popen.stderr_mode = mproc::stdio::stdout_;
    mproc::Popen p({"sh", "-c", "echo one; echo two >&2"}, merged.popen);
    const mproc::communicate_result r = p.communicate(30s);
    EXPECT_EQ(r.out, "one\ntwo\n");
    EXPECT_EQ(r.err, "") << "stderr is no pipe of its own";
    EXPECT_EQ(p.wait(), 0);

    mproc::popen_options quiet;
    quiet.stdout_mode = mproc::stdio::devnull;
    quiet.stderr_mode = mproc::stdio::pipe;
    mproc::Popen q({"sh", "-c", "echo lost; echo kept >&2"}, quiet);
    EXPECT_EQ(q.communicate(30s).err, "kept\n");

    mproc::popen_options bad;
    bad.stdout_mode = mproc::stdio::fd;  // without a descriptor
    EXPECT_THROW(mproc::Popen({"true"}, bad), mproc::invalid_argument_error);
    options.popen.env.reset();
    options.popen.cwd = "/mproc/no/such/directory";
    EXPECT_THROW((void)mproc::run({"true"}, options), mproc::not_found_error);
}

TEST(CppRun, MissingProgramsAreNotFound) {
    EXPECT_THROW((void)mproc::run({"mproc-no-such-program-here"}), mproc::not_found_error);
    EXPECT_THROW(mproc::Popen({"mproc-no-such-program-here"}), mproc::not_found_error);
    EXPECT_THROW(mproc::Popen({"/mproc/no/such/program"}), mproc::not_found_error);
    EXPECT_THROW(mproc::Popen(std::vector<std::string>{}), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Popen({"echo", std::string("a\0b", 3)}), mproc::invalid_argument_error);
}

TEST(CppPopen, CommunicateThroughCat) {
    mproc::popen_options options;
    options.stdin_mode = mproc::stdio::pipe;
    options.stdout_mode = mproc::stdio::pipe;
    mproc::Popen cat({"cat"}, options);
    EXPECT_GT(cat.pid(), 0);
    EXPECT_GE(cat.stdin_fd(), 0);
    EXPECT_GE(cat.stdout_fd(), 0);
    EXPECT_THROW((void)cat.stderr_fd(), mproc::invalid_argument_error) << "stderr is no pipe";
    // More than a pipe holds both ways: communicate must not deadlock.
    std::string big(1 << 20, 'x');
    for (std::size_t k = 0; k < big.size(); k += 4096)
        big[k] = static_cast<char>('a' + k % 26);
    const mproc::communicate_result r = cat.communicate(big, 60s);
    EXPECT_EQ(r.out.size(), big.size());
    EXPECT_TRUE(r.out == big);
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(cat.wait(30s), 0);
    EXPECT_EQ(cat.poll(), 0);
    EXPECT_THROW((void)cat.stdin_fd(), mproc::invalid_argument_error) << "closed by communicate";
}

TEST(CppPopen, CommunicateTimesOutAndGoesOn) {
    mproc::popen_options options;
    options.stdout_mode = mproc::stdio::pipe;
    mproc::Popen p({"sh", "-c", "echo early; sleep 1; echo late"}, options);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW((void)p.communicate(100ms), mproc::timeout_error);
    EXPECT_LT(seconds_since(start), 20.0);
    // What was read so far is kept for the next call.
    const mproc::communicate_result r = p.communicate(30s);
    EXPECT_EQ(r.out, "early\nlate\n");
    EXPECT_EQ(p.poll(), 0);

    mproc::Popen no_pipe({"true"});
    EXPECT_THROW((void)no_pipe.communicate("input"), mproc::invalid_argument_error)
        << "input, but stdin is not a pipe";
    const mproc::communicate_result none = no_pipe.communicate(std::string(), 30s);
    EXPECT_EQ(none.out, "") << "empty input is no input";
    EXPECT_EQ(no_pipe.wait(), 0);
}

TEST(CppPopen, PollWaitAndSignals) {
    mproc::Popen p({"sleep", "30"});
    EXPECT_EQ(p.poll(), std::nullopt);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(p.wait(300ms), std::nullopt);
    EXPECT_GE(seconds_since(start), 0.25);
    EXPECT_EQ(p.wait(0s), std::nullopt);
    p.kill();
    EXPECT_EQ(p.wait(), -9);
    EXPECT_EQ(p.poll(), -9);
    p.kill();  // once reaped, nothing happens

    mproc::Popen t({"sleep", "30"});
    t.terminate();
    EXPECT_EQ(t.wait(30s), -SIGTERM);

    mproc::Popen s({"sleep", "30"});
    s.send_signal(SIGUSR1);
    EXPECT_EQ(s.wait(30s), -SIGUSR1);
}

TEST(CppPopen, StdoutFdIsReadable) {
    mproc::popen_options options;
    options.stdout_mode = mproc::stdio::pipe;
    mproc::Popen p({"echo", "hi"}, options);
    const int fd = p.stdout_fd();
    pollfd pfd{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 30000), 1);
    char buf[16] = {};
    EXPECT_EQ(::read(fd, buf, sizeof buf), 3);
    EXPECT_EQ(std::string(buf, 3), "hi\n");
    EXPECT_EQ(p.wait(30s), 0);
}

TEST(CppPopen, DestructorLeavesTheChildRunning) {
    int pid = 0;
    {
        mproc::Popen p({"sleep", "30"});
        pid = p.pid();
    }
    EXPECT_EQ(::kill(pid, 0), 0) << "the destructor ended the child";
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    // active_children reaps the finished children of destroyed Popen objects.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
        (void)mproc::active_children();
        std::this_thread::sleep_for(2ms);
    }
    EXPECT_NE(::kill(pid, 0), 0) << "the killed child was not reaped";
}

TEST(CppPopen, MovedFromPopenThrowsBadHandle) {
    mproc::Popen a({"true"});
    mproc::Popen b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_THROW((void)a.pid(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.poll(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.wait(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.wait(1s), mproc::bad_handle_error);
    EXPECT_THROW(a.kill(), mproc::bad_handle_error);
    EXPECT_THROW((void)a.communicate(), mproc::bad_handle_error);
    a.close();  // nothing to close
    EXPECT_EQ(b.wait(30s), 0);
    b.close();
    EXPECT_THROW((void)b.pid(), mproc::bad_handle_error);
}
