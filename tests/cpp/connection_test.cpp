// mproc::Connection and mproc::pipe(): round trips both ways, EOF and broken pipe as
// exceptions, timeouts, poll, one-way pipes, from_fd, and a forked child at the other end.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "mproc/connection.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::seconds_since;
using mproc_test::wait_child;

TEST(CppConnection, DuplexPipeRoundTripsBothWays) {
    auto [a, b] = mproc::pipe();
    a.send_bytes("hello");
    EXPECT_EQ(b.recv_bytes(1s), "hello");
    b.send_bytes(std::string("x\0y", 3));
    EXPECT_EQ(a.recv_bytes(1s), std::string("x\0y", 3));
    a.send_bytes("");
    EXPECT_EQ(b.recv_bytes(1s), "") << "an empty message is a message";
    EXPECT_GE(a.fileno(), 0);
    EXPECT_NE(a.fileno(), b.fileno());
}

TEST(CppConnection, RecvBytesIntoReportsTooBigAndKeepsTheMessage) {
    auto [a, b] = mproc::pipe();
    const std::string big(100000, 'b');
    std::thread sender([&, &a = a] { a.send_bytes(big, 10s); });
    char small[8];
    try {
        (void)b.recv_bytes_into(small, sizeof small, 10s);
        FAIL() << "a too-small buffer did not throw";
    } catch (const mproc::too_big_error &e) {
        EXPECT_EQ(e.code(), MPROC_ETOOBIG);
    }
    std::string buf(big.size(), '\0');
    EXPECT_EQ(b.recv_bytes_into(&buf[0], buf.size(), 10s), big.size());
    EXPECT_EQ(buf, big);
    sender.join();
}

TEST(CppConnection, PollAndTimeouts) {
    auto [a, b] = mproc::pipe();
    EXPECT_FALSE(b.poll());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(b.poll(20ms));
    EXPECT_GE(seconds_since(start), 0.015);
    try {
        (void)b.recv_bytes(10ms);
        FAIL() << "recv_bytes did not time out";
    } catch (const mproc::timeout_error &e) {
        EXPECT_EQ(e.code(), MPROC_ETIMEDOUT);
    }
    a.send_bytes("p");
    EXPECT_TRUE(b.poll(1s));
    EXPECT_EQ(b.recv_bytes(), "p");
}

TEST(CppConnection, ClosedPeerGivesEofAndBrokenPipe) {
    auto [a, b] = mproc::pipe();
    a.send_bytes("last");
    a.close();
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.recv_bytes(1s), "last") << "what was sent before the close still arrives";
    EXPECT_TRUE(b.poll()) << "EOF counts as ready";
    try {
        (void)b.recv_bytes(1s);
        FAIL() << "recv_bytes after the peer closed did not throw";
    } catch (const mproc::eof_error &e) {
        EXPECT_EQ(e.code(), MPROC_EEOF);
    }
    try {
        b.send_bytes("nobody there", 1s);
        FAIL() << "send_bytes to a closed peer did not throw";
    } catch (const mproc::broken_pipe_error &e) {
        EXPECT_EQ(e.code(), MPROC_EPIPE);
    }
    EXPECT_THROW(a.send_bytes("x"), mproc::bad_handle_error);
}

TEST(CppConnection, DestructorClosesTheEnd) {
    auto [a, b] = mproc::pipe();
    { mproc::Connection gone = std::move(a); }
    EXPECT_THROW((void)b.recv_bytes(1s), mproc::eof_error);
}

TEST(CppConnection, OneWayPipeReceivesOnTheFirstEndOnly) {
    auto [reader, writer] = mproc::pipe(false);
    writer.send_bytes("one way");
    EXPECT_EQ(reader.recv_bytes(1s), "one way");
    EXPECT_THROW(reader.send_bytes("back"), mproc::invalid_argument_error);
    EXPECT_THROW((void)writer.recv_bytes(0s), mproc::invalid_argument_error);
}

TEST(CppConnection, FromFdWrapsASocketAndRefusesABadOne) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    mproc::Connection a = mproc::Connection::from_fd(fds[0]);
    mproc::Connection b = mproc::Connection::from_fd(fds[1], true, true);
    EXPECT_EQ(a.fileno(), fds[0]);
    a.send_bytes("wrapped");
    EXPECT_EQ(b.recv_bytes(1s), "wrapped");
    EXPECT_THROW(mproc::Connection::from_fd(-1), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Connection::from_fd(fds[0], false, false), mproc::invalid_argument_error);
}

TEST(CppConnection, CloseWakesABlockedReceive) {
    auto [a, b] = mproc::pipe();
    mproc_test::watchdog dog(50ms, [&b = b] { b.close(); });
    EXPECT_THROW((void)b.recv_bytes(10s), mproc::closed_error);
    EXPECT_TRUE(dog.fired());
    a.close();
}

TEST(CppConnection, ForkedChildEchoesMessages) {
    auto [parent_end, child_end] = mproc::pipe();
    const pid_t pid = fork_child([&parent_end = parent_end, &child_end = child_end] {
        parent_end.close();
        for (;;) {
            std::string m;
            try {
                m = child_end.recv_bytes(10s);
            } catch (const mproc::eof_error &) {
                return 0;
            }
            child_end.send_bytes("echo: " + m, 10s);
        }
    });
    child_end.close();
    for (int i = 0; i < 5; ++i) {
        parent_end.send_bytes(std::to_string(i), 10s);
        EXPECT_EQ(parent_end.recv_bytes(10s), "echo: " + std::to_string(i));
    }
    parent_end.close();
    EXPECT_EQ(wait_child(pid), 0);
}
