// Queue, SimpleQueue and JoinableQueue: FIFO order, sizes at the edges, too-small buffers,
// timeouts, blocked calls released by other threads and processes, zero-copy reserve /
// commit / cancel and borrow / give_back, wrap-around, opening by name, anonymous queues,
// task_done / join, close() with a blocked caller, corrupt headers, and many producers and
// consumers at once.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "queue/queue.hpp"
#include "queue/queue_layout.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kClosed;
using mproc::core::kEmpty;
using mproc::core::kFull;
using mproc::core::kInvalid;
using mproc::core::kKind;
using mproc::core::kOk;
using mproc::core::kOverflow;
using mproc::core::kTimedOut;
using mproc::core::kTooBig;
using mproc::core::kVersion;
using mproc::core::queue::kMaxMessage;
using mproc::core::queue::kMaxSize;
using mproc::core::queue::Queue;
using mproc::core::queue::QueueFlavor;
using mproc::core::queue::QueueLayout;
using mproc::core::shm::CreateOptions;
using mproc::core::shm::ObjectHeader;

namespace {

// `len` bytes that depend on `seed`, so that a message in the wrong place or a torn copy
// shows.
std::string pattern(std::size_t len, std::uint32_t seed) {
    std::string s(len, '\0');
    for (std::size_t i = 0; i < len; ++i)
        s[i] = static_cast<char>((seed * 131u + i * 7u + (seed >> 8)) & 0xffu);
    return s;
}

Status put_string(Queue &q, const std::string &s, double timeout) {
    return q.put(s.empty() ? nullptr : s.data(), s.size(), after(timeout));
}

struct Got {
    Status status;
    std::string data;  // the message, if status is kOk
    std::size_t len;   // as get left it (its size on kOk and kTooBig)
};

// A get into a buffer of `cap` bytes (nullptr if cap is 0).
Got get_string(Queue &q, std::size_t cap, double timeout) {
    std::string buf(cap, '\0');
    std::size_t len = SIZE_MAX;
    Status status = q.get(cap == 0 ? nullptr : buf.data(), cap, &len, after(timeout));
    if (status == kOk) buf.resize(len);
    return {status, status == kOk ? buf : std::string(), len};
}

Queue make_queue(Names &names, const char *tag, std::uint64_t maxsize, std::uint64_t max_message,
                 QueueFlavor flavor = QueueFlavor::kQueue) {
    return Queue::create(names.make(tag), maxsize, max_message, flavor, CreateOptions{});
}

}  // namespace

// ---- Order, sizes, buffers ----------------------------------------------------------------

TEST(Queue, MessagesComeOutInTheOrderTheyWerePut) {
    Names names;
    Queue q = make_queue(names, "fifo", 16, 32);
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(put_string(q, "message " + std::to_string(i), 0), kOk);
    EXPECT_EQ(q.qsize(), 10u);
    for (int i = 0; i < 10; ++i) {
        Got got = get_string(q, 32, 0);
        ASSERT_EQ(got.status, kOk);
        EXPECT_EQ(got.data, "message " + std::to_string(i));
        EXPECT_EQ(q.qsize(), static_cast<std::uint64_t>(9 - i));
    }
    EXPECT_EQ(get_string(q, 32, 0).status, kEmpty);
}

TEST(Queue, ZeroOneAndMaxSizeMessagesRoundTrip) {
    Names names;
    constexpr std::size_t kMax = 1000;
    Queue q = make_queue(names, "sizes", 4, kMax);
    const std::string one = "x";
    const std::string full = pattern(kMax, 1);

    ASSERT_EQ(q.put(nullptr, 0, after(0)), kOk);
    ASSERT_EQ(put_string(q, one, 0), kOk);
    ASSERT_EQ(put_string(q, full, 0), kOk);
    EXPECT_EQ(q.qsize(), 3u);

    Got empty_message = get_string(q, 0, 0);
    ASSERT_EQ(empty_message.status, kOk);
    EXPECT_EQ(empty_message.len, 0u);
    Got got_one = get_string(q, 1, 0);
    ASSERT_EQ(got_one.status, kOk);
    EXPECT_EQ(got_one.data, one);
    Got got_full = get_string(q, kMax, 0);
    ASSERT_EQ(got_full.status, kOk);
    EXPECT_EQ(got_full.len, kMax);
    EXPECT_TRUE(got_full.data == full) << "the max-size message came back changed";

    // A 0-byte message into a large buffer is still 0 bytes.
    ASSERT_EQ(q.put(nullptr, 0, after(0)), kOk);
    Got zero_in_big = get_string(q, kMax, 0);
    ASSERT_EQ(zero_in_big.status, kOk);
    EXPECT_EQ(zero_in_big.len, 0u);
    EXPECT_EQ(q.qsize(), 0u);
}

TEST(Queue, PutOverMaxMessageSizeIsTooBigAndQueuesNothing) {
    Names names;
    Queue q = make_queue(names, "too_big_put", 4, 100);
    const std::string big = pattern(101, 2);
    EXPECT_EQ(put_string(q, big, 0), kTooBig);
    EXPECT_EQ(put_string(q, big, -1), kTooBig) << "no wait can make it fit";
    EXPECT_EQ(q.qsize(), 0u);
    void *slot = nullptr;
    EXPECT_EQ(q.reserve(101, after(0), &slot), kTooBig);
    EXPECT_EQ(slot, nullptr);
    EXPECT_EQ(q.qsize(), 0u);
    EXPECT_EQ(get_string(q, 200, 0).status, kEmpty);
}

TEST(Queue, GetWithASmallBufferIsTooBigAndLeavesTheMessageQueued) {
    Names names;
    Queue q = make_queue(names, "small_buf", 4, 64);
    ASSERT_EQ(put_string(q, "abcdef", 0), kOk);
    ASSERT_EQ(put_string(q, "xy", 0), kOk);

    Got small = get_string(q, 3, 0);
    EXPECT_EQ(small.status, kTooBig);
    EXPECT_EQ(small.len, 6u) << "kTooBig tells the message's size";
    Got none = get_string(q, 0, 0);
    EXPECT_EQ(none.status, kTooBig);
    EXPECT_EQ(none.len, 6u);
    EXPECT_EQ(get_string(q, 5, -1).status, kTooBig) << "a blocking get does not wait either";
    EXPECT_EQ(q.qsize(), 2u);
    std::size_t next = 0;
    EXPECT_EQ(q.next_size(&next), kOk);
    EXPECT_EQ(next, 6u);

    Got first = get_string(q, 6, 0);
    ASSERT_EQ(first.status, kOk);
    EXPECT_EQ(first.data, "abcdef");
    Got second = get_string(q, 64, 0);
    ASSERT_EQ(second.status, kOk);
    EXPECT_EQ(second.data, "xy");
}

// ---- Timeouts -------------------------------------------------------------------------------

TEST(Queue, PutOnAFullQueueIsFullAtOnceOrAfterItsTimeout) {
    Names names;
    Queue q = make_queue(names, "full", 2, 8);
    ASSERT_EQ(put_string(q, "1", 0), kOk);
    ASSERT_EQ(put_string(q, "2", 0), kOk);

    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(put_string(q, "3", 0), kFull);
    EXPECT_LT(seconds_since(start), 0.5);

    start = std::chrono::steady_clock::now();
    EXPECT_EQ(put_string(q, "3", 0.2), kFull);
    const double waited = seconds_since(start);
    EXPECT_GE(waited, 0.19);
    EXPECT_LT(waited, 2.0);

    EXPECT_EQ(q.qsize(), 2u);
    EXPECT_EQ(get_string(q, 8, 0).data, "1");
    EXPECT_EQ(get_string(q, 8, 0).data, "2");
    EXPECT_EQ(get_string(q, 8, 0).status, kEmpty);
}

TEST(Queue, GetOnAnEmptyQueueIsEmptyAtOnceOrAfterItsTimeout) {
    Names names;
    Queue q = make_queue(names, "empty", 2, 8);
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(get_string(q, 8, 0).status, kEmpty);
    EXPECT_LT(seconds_since(start), 0.5);

    start = std::chrono::steady_clock::now();
    EXPECT_EQ(get_string(q, 8, 0.2).status, kEmpty);
    const double waited = seconds_since(start);
    EXPECT_GE(waited, 0.19);
    EXPECT_LT(waited, 2.0);

    const void *data = nullptr;
    std::size_t len = 0;
    start = std::chrono::steady_clock::now();
    EXPECT_EQ(q.borrow(after(0.1), &data, &len), kEmpty);
    EXPECT_GE(seconds_since(start), 0.09);
    std::size_t next = 0;
    EXPECT_EQ(q.next_size(&next), kEmpty);
}

TEST(Queue, GetTimesOutInAnotherProcessWhileTheQueueIsEmpty) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("cross_timeout");
    Queue q = Queue::create(name, 2, 8, QueueFlavor::kQueue, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Queue mine = Queue::open(name);
        if (get_string(mine, 8, 0).status != kEmpty) return 1;
        const auto start = std::chrono::steady_clock::now();
        if (get_string(mine, 8, 0.1).status != kEmpty) return 2;
        return seconds_since(start) >= 0.09 ? 0 : 3;
    }));
    EXPECT_EQ(wait_child(child), 0);
}

// ---- Blocked calls released by other threads and processes ------------------------------

TEST(Queue, BlockedPutIsReleasedByAGetInAnotherThread) {
    Names names;
    Queue q = make_queue(names, "put_thread", 1, 8);
    ASSERT_EQ(put_string(q, "a", 0), kOk);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::thread producer([&] {
        tid = current_tid();
        result = put_string(q, "b", 10);
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    EXPECT_EQ(result.load(), 1) << "the put did not wait for room";
    EXPECT_EQ(get_string(q, 8, 0).data, "a");
    producer.join();
    EXPECT_EQ(result.load(), kOk);
    EXPECT_EQ(get_string(q, 8, 0).data, "b");
}

TEST(Queue, BlockedGetIsReleasedByAPutInAnotherThread) {
    Names names;
    Queue q = make_queue(names, "get_thread", 2, 8);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::string received;
    std::thread consumer([&] {
        tid = current_tid();
        Got got = get_string(q, 8, 10);
        received = got.data;
        result = got.status;
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    EXPECT_EQ(result.load(), 1) << "the get did not wait for a message";
    ASSERT_EQ(put_string(q, "hello", 0), kOk);
    consumer.join();
    EXPECT_EQ(result.load(), kOk);
    EXPECT_EQ(received, "hello");
}

TEST(Queue, BlockedGetInAnotherProcessIsReleasedByAPut) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("get_proc");
    Queue q = Queue::create(name, 2, 16, QueueFlavor::kQueue, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Queue mine = Queue::open(name);
        stage->store(1);
        Got got = get_string(mine, 16, 10);
        if (got.status != kOk) return 1;
        return got.data == "from parent" ? 0 : 2;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    wait_until_sleeping(static_cast<std::uint32_t>(child));
    ASSERT_EQ(put_string(q, "from parent", 0), kOk);
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(q.qsize(), 0u);
}

TEST(Queue, BlockedPutInAnotherProcessIsReleasedByAGet) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("put_proc");
    Queue q = Queue::create(name, 1, 16, QueueFlavor::kQueue, CreateOptions{});
    ASSERT_EQ(put_string(q, "first", 0), kOk);
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Queue mine = Queue::open(name);
        if (put_string(mine, "x", 0) != kFull) return 1;
        stage->store(1);
        if (put_string(mine, "second", 10) != kOk) return 2;
        return 0;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    wait_until_sleeping(static_cast<std::uint32_t>(child));
    EXPECT_EQ(get_string(q, 16, 0).data, "first");
    EXPECT_EQ(wait_child(child), 0);
    Got got = get_string(q, 16, 5);
    EXPECT_EQ(got.status, kOk);
    EXPECT_EQ(got.data, "second");
}

// ---- Sizes and snapshots ------------------------------------------------------------------

TEST(Queue, NextSizeTellsTheHeadMessageWithoutTakingIt) {
    Names names;
    Queue q = make_queue(names, "next_size", 4, 32);
    std::size_t len = 12345;
    EXPECT_EQ(q.next_size(&len), kEmpty);
    ASSERT_EQ(put_string(q, "12345", 0), kOk);
    ASSERT_EQ(put_string(q, "1234567", 0), kOk);
    ASSERT_EQ(q.put(nullptr, 0, after(0)), kOk);
    EXPECT_EQ(q.next_size(&len), kOk);
    EXPECT_EQ(len, 5u);
    EXPECT_EQ(q.next_size(&len), kOk) << "next_size takes nothing";
    EXPECT_EQ(len, 5u);
    EXPECT_EQ(q.qsize(), 3u);
    EXPECT_EQ(get_string(q, 32, 0).data, "12345");
    EXPECT_EQ(q.next_size(&len), kOk);
    EXPECT_EQ(len, 7u);
    EXPECT_EQ(get_string(q, 32, 0).data, "1234567");
    len = 99;
    EXPECT_EQ(q.next_size(&len), kOk);
    EXPECT_EQ(len, 0u);
    EXPECT_EQ(get_string(q, 32, 0).status, kOk);
    EXPECT_EQ(q.next_size(&len), kEmpty);
}

TEST(Queue, QsizeAndMaxsizeDescribeTheQueue) {
    Names names;
    Queue q = make_queue(names, "sizes", 5, 77);
    EXPECT_EQ(q.maxsize(), 5u);
    EXPECT_EQ(q.max_message(), 77u);
    EXPECT_EQ(q.flavor(), QueueFlavor::kQueue);
    EXPECT_EQ(q.qsize(), 0u);
    for (unsigned i = 1; i <= 5; ++i) {
        ASSERT_EQ(put_string(q, "m", 0), kOk);
        EXPECT_EQ(q.qsize(), i);
    }
    EXPECT_EQ(put_string(q, "m", 0), kFull);
    EXPECT_EQ(q.qsize(), 5u);
    for (unsigned i = 5; i > 0; --i) {
        ASSERT_EQ(get_string(q, 1, 0).status, kOk);
        EXPECT_EQ(q.qsize(), i - 1);
    }

    Queue simple = make_queue(names, "simple", 3, 9, QueueFlavor::kSimple);
    EXPECT_EQ(simple.flavor(), QueueFlavor::kSimple);
    EXPECT_EQ(simple.maxsize(), 3u);
    EXPECT_EQ(simple.max_message(), 9u);
    ASSERT_EQ(put_string(simple, "simple", 0), kOk);
    EXPECT_EQ(get_string(simple, 9, 0).data, "simple");

    Queue joinable = make_queue(names, "joinable", 2, 4, QueueFlavor::kJoinable);
    EXPECT_EQ(joinable.flavor(), QueueFlavor::kJoinable);
}

TEST(Queue, CreateChecksItsSizesAndLeavesNothingOnFailure) {
    Names names;
    const std::string name = names.make("create_sizes");
    auto create = [&](std::uint64_t maxsize, std::uint64_t max_message) {
        return status_of([&] {
            Queue::create(name, maxsize, max_message, QueueFlavor::kQueue, CreateOptions{});
        });
    };
    EXPECT_EQ(create(0, 8), kInvalid);
    EXPECT_EQ(create(8, 0), kInvalid);
    EXPECT_EQ(create(kMaxSize + 1, 8), kTooBig);
    EXPECT_EQ(create(8, kMaxMessage + 1), kTooBig);
    EXPECT_EQ(create(kMaxSize, kMaxMessage), kTooBig) << "2^50 bytes is over 2^40";
    EXPECT_EQ(create(UINT64_MAX, UINT64_MAX), kTooBig);
    EXPECT_FALSE(shm_file_exists(name));
    EXPECT_EQ(create(1, 1), kOk);
    EXPECT_TRUE(shm_file_exists(name));
}

// ---- Zero copy ----------------------------------------------------------------------------

TEST(Queue, ReserveAndCommitPublishAMessageWrittenInPlace) {
    Names names;
    Queue q = make_queue(names, "reserve", 4, 64);
    void *slot = nullptr;
    ASSERT_EQ(q.reserve(11, after(0), &slot), kOk);
    ASSERT_NE(slot, nullptr);
    std::memcpy(slot, "zero copy!!", 11);
    // Not visible until committed.
    EXPECT_EQ(get_string(q, 64, 0).status, kEmpty);
    std::size_t len = 0;
    EXPECT_EQ(q.next_size(&len), kEmpty);
    ASSERT_EQ(q.commit(slot), kOk);
    EXPECT_EQ(q.next_size(&len), kOk);
    EXPECT_EQ(len, 11u);
    EXPECT_EQ(q.commit(slot), kInvalid) << "committed twice";
    Got got = get_string(q, 64, 0);
    ASSERT_EQ(got.status, kOk);
    EXPECT_EQ(got.data, "zero copy!!");
    EXPECT_EQ(q.commit(slot), kInvalid) << "committed after it was taken";

    // A zero-byte reservation is a zero-byte message.
    void *empty_slot = nullptr;
    ASSERT_EQ(q.reserve(0, after(0), &empty_slot), kOk);
    EXPECT_NE(empty_slot, nullptr);
    ASSERT_EQ(q.commit(empty_slot), kOk);
    Got zero = get_string(q, 64, 0);
    EXPECT_EQ(zero.status, kOk);
    EXPECT_EQ(zero.len, 0u);
}

TEST(Queue, AReservedSlotKeepsItsPlaceAheadOfLaterPuts) {
    Names names;
    Queue q = make_queue(names, "reserve_order", 4, 16);
    void *slot = nullptr;
    ASSERT_EQ(q.reserve(5, after(0), &slot), kOk);
    ASSERT_EQ(put_string(q, "later", 0), kOk);
    // The consumer waits for the head, even though a later message is ready.
    EXPECT_EQ(get_string(q, 16, 0).status, kEmpty);
    EXPECT_EQ(get_string(q, 16, 0.05).status, kEmpty);
    std::memcpy(slot, "first", 5);
    ASSERT_EQ(q.commit(slot), kOk);
    EXPECT_EQ(get_string(q, 16, 0).data, "first");
    EXPECT_EQ(get_string(q, 16, 0).data, "later");
}

TEST(Queue, ACancelledSlotIsSkippedAndTheOthersKeepTheirOrder) {
    Names names;
    Queue q = make_queue(names, "cancel", 8, 16);
    void *a = nullptr, *b = nullptr;
    ASSERT_EQ(put_string(q, "one", 0), kOk);
    ASSERT_EQ(q.reserve(8, after(0), &a), kOk);
    ASSERT_EQ(put_string(q, "three", 0), kOk);
    ASSERT_EQ(q.reserve(8, after(0), &b), kOk);
    ASSERT_EQ(put_string(q, "five", 0), kOk);
    ASSERT_EQ(q.cancel(a), kOk);
    EXPECT_EQ(q.cancel(a), kInvalid) << "cancelled twice";
    EXPECT_EQ(q.commit(a), kInvalid) << "committed after cancel";
    std::memcpy(b, "four", 4);
    ASSERT_EQ(q.cancel(b), kOk);

    EXPECT_EQ(get_string(q, 16, 0).data, "one");
    EXPECT_EQ(get_string(q, 16, 0).data, "three");
    EXPECT_EQ(get_string(q, 16, 0).data, "five");
    EXPECT_EQ(get_string(q, 16, 0).status, kEmpty);
    EXPECT_EQ(q.qsize(), 0u);

    // A cancelled slot's room is given back: the queue holds its full capacity again.
    for (int i = 0; i < 8; ++i)
        ASSERT_EQ(put_string(q, std::to_string(i), 0), kOk) << i;
    EXPECT_EQ(put_string(q, "x", 0), kFull);
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(get_string(q, 16, 0).data, std::to_string(i));
}

TEST(Queue, CancelReleasesAConsumerWaitingBehindTheSlot) {
    Names names;
    Queue q = make_queue(names, "cancel_wakes", 4, 16);
    void *slot = nullptr;
    ASSERT_EQ(q.reserve(4, after(0), &slot), kOk);
    ASSERT_EQ(put_string(q, "behind", 0), kOk);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::string received;
    std::thread consumer([&] {
        tid = current_tid();
        Got got = get_string(q, 16, 10);
        received = got.data;
        result = got.status;
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    EXPECT_EQ(result.load(), 1);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(q.cancel(slot), kOk);
    consumer.join();
    EXPECT_LT(seconds_since(start), 2.0);
    EXPECT_EQ(result.load(), kOk);
    EXPECT_EQ(received, "behind");
}

// The contract: next_size is the size of the message a get would take now. A get passes
// over a cancelled head, so next_size must too.
TEST(Queue, NextSizeLooksPastACancelledHead) {
    Names names;
    Queue q = make_queue(names, "next_after_cancel", 4, 16);
    void *slot = nullptr;
    ASSERT_EQ(q.reserve(4, after(0), &slot), kOk);
    ASSERT_EQ(put_string(q, "abc", 0), kOk);
    ASSERT_EQ(q.cancel(slot), kOk);
    std::size_t len = 0;
    EXPECT_EQ(q.next_size(&len), kOk) << "a get would take 'abc' now";
    EXPECT_EQ(len, 3u);
    Got got = get_string(q, 16, 0);
    EXPECT_EQ(got.status, kOk);
    EXPECT_EQ(got.data, "abc");
}

TEST(Queue, BorrowLendsTheMessageInPlaceUntilGivenBack) {
    Names names;
    Queue q = make_queue(names, "borrow", 1, 16);
    ASSERT_EQ(put_string(q, "hello", 0), kOk);
    const void *data = nullptr;
    std::size_t len = 0;
    ASSERT_EQ(q.borrow(after(0), &data, &len), kOk);
    ASSERT_NE(data, nullptr);
    ASSERT_EQ(len, 5u);
    EXPECT_EQ(std::string(static_cast<const char *>(data), len), "hello");
    EXPECT_EQ(q.qsize(), 0u) << "borrowed is taken";
    EXPECT_EQ(get_string(q, 16, 0).status, kEmpty);
    // The slot is still in use: no room for a new message yet.
    EXPECT_EQ(put_string(q, "next", 0), kFull);
    ASSERT_EQ(q.give_back(data), kOk);
    EXPECT_EQ(q.give_back(data), kInvalid) << "given back twice";
    ASSERT_EQ(put_string(q, "next", 0), kOk);
    EXPECT_EQ(get_string(q, 16, 0).data, "next");
}

TEST(Queue, BorrowOfAZeroByteMessage) {
    Names names;
    Queue q = make_queue(names, "borrow_zero", 2, 16);
    ASSERT_EQ(q.put(nullptr, 0, after(0)), kOk);
    const void *data = nullptr;
    std::size_t len = 99;
    ASSERT_EQ(q.borrow(after(0), &data, &len), kOk);
    EXPECT_EQ(len, 0u);
    EXPECT_EQ(q.give_back(data), kOk);
}

TEST(Queue, CommitCancelAndGiveBackRefuseBogusPointers) {
    Names names;
    Queue q = make_queue(names, "bogus", 4, 40);
    int on_stack = 0;
    void *a = nullptr, *b = nullptr;
    ASSERT_EQ(q.reserve(4, after(0), &a), kOk);
    ASSERT_EQ(q.reserve(4, after(0), &b), kOk);
    const std::ptrdiff_t stride = static_cast<unsigned char *>(b) - static_cast<unsigned char *>(a);
    ASSERT_GT(stride, 40);
    auto *a_bytes = static_cast<unsigned char *>(a);
    std::vector<void *> bogus = {
        nullptr,
        &on_stack,
        a_bytes + 1,
        a_bytes - 1,
        a_bytes - 32,          // the slot's header, not its payload
        a_bytes + stride / 2,  // inside a slot
        a_bytes + 4 * stride,  // one past the last slot
        a_bytes + 1000 * stride,
    };
    for (void *p : bogus) {
        EXPECT_EQ(q.commit(p), kInvalid) << p;
        EXPECT_EQ(q.cancel(p), kInvalid) << p;
        EXPECT_EQ(q.give_back(p), kInvalid) << p;
    }
    // A reserved slot is not borrowed; a slot not reserved is neither.
    EXPECT_EQ(q.give_back(a), kInvalid);
    void *never_reserved = a_bytes + 3 * stride;
    EXPECT_EQ(q.commit(never_reserved), kInvalid);
    EXPECT_EQ(q.cancel(never_reserved), kInvalid);
    EXPECT_EQ(q.give_back(never_reserved), kInvalid);

    std::memcpy(a, "AAAA", 4);
    std::memcpy(b, "BBBB", 4);
    ASSERT_EQ(q.commit(a), kOk);
    ASSERT_EQ(q.commit(b), kOk);
    // Published but not borrowed: give_back refuses, commit and cancel too.
    EXPECT_EQ(q.give_back(a), kInvalid);
    EXPECT_EQ(q.cancel(a), kInvalid);

    const void *data = nullptr;
    std::size_t len = 0;
    ASSERT_EQ(q.borrow(after(0), &data, &len), kOk);
    EXPECT_EQ(data, a);
    // A borrowed slot is not reserved; b is published but not borrowed.
    EXPECT_EQ(q.commit(const_cast<void *>(data)), kInvalid);
    EXPECT_EQ(q.cancel(const_cast<void *>(data)), kInvalid);
    EXPECT_EQ(q.give_back(b), kInvalid);
    EXPECT_EQ(q.give_back(data), kOk);
    // Nothing above disturbed the queue.
    EXPECT_EQ(get_string(q, 40, 0).data, "BBBB");
    EXPECT_EQ(get_string(q, 40, 0).status, kEmpty);
}

TEST(Queue, SlotsReservedOrBorrowedByAnotherProcessAreRefused) {
    Names names;
    ChildReaper reaper;
    Queue q = make_queue(names, "foreign_slots", 4, 16);
    void *reserved = nullptr;
    ASSERT_EQ(q.reserve(3, after(0), &reserved), kOk);
    std::memcpy(reserved, "res", 3);
    // The child inherits the mapping at the same address, so the pointer is meaningful
    // there, but the slot is the parent's.
    pid_t child = reaper.add(run_in_child([&] {
        if (q.commit(reserved) != kInvalid) return 1;
        if (q.cancel(reserved) != kInvalid) return 2;
        return 0;
    }));
    EXPECT_EQ(wait_child(child), 0);
    ASSERT_EQ(q.commit(reserved), kOk);

    const void *borrowed = nullptr;
    std::size_t len = 0;
    ASSERT_EQ(q.borrow(after(0), &borrowed, &len), kOk);
    EXPECT_EQ(len, 3u);
    child = reaper.add(run_in_child([&] { return q.give_back(borrowed) == kInvalid ? 0 : 1; }));
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(q.give_back(borrowed), kOk);
    EXPECT_EQ(q.qsize(), 0u);
}

TEST(Queue, ZeroCopyWorksAcrossProcesses) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("zero_copy_proc");
    Queue q = Queue::create(name, 2, 64, QueueFlavor::kQueue, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Queue mine = Queue::open(name);
        for (int i = 0; i < 100; ++i) {
            const std::string msg = pattern(static_cast<std::size_t>(i % 65), i);
            void *slot = nullptr;
            if (mine.reserve(msg.size(), after(10), &slot) != kOk) return 1;
            if (!msg.empty()) std::memcpy(slot, msg.data(), msg.size());
            if (mine.commit(slot) != kOk) return 2;
        }
        return 0;
    }));
    for (int i = 0; i < 100; ++i) {
        const void *data = nullptr;
        std::size_t len = 0;
        ASSERT_EQ(q.borrow(after(10), &data, &len), kOk) << i;
        EXPECT_EQ(std::string(static_cast<const char *>(data), len),
                  pattern(static_cast<std::size_t>(i % 65), i))
            << i;
        ASSERT_EQ(q.give_back(data), kOk);
    }
    EXPECT_EQ(wait_child(child), 0);
}

// ---- Wrap-around ------------------------------------------------------------------------

TEST(Queue, WrapsAroundManyTimesBetweenThreads) {
    Names names;
    constexpr int kMessages = 10000;
    constexpr std::size_t kMax = 40;
    Queue q = make_queue(names, "wrap_threads", 3, kMax);
    std::atomic<int> put_failures{0};
    std::thread producer([&] {
        for (int i = 0; i < kMessages; ++i) {
            if (put_string(q, pattern(static_cast<std::size_t>(i) % (kMax + 1), i), 10) != kOk)
                put_failures.fetch_add(1);
        }
    });
    int mismatches = 0;
    for (int i = 0; i < kMessages; ++i) {
        Got got = get_string(q, kMax, 10);
        if (got.status != kOk) {
            ADD_FAILURE() << "get " << i << ": " << got.status;
            break;
        }
        if (got.data != pattern(static_cast<std::size_t>(i) % (kMax + 1), i)) ++mismatches;
    }
    producer.join();
    EXPECT_EQ(put_failures.load(), 0);
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(q.qsize(), 0u);
}

TEST(Queue, WrapsAroundManyTimesInOneThread) {
    Names names;
    Queue q = make_queue(names, "wrap_one", 3, 8);
    for (int i = 0; i < 10000; ++i) {
        // Fill and drain a varying amount, so the head and tail meet at every slot.
        const int batch = 1 + i % 3;
        for (int k = 0; k < batch; ++k)
            ASSERT_EQ(put_string(q, std::to_string(i * 3 + k), 0), kOk) << i;
        for (int k = 0; k < batch; ++k)
            ASSERT_EQ(get_string(q, 8, 0).data, std::to_string(i * 3 + k)) << i;
        ASSERT_EQ(q.qsize(), 0u);
    }
}

TEST(Queue, WrapsAroundManyTimesBetweenProcesses) {
    Names names;
    ChildReaper reaper;
    constexpr int kMessages = 10000;
    constexpr std::size_t kMax = 24;
    const std::string name = names.make("wrap_procs");
    Queue q = Queue::create(name, 3, kMax, QueueFlavor::kQueue, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Queue mine = Queue::open(name);
        for (int i = 0; i < kMessages; ++i) {
            if (put_string(mine, pattern(static_cast<std::size_t>(i) % (kMax + 1), i), 10) != kOk)
                return 1;
        }
        return 0;
    }));
    int mismatches = 0;
    for (int i = 0; i < kMessages; ++i) {
        Got got = get_string(q, kMax, 10);
        if (got.status != kOk) {
            ADD_FAILURE() << "get " << i << ": " << got.status;
            break;
        }
        if (got.data != pattern(static_cast<std::size_t>(i) % (kMax + 1), i)) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(wait_child(child, 30s), 0);
}

// ---- Names --------------------------------------------------------------------------------

TEST(Queue, ASecondHandleOpenedByNameSharesTheMessages) {
    Names names;
    const std::string name = names.make("two_handles");
    Queue q = Queue::create(name, 4, 20, QueueFlavor::kJoinable, CreateOptions{});
    Queue other = Queue::open(name);
    EXPECT_EQ(other.name(), name);
    EXPECT_EQ(other.maxsize(), 4u);
    EXPECT_EQ(other.max_message(), 20u);
    EXPECT_EQ(other.flavor(), QueueFlavor::kJoinable);
    ASSERT_EQ(put_string(q, "via q", 0), kOk);
    ASSERT_EQ(put_string(other, "via other", 0), kOk);
    EXPECT_EQ(q.qsize(), 2u);
    EXPECT_EQ(other.qsize(), 2u);
    EXPECT_EQ(get_string(other, 20, 0).data, "via q");
    EXPECT_EQ(get_string(q, 20, 0).data, "via other");
    EXPECT_EQ(q.task_done(), kOk);
    EXPECT_EQ(other.task_done(), kOk);
    EXPECT_EQ(q.join(after(0)), kOk);
}

TEST(Queue, AForkedChildOpensItByNameAndTalksBack) {
    Names names;
    ChildReaper reaper;
    const std::string requests = names.make("requests");
    const std::string replies = names.make("replies");
    Queue in = Queue::create(requests, 4, 32, QueueFlavor::kQueue, CreateOptions{});
    Queue out = Queue::create(replies, 4, 32, QueueFlavor::kQueue, CreateOptions{});
    pid_t child = reaper.add(run_in_child([&] {
        Queue req = Queue::open(requests);
        Queue rep = Queue::open(replies);
        if (req.maxsize() != 4 || req.max_message() != 32) return 1;
        for (;;) {
            Got got = get_string(req, 32, 10);
            if (got.status != kOk) return 2;
            if (got.data == "stop") return 0;
            if (put_string(rep, "echo " + got.data, 10) != kOk) return 3;
        }
    }));
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(put_string(in, std::to_string(i), 10), kOk);
        Got got = get_string(out, 32, 10);
        ASSERT_EQ(got.status, kOk);
        EXPECT_EQ(got.data, "echo " + std::to_string(i));
    }
    ASSERT_EQ(put_string(in, "stop", 10), kOk);
    EXPECT_EQ(wait_child(child), 0);
}

TEST(Queue, OpeningAMissingNameIsNotFound) {
    Names names;
    const std::string name = names.make("missing");
    EXPECT_EQ(status_of([&] { Queue::open(name); }), mproc::core::kNotFound);
    EXPECT_EQ(status_of([&] { Queue::unlink(name); }), mproc::core::kNotFound);
}

TEST(Queue, AnonymousQueueIsReachableByItsNameUntilTheCreatorDropsIt) {
    Names names;
    ChildReaper reaper;
    std::optional<Queue> q;
    q.emplace(Queue::create("", 4, 16, QueueFlavor::kQueue, CreateOptions{}));
    const std::string name = q->name();
    names.adopt(name);
    ASSERT_FALSE(name.empty());
    EXPECT_TRUE(shm_file_exists(name));
    pid_t child = reaper.add(run_in_child([&] {
        Queue mine = Queue::open(name);
        if (put_string(mine, "by name", 5) != kOk) return 1;
        if (put_string(*q, "inherited", 5) != kOk) return 2;  // the inherited handle
        return 0;
    }));
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(get_string(*q, 16, 0).data, "by name");
    EXPECT_EQ(get_string(*q, 16, 0).data, "inherited");
    EXPECT_TRUE(shm_file_exists(name)) << "a child's exit does not remove the name";
    {
        Queue again = Queue::open(name);
        EXPECT_EQ(again.maxsize(), 4u);
    }
    q.reset();
    EXPECT_FALSE(shm_file_exists(name));
    EXPECT_EQ(status_of([&] { Queue::open(name); }), mproc::core::kNotFound);
}

// ---- JoinableQueue ------------------------------------------------------------------------

TEST(JoinableQueue, JoinWaitsUntilEveryMessageIsMarkedDone) {
    Names names;
    Queue q = make_queue(names, "join", 4, 8, QueueFlavor::kJoinable);
    EXPECT_EQ(q.join(after(0)), kOk) << "nothing was put";
    EXPECT_EQ(q.task_done(), kOverflow);
    ASSERT_EQ(put_string(q, "a", 0), kOk);
    ASSERT_EQ(put_string(q, "b", 0), kOk);

    EXPECT_EQ(q.join(after(0)), kTimedOut);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(q.join(after(0.1)), kTimedOut);
    const double waited = seconds_since(start);
    EXPECT_GE(waited, 0.09);
    EXPECT_LT(waited, 2.0);

    ASSERT_EQ(get_string(q, 8, 0).status, kOk);
    EXPECT_EQ(q.task_done(), kOk);
    EXPECT_EQ(q.join(after(0)), kTimedOut) << "one task is still unfinished";
    ASSERT_EQ(get_string(q, 8, 0).status, kOk);
    EXPECT_EQ(q.join(after(0)), kTimedOut) << "taken is not done";
    EXPECT_EQ(q.task_done(), kOk);
    EXPECT_EQ(q.join(after(0)), kOk);
    EXPECT_EQ(q.task_done(), kOverflow) << "more task_done calls than messages";
    EXPECT_EQ(q.join(after(0)), kOk);
}

TEST(JoinableQueue, ReservedAndCommittedMessagesCountAsTasks) {
    Names names;
    Queue q = make_queue(names, "join_zero_copy", 4, 8, QueueFlavor::kJoinable);
    void *slot = nullptr;
    ASSERT_EQ(q.reserve(1, after(0), &slot), kOk);
    EXPECT_EQ(q.join(after(0)), kOk) << "not published yet";
    ASSERT_EQ(q.commit(slot), kOk);
    EXPECT_EQ(q.join(after(0)), kTimedOut);
    void *cancelled = nullptr;
    ASSERT_EQ(q.reserve(1, after(0), &cancelled), kOk);
    ASSERT_EQ(q.cancel(cancelled), kOk);
    const void *data = nullptr;
    std::size_t len = 0;
    ASSERT_EQ(q.borrow(after(0), &data, &len), kOk);
    ASSERT_EQ(q.give_back(data), kOk);
    EXPECT_EQ(q.task_done(), kOk);
    EXPECT_EQ(q.join(after(0)), kOk) << "the cancelled slot is no task";
    EXPECT_EQ(q.task_done(), kOverflow);
}

TEST(JoinableQueue, JoinReturnsWhenAnotherThreadFinishesTheTasks) {
    Names names;
    Queue q = make_queue(names, "join_thread", 8, 8, QueueFlavor::kJoinable);
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(put_string(q, std::to_string(i), 0), kOk);
    std::atomic<int> done{0};
    std::thread worker([&] {
        for (int i = 0; i < 5; ++i) {
            if (get_string(q, 8, 10).status != kOk) return;
            std::this_thread::sleep_for(10ms);
            done.fetch_add(1);
            EXPECT_EQ(q.task_done(), kOk);
        }
    });
    EXPECT_EQ(q.join(after(10)), kOk);
    EXPECT_EQ(done.load(), 5);
    worker.join();
}

TEST(JoinableQueue, JoinReturnsWhenAnotherProcessFinishesTheTasks) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("join_proc");
    Queue q = Queue::create(name, 4, 8, QueueFlavor::kJoinable, CreateOptions{});
    Shared<std::atomic<int>> done;
    pid_t child = reaper.add(run_in_child([&] {
        Queue mine = Queue::open(name);
        for (int i = 0; i < 20; ++i) {
            if (get_string(mine, 8, 10).status != kOk) return 1;
            done->fetch_add(1);
            if (mine.task_done() != kOk) return 2;
        }
        return mine.task_done() == kOverflow ? 0 : 3;
    }));
    for (int i = 0; i < 20; ++i)
        ASSERT_EQ(put_string(q, std::to_string(i), 10), kOk);
    EXPECT_EQ(q.join(after(10)), kOk);
    EXPECT_EQ(done->load(), 20);
    EXPECT_EQ(wait_child(child), 0);
}

TEST(JoinableQueue, TaskDoneAndJoinOnOtherFlavoursAreKind) {
    Names names;
    Queue plain = make_queue(names, "plain", 2, 8, QueueFlavor::kQueue);
    Queue simple = make_queue(names, "simple", 2, 8, QueueFlavor::kSimple);
    for (Queue *q : {&plain, &simple}) {
        ASSERT_EQ(put_string(*q, "m", 0), kOk);
        ASSERT_EQ(get_string(*q, 8, 0).status, kOk);
        EXPECT_EQ(q->task_done(), kKind);
        EXPECT_EQ(q->join(after(0)), kKind);
        EXPECT_EQ(q->join(after(-1)), kKind) << "never blocks";
    }
}

// ---- close() --------------------------------------------------------------------------------

namespace {

// Runs `blocked` (a call that must block) on a thread, closes `q` once the thread sleeps,
// and checks that the call returned kClosed within 2 s. `release` unblocks the call
// through another handle if close() failed to.
void expect_close_wakes(Queue &q, const std::function<Status()> &blocked,
                        const std::function<void()> &release) {
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::atomic<std::int64_t> returned_ns{0};
    std::thread waiter([&] {
        tid = current_tid();
        result = blocked();
        returned_ns = mproc::core::sync::Deadline::now_ns();
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid);
    EXPECT_EQ(result.load(), 1) << "the call did not block";
    Watchdog watchdog(10s, release);
    const std::int64_t closed_ns = mproc::core::sync::Deadline::now_ns();
    q.close();
    waiter.join();
    EXPECT_FALSE(watchdog.fired());
    EXPECT_EQ(result.load(), kClosed);
    EXPECT_LT((returned_ns.load() - closed_ns) / 1e9, 2.0);
}

}  // namespace

TEST(Queue, CloseWakesAGetBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close_get");
    Queue q = Queue::create(name, 2, 16, QueueFlavor::kQueue, CreateOptions{});
    Queue other = Queue::open(name);
    expect_close_wakes(
        q, [&] { return get_string(q, 16, -1).status; }, [&] { put_string(other, "rescue", 0); });
    EXPECT_EQ(other.qsize(), 0u) << "nothing was put";
    // The other handle is untouched.
    ASSERT_EQ(put_string(other, "still works", 0), kOk);
    EXPECT_EQ(get_string(other, 16, 0).data, "still works");
}

TEST(Queue, CloseWakesABorrowBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close_borrow");
    Queue q = Queue::create(name, 2, 8, QueueFlavor::kQueue, CreateOptions{});
    Queue other = Queue::open(name);
    expect_close_wakes(
        q,
        [&] {
            const void *data = nullptr;
            std::size_t len = 0;
            return q.borrow(after(-1), &data, &len);
        },
        [&] { put_string(other, "rescue", 0); });
}

TEST(Queue, CloseWakesAPutBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close_put");
    Queue q = Queue::create(name, 1, 8, QueueFlavor::kQueue, CreateOptions{});
    Queue other = Queue::open(name);
    ASSERT_EQ(put_string(other, "full", 0), kOk);
    expect_close_wakes(
        q, [&] { return put_string(q, "blocked", -1); }, [&] { get_string(other, 8, 0); });
    EXPECT_EQ(other.qsize(), 1u);
    EXPECT_EQ(get_string(other, 8, 0).data, "full") << "the blocked put added nothing";
    EXPECT_EQ(get_string(other, 8, 0).status, kEmpty);
}

TEST(Queue, CloseWakesAReserveBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close_reserve");
    Queue q = Queue::create(name, 1, 8, QueueFlavor::kQueue, CreateOptions{});
    Queue other = Queue::open(name);
    ASSERT_EQ(put_string(other, "full", 0), kOk);
    expect_close_wakes(
        q,
        [&] {
            void *slot = nullptr;
            return q.reserve(4, after(-1), &slot);
        },
        [&] { get_string(other, 8, 0); });
}

TEST(JoinableQueue, CloseWakesAJoinBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close_join");
    Queue q = Queue::create(name, 2, 8, QueueFlavor::kJoinable, CreateOptions{});
    Queue other = Queue::open(name);
    ASSERT_EQ(put_string(other, "task", 0), kOk);
    expect_close_wakes(
        q, [&] { return q.join(after(-1)); },
        [&] {
            get_string(other, 8, 0);
            other.task_done();
        });
    EXPECT_EQ(other.join(after(0)), kTimedOut) << "the task is still unfinished";
}

// ---- Corrupt headers ----------------------------------------------------------------------

namespace {

// The queue's file mapped a second time, to scribble on its header the way a stray write
// or a hostile process could.
class RawMapping : public PeerMapping {
  public:
    using PeerMapping::PeerMapping;
    QueueLayout &layout() const { return as<QueueLayout>(); }
};

struct Corruption {
    const char *what;
    std::function<void(QueueLayout &, std::size_t file_size)> apply;
};

// Applies each corruption to a fresh copy of the queue's fields, opens the name (expecting
// kVersion), and puts the fields back.
void expect_open_refuses(const std::string &name, const std::vector<Corruption> &corruptions) {
    RawMapping raw(name);
    QueueLayout &layout = raw.layout();
    const std::uint64_t capacity = layout.capacity, max_message = layout.max_message,
                        stride = layout.slot_stride, offset = layout.slots_offset;
    const std::uint32_t flavor = layout.flavor;
    for (const Corruption &c : corruptions) {
        c.apply(layout, raw.size());
        std::string message;
        EXPECT_EQ(status_of([&] { Queue::open(name); }, &message), kVersion) << c.what;
        if (!message.empty()) {
            EXPECT_NE(message.find(name), std::string::npos) << message;
        }
        layout.capacity = capacity;
        layout.max_message = max_message;
        layout.slot_stride = stride;
        layout.slots_offset = offset;
        layout.flavor = flavor;
    }
}

}  // namespace

TEST(Queue, ACorruptHeaderIsVersionOnOpenNeverACrash) {
    Names names;
    const std::string name = names.make("corrupt");
    Queue q = Queue::create(name, 4, 100, QueueFlavor::kQueue, CreateOptions{});
    ASSERT_EQ(put_string(q, "before", 0), kOk);
    {
        RawMapping raw(name);
        EXPECT_EQ(raw.layout().capacity, 4u) << "the test's view of the layout";
        EXPECT_EQ(raw.layout().max_message, 100u);
    }
    expect_open_refuses(
        name,
        {
            {"capacity 0", [](QueueLayout &l, std::size_t) { l.capacity = 0; }},
            {"capacity over the limit",
             [](QueueLayout &l, std::size_t) { l.capacity = kMaxSize + 1; }},
            {"capacity UINT64_MAX", [](QueueLayout &l, std::size_t) { l.capacity = UINT64_MAX; }},
            {"more slots than the file holds", [](QueueLayout &l, std::size_t) { l.capacity = 5; }},
            {"max_message 0", [](QueueLayout &l, std::size_t) { l.max_message = 0; }},
            {"max_message over the limit",
             [](QueueLayout &l, std::size_t) { l.max_message = kMaxMessage + 1; }},
            {"max_message over the stride",
             [](QueueLayout &l, std::size_t) { l.max_message = l.slot_stride; }},
            {"stride 0", [](QueueLayout &l, std::size_t) { l.slot_stride = 0; }},
            {"stride not a multiple of 64",
             [](QueueLayout &l, std::size_t) { l.slot_stride += 8; }},
            {"stride past the file",
             [](QueueLayout &l, std::size_t) { l.slot_stride = 1ull << 32; }},
            {"slots_offset 0", [](QueueLayout &l, std::size_t) { l.slots_offset = 0; }},
            {"slots_offset inside the header",
             [](QueueLayout &l, std::size_t) { l.slots_offset = 64; }},
            {"slots_offset misaligned", [](QueueLayout &l, std::size_t) { l.slots_offset += 8; }},
            {"slots_offset past the file",
             [](QueueLayout &l, std::size_t size) { l.slots_offset = (size + 64) & ~63ull; }},
            {"flavor 3", [](QueueLayout &l, std::size_t) { l.flavor = 3; }},
            {"flavor UINT32_MAX", [](QueueLayout &l, std::size_t) { l.flavor = UINT32_MAX; }},
        });
    // Put back as it was, the queue opens and works again, with its message.
    Queue again = Queue::open(name);
    EXPECT_EQ(get_string(again, 100, 0).data, "before");
}

// Fields that each pass their own check but whose slot arithmetic wraps around 2^64: the
// check "slots_offset + capacity * stride <= size" must not be fooled by the wrap, or the
// opened queue addresses memory far outside its mapping.
TEST(Queue, ACorruptHeaderWhoseSlotArithmeticWrapsIsVersionOnOpen) {
    Names names;
    const std::string name = names.make("corrupt_wrap");
    Queue q = Queue::create(name, 4, 100, QueueFlavor::kQueue, CreateOptions{});
    expect_open_refuses(
        name, {
                  {"capacity 2^20 times stride 2^44 wraps to 0",
                   [](QueueLayout &l, std::size_t) {
                       l.capacity = kMaxSize;
                       l.slot_stride = 1ull << 44;
                   }},
                  {"capacity 2 times stride 2^63 wraps to 0",
                   [](QueueLayout &l, std::size_t) {
                       l.capacity = 2;
                       l.slot_stride = 1ull << 63;
                   }},
                  {"capacity 4 times stride 2^64 - 64 wraps below the offset",
                   [](QueueLayout &l, std::size_t) { l.slot_stride = UINT64_MAX & ~63ull; }},
                  {"slots_offset near 2^64 wraps past the end",
                   [](QueueLayout &l, std::size_t) {
                       l.capacity = 1;
                       l.slots_offset = 0 - l.slot_stride + 64;
                   }},
              });
    // What such a queue does if it is opened anyway: used in a child, which must not die.
    std::uint64_t stride = 0;
    {
        RawMapping raw(name);
        stride = raw.layout().slot_stride;
    }
    ChildReaper reaper;
    pid_t child = reaper.add(run_in_child([&] {
        RawMapping raw(name);
        raw.layout().capacity = kMaxSize;
        raw.layout().slot_stride = 1ull << 44;
        try {
            Queue bad = Queue::open(name);
            for (int i = 0; i < 3; ++i)
                put_string(bad, "x", 0);
        } catch (const Error &) {
            // Refused: what the test above asks for.
        }
        return 0;
    }));
    EXPECT_EQ(wait_child(child), 0) << "128 + n: the child died of signal n using the queue";
    {
        RawMapping raw(name);
        raw.layout().capacity = 4;
        raw.layout().slot_stride = stride;
    }
    Queue again = Queue::open(name);
    EXPECT_EQ(again.maxsize(), 4u);
}

TEST(Queue, ATruncatedFileIsVersionOnOpen) {
    Names names;
    const std::string name = names.make("truncated");
    { Queue q = Queue::create(name, 4, 100, QueueFlavor::kQueue, CreateOptions{}); }
    RawMapping raw(name);
    const std::uint64_t slots_offset = raw.layout().slots_offset;
    // The header still says the full size: the segment check refuses the short file.
    ASSERT_EQ(::truncate(shm_file(name).c_str(), static_cast<off_t>(slots_offset)), 0);
    EXPECT_EQ(status_of([&] { Queue::open(name); }), kVersion);
    // The header agrees with the short file: the queue's own check refuses the slots.
    auto *header = reinterpret_cast<ObjectHeader *>(&raw.layout());
    header->size = slots_offset;
    EXPECT_EQ(status_of([&] { Queue::open(name); }), kVersion);
}

// ---- Many producers and consumers -------------------------------------------------------

namespace {

struct Tagged {
    std::uint32_t producer;
    std::uint32_t sequence;
};

}  // namespace

TEST(Queue, ManyProducersAndConsumersBetweenThreadsDeliverEachMessageOnceInOrder) {
    Names names;
    constexpr int kProducers = 4, kConsumers = 4;
    constexpr std::uint32_t kPerProducer = 50000;
    constexpr int kTotal = kProducers * static_cast<int>(kPerProducer);
    Queue q = make_queue(names, "mpmc", 64, sizeof(Tagged) + 8);
    std::unique_ptr<std::atomic<std::uint8_t>[]> seen(new std::atomic<std::uint8_t>[kTotal]);
    for (int i = 0; i < kTotal; ++i)
        seen[i].store(0);
    std::atomic<int> received{0}, put_failures{0}, get_failures{0}, out_of_order{0}, garbled{0};
    const auto give_up = std::chrono::steady_clock::now() + 60s;

    std::vector<std::thread> threads;
    for (int p = 0; p < kProducers; ++p) {
        threads.emplace_back([&, p] {
            for (std::uint32_t s = 0; s < kPerProducer; ++s) {
                Tagged m{static_cast<std::uint32_t>(p), s};
                if (q.put(&m, sizeof m, after(30)) != kOk) {
                    put_failures.fetch_add(1);
                    return;
                }
            }
        });
    }
    for (int c = 0; c < kConsumers; ++c) {
        threads.emplace_back([&] {
            std::int64_t last[kProducers];
            for (std::int64_t &l : last)
                l = -1;
            while (received.load() < kTotal && std::chrono::steady_clock::now() < give_up) {
                Tagged m{};
                std::size_t len = 0;
                Status s = q.get(&m, sizeof m, &len, after(0.05));
                if (s == kEmpty) continue;
                if (s != kOk || len != sizeof m || m.producer >= kProducers ||
                    m.sequence >= kPerProducer) {
                    (s == kOk ? garbled : get_failures).fetch_add(1);
                    continue;
                }
                if (static_cast<std::int64_t>(m.sequence) <= last[m.producer])
                    out_of_order.fetch_add(1);
                last[m.producer] = m.sequence;
                seen[m.producer * kPerProducer + m.sequence].fetch_add(1);
                received.fetch_add(1);
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(put_failures.load(), 0);
    EXPECT_EQ(get_failures.load(), 0);
    EXPECT_EQ(garbled.load(), 0);
    EXPECT_EQ(out_of_order.load(), 0) << "a producer's messages overtook each other";
    EXPECT_EQ(received.load(), kTotal);
    int missing = 0, duplicated = 0;
    for (int i = 0; i < kTotal; ++i) {
        const int n = seen[i].load();
        if (n == 0) ++missing;
        if (n > 1) ++duplicated;
    }
    EXPECT_EQ(missing, 0);
    EXPECT_EQ(duplicated, 0);
    EXPECT_EQ(q.qsize(), 0u);
}

TEST(Queue, ManyProducersAndConsumersBetweenProcessesDeliverEachMessageOnce) {
    Names names;
    ChildReaper reaper;
    constexpr int kProducers = 3, kConsumers = 3;
    constexpr std::uint32_t kPerProducer = 10000;
    constexpr int kTotal = kProducers * static_cast<int>(kPerProducer);
    const std::string name = names.make("mpmc_procs");
    Queue q = Queue::create(name, 16, sizeof(Tagged), QueueFlavor::kQueue, CreateOptions{});
    struct Board {
        std::atomic<int> received;
        std::atomic<int> out_of_order;
        std::atomic<int> garbled;
        std::atomic<std::uint8_t> seen[kTotal];
    };
    Shared<Board> board;
    std::vector<pid_t> children;
    for (int p = 0; p < kProducers; ++p) {
        children.push_back(reaper.add(run_in_child([&, p] {
            Queue mine = Queue::open(name);
            for (std::uint32_t s = 0; s < kPerProducer; ++s) {
                Tagged m{static_cast<std::uint32_t>(p), s};
                if (mine.put(&m, sizeof m, after(20)) != kOk) return 1;
            }
            return 0;
        })));
    }
    for (int c = 0; c < kConsumers; ++c) {
        children.push_back(reaper.add(run_in_child([&] {
            Queue mine = Queue::open(name);
            std::int64_t last[kProducers] = {-1, -1, -1};
            const auto give_up = std::chrono::steady_clock::now() + 30s;
            while (board->received.load() < kTotal) {
                if (std::chrono::steady_clock::now() > give_up) return 1;
                Tagged m{};
                std::size_t len = 0;
                Status s = mine.get(&m, sizeof m, &len, after(0.05));
                if (s == kEmpty) continue;
                if (s != kOk) return 2;
                if (len != sizeof m || m.producer >= kProducers || m.sequence >= kPerProducer) {
                    board->garbled.fetch_add(1);
                    continue;
                }
                if (static_cast<std::int64_t>(m.sequence) <= last[m.producer])
                    board->out_of_order.fetch_add(1);
                last[m.producer] = m.sequence;
                board->seen[m.producer * kPerProducer + m.sequence].fetch_add(1);
                board->received.fetch_add(1);
            }
            return 0;
        })));
    }
    for (pid_t pid : children)
        EXPECT_EQ(wait_child(pid, 40s), 0);
    EXPECT_EQ(board->received.load(), kTotal);
    EXPECT_EQ(board->garbled.load(), 0);
    EXPECT_EQ(board->out_of_order.load(), 0);
    int missing = 0, duplicated = 0;
    for (int i = 0; i < kTotal; ++i) {
        const int n = board->seen[i].load();
        if (n == 0) ++missing;
        if (n > 1) ++duplicated;
    }
    EXPECT_EQ(missing, 0);
    EXPECT_EQ(duplicated, 0);
}

// ---- Position hints ---------------------------------------------------------------------

// enqueue_pos and dequeue_pos are hints that racing claimers (or one killed between its
// claim and its hint update) can leave behind the truth. Whatever stale value they hold,
// puts must not overwrite, gets must not repeat or skip, and the snapshots must stay exact.
// Capacities 8 (mask and shift) and 6 (division).
class QueueHints : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(QueueHints, HintsLeftBehindAreSteppedOver) {
    Names names;
    const std::string name = names.make("hints");
    const std::uint64_t capacity = GetParam();
    Queue q = Queue::create(name, capacity, 16, QueueFlavor::kQueue, CreateOptions{});
    RawMapping raw(name);
    QueueLayout &layout = raw.layout();
    std::uint64_t next_put = 0, next_get = 0;
    // Several laps of the ring, with the hints pushed back (even to 0) at every step.
    for (int lap = 0; lap < 5; ++lap) {
        while (next_put < next_get + capacity - 1) {
            ASSERT_EQ(put_string(q, "m" + std::to_string(next_put), 0), kOk);
            ++next_put;
            layout.enqueue_pos.store(next_put % 3 == 0 ? 0 : next_put - 1);
            ASSERT_EQ(q.qsize(), next_put - next_get) << "lap " << lap;
        }
        std::size_t len = 0;
        ASSERT_EQ(q.next_size(&len), kOk);
        EXPECT_EQ(len, ("m" + std::to_string(next_get)).size());
        while (next_get + 2 < next_put) {
            Got got = get_string(q, 16, 0);
            ASSERT_EQ(got.status, kOk) << "lap " << lap;
            ASSERT_EQ(got.data, "m" + std::to_string(next_get)) << "lap " << lap;
            ++next_get;
            layout.dequeue_pos.store(next_get % 2 == 0 ? 0 : next_get - 1);
            ASSERT_EQ(q.qsize(), next_put - next_get) << "lap " << lap;
        }
    }
    // Fill to the brim through a lagging hint: exactly capacity messages fit.
    while (next_put < next_get + capacity) {
        ASSERT_EQ(put_string(q, "m" + std::to_string(next_put), 0), kOk);
        ++next_put;
        layout.enqueue_pos.store(0);
    }
    EXPECT_EQ(put_string(q, "one too many", 0), kFull);
    EXPECT_EQ(q.qsize(), capacity);
    layout.dequeue_pos.store(0);
    while (next_get < next_put) {
        Got got = get_string(q, 16, 0);
        ASSERT_EQ(got.status, kOk);
        ASSERT_EQ(got.data, "m" + std::to_string(next_get));
        ++next_get;
    }
    EXPECT_EQ(get_string(q, 16, 0).status, kEmpty);
    EXPECT_EQ(q.qsize(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Capacities, QueueHints, ::testing::Values(8u, 6u));
