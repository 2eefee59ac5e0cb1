// mproc::Queue, SimpleQueue and JoinableQueue: round trips, the full / empty exceptions and
// their try_ spellings, sizing of get(), task counting, a producer in a forked child, the
// zero-copy loans of reserve() and borrow(), and flavours.
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

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

// ---- Zero copy ------------------------------------------------------------------------

static_assert(!std::is_copy_constructible_v<mproc::Queue::write_loan>);
static_assert(!std::is_copy_constructible_v<mproc::Queue::read_loan>);
static_assert(std::is_nothrow_move_constructible_v<mproc::Queue::write_loan>);
static_assert(std::is_nothrow_move_constructible_v<mproc::Queue::read_loan>);

TEST(CppQueue, ReserveThenCommitIsSeenByGet) {
    mproc::Queue q = mproc::Queue::create(2, 32);
    mproc::Queue::write_loan loan = q.reserve(5);
    ASSERT_TRUE(loan.valid());
    ASSERT_NE(loan.data(), nullptr);
    EXPECT_EQ(loan.size(), 5u);
    std::memcpy(loan.data(), "hello", 5);
    std::string out;
    EXPECT_FALSE(q.try_get(out)) << "a reserved message is not visible before commit";
    loan.commit();
    EXPECT_FALSE(loan.valid());
    EXPECT_EQ(loan.data(), nullptr);
    EXPECT_EQ(loan.size(), 0u);
    EXPECT_EQ(q.get(0s), "hello");
    EXPECT_THROW(loan.commit(), mproc::invalid_argument_error) << "committed twice";
    EXPECT_THROW(loan.cancel(), mproc::invalid_argument_error);

    // A zero-length message is a message too.
    mproc::Queue::write_loan empty = q.reserve(0, 0s);
    EXPECT_TRUE(empty.valid());
    empty.commit();
    EXPECT_EQ(q.qsize(), 1u);
    EXPECT_EQ(q.get(0s), "");
}

TEST(CppQueue, WriteLoanDroppedWithoutCommitIsNeverDelivered) {
    mproc::Queue q = mproc::Queue::create(2, 32);
    {
        mproc::Queue::write_loan loan = q.reserve(7, 0s);
        std::memcpy(loan.data(), "dropped", 7);
    }  // destroyed without commit: cancelled
    {
        mproc::Queue::write_loan loan = q.reserve(6, 0s);
        std::memcpy(loan.data(), "cancel", 6);
        loan.cancel();
        EXPECT_FALSE(loan.valid());
        EXPECT_THROW(loan.commit(), mproc::invalid_argument_error) << "commit after cancel";
    }
    std::string out;
    EXPECT_FALSE(q.try_get(out));
    EXPECT_EQ(q.qsize(), 0u);

    // The queue still works, at its full capacity: the dropped slots were given back.
    q.put("after");
    mproc::Queue::write_loan last = q.reserve(4, 0s);
    std::memcpy(last.data(), "last", 4);
    last.commit();
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.get(0s), "after");
    EXPECT_EQ(q.get(0s), "last");
    EXPECT_FALSE(q.try_get(out, 10ms)) << "neither dropped message came out";
}

TEST(CppQueue, WriteLoanMovesOwnershipAndMoveAssignmentCancelsTheOldOne) {
    mproc::Queue q = mproc::Queue::create(4, 16);
    mproc::Queue::write_loan a = q.reserve(1, 0s);
    std::memcpy(a.data(), "a", 1);
    mproc::Queue::write_loan moved = std::move(a);
    EXPECT_FALSE(a.valid());
    EXPECT_THROW(a.commit(), mproc::invalid_argument_error);
    mproc::Queue::write_loan b = q.reserve(1, 0s);
    std::memcpy(b.data(), "b", 1);
    b = std::move(moved);  // b's own slot ("b") is cancelled, it now holds "a"
    b.commit();
    EXPECT_EQ(q.get(0s), "a");
    std::string out;
    EXPECT_FALSE(q.try_get(out));
}

TEST(CppQueue, BorrowReadsInPlaceAndReleaseFreesTheSlot) {
    mproc::Queue q = mproc::Queue::create(2, 16);
    q.put("first");
    q.put("second");
    ASSERT_TRUE(q.full());
    {
        mproc::Queue::read_loan loan = q.borrow(0s);
        ASSERT_TRUE(loan.valid());
        EXPECT_EQ(loan.size(), 5u);
        EXPECT_EQ(std::memcmp(loan.data(), "first", 5), 0);
        EXPECT_EQ(loan.view(), "first");
        EXPECT_EQ(q.qsize(), 1u) << "the message has left the queue";
        EXPECT_FALSE(q.try_put("third")) << "its slot is still lent";
        loan.release();
        EXPECT_FALSE(loan.valid());
        EXPECT_EQ(loan.view(), "");
        EXPECT_THROW(loan.release(), mproc::invalid_argument_error) << "released twice";
    }
    EXPECT_TRUE(q.try_put("third")) << "release gave the slot back";
    EXPECT_EQ(q.get(0s), "second");
    EXPECT_EQ(q.get(0s), "third");
}

TEST(CppQueue, ReadLoanDestructorReleasesTheSlot) {
    mproc::Queue q = mproc::Queue::create(1, 16);
    q.put("only");
    {
        mproc::Queue::read_loan loan = q.borrow(0s);
        EXPECT_EQ(loan.view(), "only");
        EXPECT_FALSE(q.try_put("next"));
        mproc::Queue::read_loan moved = std::move(loan);
        EXPECT_FALSE(loan.valid());
        EXPECT_EQ(moved.view(), "only");
    }
    EXPECT_TRUE(q.try_put("next"));
    EXPECT_EQ(q.get(0s), "next");
}

TEST(CppQueue, TryReserveOnAFullQueueIsEmptyAndReserveThrowsFull) {
    mproc::Queue q = mproc::Queue::create(1, 16);
    q.put("x");
    std::optional<mproc::Queue::write_loan> loan = q.try_reserve(1);
    EXPECT_FALSE(loan.has_value());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(q.try_reserve(1, 30ms).has_value());
    EXPECT_GE(seconds_since(start), 0.02);
    EXPECT_THROW(q.reserve(1, 10ms), mproc::full_error);
    EXPECT_EQ(q.qsize(), 1u);

    EXPECT_EQ(q.get(0s), "x");
    loan = q.try_reserve(2);
    ASSERT_TRUE(loan.has_value());
    std::memcpy(loan->data(), "ok", 2);
    loan->commit();
    EXPECT_EQ(q.get(0s), "ok");
    EXPECT_THROW(q.try_reserve(17), mproc::too_big_error) << "only EFULL is an empty optional";
}

TEST(CppQueue, TryBorrowOnAnEmptyQueueIsEmptyAndBorrowThrowsEmpty) {
    mproc::Queue q = mproc::Queue::create(2, 16);
    EXPECT_FALSE(q.try_borrow().has_value());
    EXPECT_FALSE(q.try_borrow(10ms).has_value());
    EXPECT_THROW(q.borrow(10ms), mproc::empty_error);
    q.put("here");
    std::optional<mproc::Queue::read_loan> loan = q.try_borrow();
    ASSERT_TRUE(loan.has_value());
    EXPECT_EQ(loan->view(), "here");
    loan.reset();  // releases
    EXPECT_EQ(q.qsize(), 0u);
    EXPECT_FALSE(q.try_borrow().has_value());
}

TEST(CppQueue, ConsumerInAChildBorrowsWhatTheParentReserved) {
    scoped_name<mproc::Queue> name("loans");
    mproc::Queue q = mproc::Queue::create(name, 2, 32);
    const pid_t pid = fork_child([&] {
        mproc::Queue child = mproc::Queue::open(name);
        for (int i = 0; i < 20; ++i) {
            mproc::Queue::read_loan loan = child.borrow(10s);
            if (loan.view() != "msg " + std::to_string(i)) return 1;
        }
        return 0;
    });
    for (int i = 0; i < 20; ++i) {
        const std::string m = "msg " + std::to_string(i);
        mproc::Queue::write_loan loan = q.reserve(m.size(), 10s);
        std::memcpy(loan.data(), m.data(), m.size());
        loan.commit();
    }
    EXPECT_EQ(wait_child(pid), 0);
    EXPECT_TRUE(q.empty());
}

// ---- Flavours -------------------------------------------------------------------------

TEST(CppQueue, FlavorIsTheCreatorsAlsoWhenOpenedByName) {
    scoped_name<mproc::Queue> plain_name("plain");
    scoped_name<mproc::Queue> simple_name("simple");
    scoped_name<mproc::Queue> joinable_name("joinable");
    mproc::Queue plain = mproc::Queue::create(plain_name, 1, 8);
    mproc::SimpleQueue simple = mproc::SimpleQueue::create(simple_name, 1, 8);
    mproc::JoinableQueue joinable = mproc::JoinableQueue::create(joinable_name, 1, 8);
    EXPECT_EQ(plain.flavor(), mproc::queue_flavor::plain);
    EXPECT_EQ(simple.flavor(), mproc::queue_flavor::simple);
    EXPECT_EQ(joinable.flavor(), mproc::queue_flavor::joinable);
    EXPECT_EQ(mproc::Queue::open(plain_name).flavor(), mproc::queue_flavor::plain);
    EXPECT_EQ(mproc::Queue::open(simple_name).flavor(), mproc::queue_flavor::simple);
    EXPECT_EQ(mproc::Queue::open(joinable_name).flavor(), mproc::queue_flavor::joinable);
    EXPECT_EQ(mproc::JoinableQueue::open(joinable_name).flavor(), mproc::queue_flavor::joinable);
    EXPECT_EQ(mproc::JoinableQueue::create(1, 8).flavor(), mproc::queue_flavor::joinable);
    EXPECT_EQ(mproc::SimpleQueue::create(1, 8).flavor(), mproc::queue_flavor::simple);
    EXPECT_EQ(mproc::Queue::create(1, 8).flavor(), mproc::queue_flavor::plain);

    mproc::Queue closed = mproc::Queue::create(1, 8);
    closed.close();
    EXPECT_THROW((void)closed.flavor(), mproc::bad_handle_error);
}

TEST(CppJoinableQueue, OpenOfAQueueOfAnotherFlavourThrowsKindError) {
    scoped_name<mproc::Queue> plain_name("plain");
    scoped_name<mproc::Queue> simple_name("simple");
    mproc::Queue plain = mproc::Queue::create(plain_name, 1, 8);
    mproc::SimpleQueue simple = mproc::SimpleQueue::create(simple_name, 1, 8);
    try {
        (void)mproc::JoinableQueue::open(plain_name);
        FAIL() << "JoinableQueue::open of a plain queue did not throw";
    } catch (const mproc::kind_error &e) {
        EXPECT_EQ(e.code(), MPROC_EKIND);
        EXPECT_NE(std::string(e.what()).find(plain_name.str()), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)mproc::JoinableQueue::open(simple_name), mproc::kind_error);
    EXPECT_THROW((void)mproc::JoinableQueue::create_or_open(plain_name, 1, 8), mproc::kind_error);
    EXPECT_THROW((void)mproc::JoinableQueue::open(mproc_test::unique_name("missing")),
                 mproc::not_found_error);

    // The refused opens closed their handles and left the queue as it was.
    plain.put("still");
    EXPECT_EQ(mproc::Queue::open(plain_name).get(0s), "still");
}

TEST(CppSimpleQueue, OpenAcceptsEveryFlavour) {
    scoped_name<mproc::Queue> plain_name("plain");
    scoped_name<mproc::Queue> joinable_name("joinable");
    mproc::Queue plain = mproc::Queue::create(plain_name, 1, 8);
    mproc::JoinableQueue joinable = mproc::JoinableQueue::create(joinable_name, 1, 8);
    mproc::SimpleQueue a = mproc::SimpleQueue::open(plain_name);
    mproc::SimpleQueue b = mproc::SimpleQueue::open(joinable_name);
    EXPECT_EQ(a.flavor(), mproc::queue_flavor::plain);
    EXPECT_EQ(b.flavor(), mproc::queue_flavor::joinable);
    a.put("p");
    b.put("j");
    EXPECT_EQ(plain.get(0s), "p");
    EXPECT_EQ(joinable.get(0s), "j");
    joinable.task_done();
    EXPECT_TRUE(joinable.join(0s));
}
