// mproc::Queue, SimpleQueue and JoinableQueue: round trips, the full / empty exceptions and
// their try_ spellings, sizing of get(), task counting, and a producer in a forked child.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "mproc/queue.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::seconds_since;
using mproc_test::wait_child;

TEST(CppQueue, PutAndGetRoundTripInOrder) {
    scoped_name<mproc::Queue> name("queue");
    mproc::Queue q = mproc::Queue::create(name, 4, 64);
    EXPECT_EQ(q.maxsize(), 4u);
    EXPECT_EQ(q.max_message_size(), 64u);
    EXPECT_TRUE(q.empty());
    q.put("one");
    q.put(std::string("two\0three", 9));
    q.put("");
    EXPECT_EQ(q.qsize(), 3u);
    EXPECT_EQ(q.get(), "one");
    EXPECT_EQ(q.get(), std::string("two\0three", 9)) << "bytes, not C strings";
    EXPECT_EQ(q.get(), "");
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.name(), name.str());
}

TEST(CppQueue, FullAndEmptyThrowAtTheTimeoutAndTryReturnsFalse) {
    mproc::Queue q = mproc::Queue::create(1, 16);
    q.put("a");
    EXPECT_TRUE(q.full());
    const auto start = std::chrono::steady_clock::now();
    try {
        q.put("b", 30ms);
        FAIL() << "put on a full queue did not throw";
    } catch (const mproc::full_error &e) {
        EXPECT_EQ(e.code(), MPROC_EFULL);
    }
    EXPECT_GE(seconds_since(start), 0.02);
    EXPECT_FALSE(q.try_put("b"));

    EXPECT_EQ(q.get(0s), "a");
    try {
        (void)q.get(10ms);
        FAIL() << "get on an empty queue did not throw";
    } catch (const mproc::empty_error &e) {
        EXPECT_EQ(e.code(), MPROC_EEMPTY);
    }
    std::string out = "unchanged";
    EXPECT_FALSE(q.try_get(out));
    EXPECT_EQ(out, "unchanged");
    EXPECT_TRUE(q.try_put("c"));
    EXPECT_TRUE(q.try_get(out));
    EXPECT_EQ(out, "c");
}

TEST(CppQueue, GetSizesItsStringAndGetIntoReportsTooBig) {
    mproc::Queue q = mproc::Queue::create(4, 100000);
    const std::string big(70000, 'x');
    q.put(big);
    q.put(big.data(), 5);
    char small[4];
    EXPECT_THROW(q.get_into(small, sizeof small, 0s), mproc::too_big_error);
    EXPECT_EQ(q.qsize(), 2u) << "a too-small buffer leaves the message in the queue";
    EXPECT_EQ(q.get(), big);
    char buf[16];
    EXPECT_EQ(q.get_into(buf, sizeof buf), 5u);
    EXPECT_THROW(q.put(std::string(100001, 'y')), mproc::too_big_error);
}

TEST(CppQueue, GetGrowsItsBufferWhenAMessageArrivesWhileWaiting) {
    mproc::Queue q = mproc::Queue::create(2, 4096);
    const std::string message(3000, 'm');
    std::thread producer([&] {
        std::this_thread::sleep_for(20ms);
        q.put(message);
    });
    EXPECT_EQ(q.get(10s), message);
    producer.join();
}

TEST(CppQueue, OpenSharesTheQueueAndErrorsCarryCodes) {
    scoped_name<mproc::Queue> name("shared");
    mproc::Queue a = mproc::Queue::create(name, 2, 8);
    mproc::Queue b = mproc::Queue::open(name);
    a.put("hi");
    EXPECT_EQ(b.get(0s), "hi");
    EXPECT_THROW(mproc::Queue::create(name, 2, 8), mproc::exists_error);
    mproc::Queue c = mproc::Queue::create_or_open(name, 99, 99);
    EXPECT_EQ(c.maxsize(), 2u) << "an existing queue keeps its sizes";
    EXPECT_THROW(mproc::Queue::create(0, 8), mproc::invalid_argument_error);
    try {
        mproc::Queue::open(mproc_test::unique_name("missing"));
        FAIL();
    } catch (const mproc::not_found_error &e) {
        EXPECT_EQ(e.code(), MPROC_ENOTFOUND);
    }
}

TEST(CppQueue, CloseAndMoveLeaveNoHandle) {
    mproc::Queue q = mproc::Queue::create(1, 8);
    mproc::Queue moved = std::move(q);
    EXPECT_FALSE(q.valid());
    EXPECT_THROW(q.put("x"), mproc::bad_handle_error);
    EXPECT_TRUE(moved.valid());
    moved.close();
    EXPECT_FALSE(moved.valid());
    EXPECT_THROW((void)moved.qsize(), mproc::bad_handle_error);
}

TEST(CppQueue, CloseWakesABlockedGetWithClosedError) {
    mproc::Queue q = mproc::Queue::create(1, 8);
    mproc_test::watchdog dog(50ms, [&] { q.close(); });
    EXPECT_THROW((void)q.get(10s), mproc::closed_error);
    EXPECT_TRUE(dog.fired());
}

TEST(CppJoinableQueue, JoinWaitsForTaskDone) {
    mproc::JoinableQueue q = mproc::JoinableQueue::create(4, 16);
    EXPECT_TRUE(q.join(0s)) << "nothing put, nothing to wait for";
    q.put("job");
    EXPECT_FALSE(q.join(10ms));
    EXPECT_EQ(q.get(), "job");
    q.task_done();
    EXPECT_TRUE(q.join(1s));
    EXPECT_THROW(q.task_done(), mproc::overflow_error);

    mproc::Queue plain = mproc::Queue::create(1, 8);
    EXPECT_THROW(mproc::JoinableQueue::open(plain.name()).task_done(), mproc::kind_error);
}

TEST(CppSimpleQueue, IsAQueue) {
    scoped_name<mproc::SimpleQueue> name("simple");
    mproc::SimpleQueue q = mproc::SimpleQueue::create(name, 2, 8);
    q.put("s");
    mproc::Queue opened = mproc::Queue::open(name);
    EXPECT_EQ(opened.get(0s), "s");
}

TEST(CppJoinableQueue, ForkedChildProducesAndParentJoins) {
    scoped_name<mproc::JoinableQueue> name("fork");
    mproc::JoinableQueue q = mproc::JoinableQueue::create(name, 4, 32);
    const pid_t pid = fork_child([&] {
        mproc::JoinableQueue child = mproc::JoinableQueue::open(name);
        for (int i = 0; i < 10; ++i)
            child.put("item " + std::to_string(i), 10s);
        return child.join(10s) ? 0 : 1;
    });
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(q.get(10s), "item " + std::to_string(i));
        q.task_done();
    }
    EXPECT_EQ(wait_child(pid), 0);
}
