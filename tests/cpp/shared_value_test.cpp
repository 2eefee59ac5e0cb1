// mproc::Value<T> and mproc::Array<T>: round trips, type codes and the type check of open(),
// atomics, the lock (std::lock_guard), raw objects, and a forked child updating them.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/shared_value.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::wait_child;

static_assert(mproc::Value<int>::typecode == 'i');
static_assert(mproc::Value<unsigned char>::typecode == 'B');
static_assert(mproc::Value<long long>::typecode == 'q');
static_assert(mproc::Value<double>::typecode == 'd');
static_assert(mproc::Array<wchar_t>::typecode == 'u');
static_assert(mproc::Array<char>::typecode == 'c');

TEST(CppValue, CreateGetSetAndOpenShareTheItem) {
    scoped_name<mproc::Value<double>> name("value");
    mproc::Value<double> v = mproc::Value<double>::create(name, 1.5);
    EXPECT_EQ(v.get(), 1.5);
    v.set(-2.25);
    mproc::Value<double> other = mproc::Value<double>::open(name);
    EXPECT_EQ(other.get(), -2.25);
    *other.data() = 7.0;
    EXPECT_EQ(v.get(), 7.0);
    EXPECT_EQ(v.name(), name.str());

    mproc::Value<int> zero = mproc::Value<int>::create();
    EXPECT_EQ(zero.get(), 0) << "an anonymous Value starts at T()";
    mproc::Value<wchar_t> wide = mproc::Value<wchar_t>::create(L'\u00e9');
    EXPECT_EQ(wide.get(), L'\u00e9');
}

TEST(CppValue, OpenChecksTheTypeCode) {
    scoped_name<mproc::Value<int>> name("typed");
    mproc::Value<int> v = mproc::Value<int>::create(name, 3);
    try {
        mproc::Value<double>::open(name);
        FAIL() << "opening an int Value as double did not throw";
    } catch (const mproc::kind_error &e) {
        EXPECT_EQ(e.code(), MPROC_EKIND);
        EXPECT_NE(std::string(e.what()).find("'i'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(mproc::Value<unsigned>::create_or_open(name), mproc::kind_error);
    EXPECT_EQ(mproc::Value<int>::create_or_open(name, 99).get(), 3);
    EXPECT_THROW(mproc::Value<int>::create(name), mproc::exists_error);
    EXPECT_THROW(mproc::Array<int>::open(name), mproc::kind_error) << "a Value is not an Array";
}

TEST(CppValue, LongAndLongLongShareTheirLayout) {
    scoped_name<mproc::Value<long>> name("long");
    mproc::Value<long> l = mproc::Value<long>::create(name, 1L << 40);
    EXPECT_EQ(mproc::Value<long long>::open(name).get(), 1LL << 40);
}

TEST(CppValue, AtomicsAddAndCompareExchange) {
    mproc::Value<unsigned short> v = mproc::Value<unsigned short>::create(65535, false);
    EXPECT_EQ(v.fetch_add(2), 65535);
    EXPECT_EQ(v.get(), 1) << "unsigned addition wraps";
    unsigned short expected = 5;
    EXPECT_FALSE(v.compare_exchange(expected, 9));
    EXPECT_EQ(expected, 1);
    EXPECT_TRUE(v.compare_exchange(expected, 9));
    EXPECT_EQ(v.get(), 9);
}

TEST(CppValue, LockGuardHoldsTheValuesLock) {
    mproc::Value<int> v = mproc::Value<int>::create(0);
    {
        std::lock_guard<mproc::Value<int>> hold(v);
        v.set(v.get() + 1);
        EXPECT_TRUE(v.try_lock()) << "the lock is an RLock";
        v.unlock();
    }
    EXPECT_EQ(v.acquire(0s), mproc::acquire_result::acquired);
    v.release();
    EXPECT_THROW(v.release(), mproc::not_owner_error);

    mproc::Value<int> raw = mproc::Value<int>::create(0, false);
    EXPECT_THROW(raw.lock(), mproc::invalid_argument_error) << "a raw Value has no lock";
}

// Two counters, because a read-then-set under the lock and a lock-free fetch_add on the
// same value would race with each other (as `v.value += 1` and a locked update do in
// Python): each must be exact on its own.
TEST(CppValue, ForkedChildrenIncrementUnderTheLock) {
    scoped_name<mproc::Value<long long>> locked_name("locked");
    scoped_name<mproc::Value<long long>> atomic_name("atomic");
    mproc::Value<long long> locked = mproc::Value<long long>::create(locked_name, 0);
    mproc::Value<long long> atomic = mproc::Value<long long>::create(atomic_name, 0);
    constexpr int kChildren = 3, kRounds = 500;
    pid_t pids[kChildren];
    for (pid_t &pid : pids) {
        pid = fork_child([&] {
            auto l = mproc::Value<long long>::open(locked_name);
            auto a = mproc::Value<long long>::open(atomic_name);
            for (int i = 0; i < kRounds; ++i) {
                if (!l.try_lock_for(10s)) return 1;
                l.set(l.get() + 1);
                l.unlock();
                a.fetch_add(1);
            }
            return 0;
        });
    }
    for (pid_t pid : pids)
        EXPECT_EQ(wait_child(pid), 0);
    EXPECT_EQ(locked.get(), 1LL * kChildren * kRounds);
    EXPECT_EQ(atomic.get(), 1LL * kChildren * kRounds);
}

TEST(CppArray, CreateIndexAndSlices) {
    scoped_name<mproc::Array<int>> name("array");
    mproc::Array<int> a = mproc::Array<int>::create(name, 5);
    EXPECT_EQ(a.size(), 5u);
    EXPECT_EQ(a.to_vector(), std::vector<int>(5, 0));
    a.set(1, 10);
    EXPECT_EQ(a[1], 10);
    a.set_slice(2, {20, 30, 40});
    EXPECT_EQ(a.get_slice(1, 4), (std::vector<int>{10, 20, 30}));
    EXPECT_EQ(a.data()[4], 40);
    EXPECT_EQ(mproc::Array<int>::open(name).get(3), 30);
    EXPECT_THROW((void)a.get(5), mproc::invalid_argument_error);
    EXPECT_THROW((void)a.get_slice(3, 6), mproc::invalid_argument_error);
    EXPECT_THROW(a.set_slice(4, {1, 2}), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Array<float>::open(name), mproc::kind_error);
    EXPECT_THROW(mproc::Array<int>::create(0), mproc::invalid_argument_error);
}

TEST(CppArray, CreateFromCopiesAndAtomicsWorkPerItem) {
    mproc::Array<std::int64_t> a = mproc::Array<std::int64_t>::create_from({1, 2, 3});
    EXPECT_EQ(a.size(), 3u);
    EXPECT_EQ(a.fetch_add(2, 10), 3);
    std::int64_t expected = 2;
    EXPECT_TRUE(a.compare_exchange(1, expected, 20));
    EXPECT_EQ(a.to_vector(), (std::vector<std::int64_t>{1, 20, 13}));
    {
        std::lock_guard<mproc::Array<std::int64_t>> hold(a);
        a.set(0, a.get(0) * 5);
    }
    EXPECT_EQ(a[0], 5);
}

TEST(CppArray, ForkedChildWritesAndCloseEndsTheHandle) {
    mproc::Array<char> a = mproc::Array<char>::create(6);
    const pid_t pid = fork_child([&] {
        a.set_slice(0, {'f', 'o', 'r', 'k', 'e', 'd'});
        return 0;
    });
    EXPECT_EQ(wait_child(pid), 0);
    const std::vector<char> got = a.to_vector();
    EXPECT_EQ(std::string(got.begin(), got.end()), "forked");
    mproc::Array<char> moved = std::move(a);
    EXPECT_FALSE(a.valid());
    EXPECT_THROW((void)a.size(), mproc::bad_handle_error);
    moved.close();
    EXPECT_FALSE(moved.valid());
}
