// Value (core::array::SharedArray of kind kValue): every type code, init and zero,
// processes, anonymous objects, kinds, the RLock and the raw variant, owner death, and the
// atomic add / compare-exchange on integer codes.
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "array/array.hpp"
#include "error.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kClosed;
using mproc::core::kInvalid;
using mproc::core::kKind;
using mproc::core::kNotFound;
using mproc::core::kNotOwner;
using mproc::core::kOk;
using mproc::core::kOwnerDead;
using mproc::core::kTimedOut;
using mproc::core::array::SharedArray;
using mproc::core::shm::CreateOptions;
using mproc::core::shm::Kind;

namespace {

// Holds forked children until all of them are ready, so that they really run at once.
struct StartLine {
    std::atomic<int> ready;
    std::atomic<int> go;

    // In a child: false if the parent never said go.
    bool wait() {
        ready.fetch_add(1);
        // Spinning, not sleeping: all of them leave the line within a time slice.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (go.load() == 0) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
        }
        return true;
    }
    // In the parent, once the n children are forked.
    void release(int n) {
        EXPECT_TRUE(eventually([&] { return ready.load() == n; }, 10s));
        go.store(1);
    }
};

SharedArray make_value(const std::string &name, char code, const void *init, bool lock = true) {
    return SharedArray::create(name, Kind::kValue, code, 1, init, lock, CreateOptions{});
}

template <typename T>
void round_trip(char code, T init, T other) {
    SCOPED_TRACE(std::string("type code ") + code);
    Names names;
    const std::string name = names.make("round_trip");
    SharedArray value = make_value(name, code, &init);
    EXPECT_EQ(value.typecode(), code);
    EXPECT_EQ(value.itemsize(), sizeof(T));
    EXPECT_EQ(value.length(), 1u);
    EXPECT_EQ(value.kind(), Kind::kValue);
    T got{};
    ASSERT_EQ(value.get(0, &got), kOk);
    EXPECT_EQ(std::memcmp(&got, &init, sizeof(T)), 0);
    ASSERT_EQ(value.set(0, &other), kOk);
    SharedArray again = SharedArray::open(name, Kind::kValue);
    EXPECT_EQ(again.typecode(), code);
    ASSERT_EQ(again.get(0, &got), kOk);
    EXPECT_EQ(std::memcmp(&got, &other, sizeof(T)), 0);
    EXPECT_EQ(std::memcmp(again.data(), &other, sizeof(T)), 0);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(again.data()) % sizeof(T), 0u);

    // Without init: the zero of the type.
    SharedArray zero = make_value(names.make("zero"), code, nullptr);
    const T nothing{};
    ASSERT_EQ(zero.get(0, &got), kOk);
    EXPECT_EQ(std::memcmp(&got, &nothing, sizeof(T)), 0);
}

}  // namespace

TEST(Value, EveryTypeCodeRoundTripsThroughOpenByName) {
    round_trip<char>('c', 'x', 'y');
    round_trip<signed char>('b', -5, 100);
    round_trip<unsigned char>('B', 200, 7);
    round_trip<short>('h', -30000, 12345);
    round_trip<unsigned short>('H', 65535, 3);
    round_trip<int>('i', INT_MIN, 42);
    round_trip<unsigned int>('I', UINT_MAX, 1);
    round_trip<std::int64_t>('l', INT64_MIN, 1ll << 40);
    round_trip<std::uint64_t>('L', UINT64_MAX, 5);
    round_trip<long long>('q', -1, LLONG_MAX);
    round_trip<unsigned long long>('Q', ULLONG_MAX - 1, 0);
    round_trip<float>('f', 1.5f, -2.25f);
    round_trip<double>('d', 3.141592653589793, -1e300);
    round_trip<wchar_t>('u', L'\u00e9', L'\U0001F600');
}

TEST(Value, UnknownTypeCodesAreInvalid) {
    Names names;
    for (char code : {'x', 'p', 'P', 'e', 'Z', '?', '\0', '\x80'}) {
        std::string message;
        EXPECT_EQ(status_of([&] { make_value(names.make("bad_code"), code, nullptr); }, &message),
                  kInvalid)
            << static_cast<int>(code);
        EXPECT_NE(message.find("type code"), std::string::npos) << message;
    }
}

TEST(Value, HoldsExactlyOneItem) {
    Names names;
    EXPECT_EQ(status_of([&] {
                  SharedArray::create(names.make("two"), Kind::kValue, 'i', 2, nullptr, true,
                                      CreateOptions{});
              }),
              kInvalid);
    SharedArray value = make_value(names.make("one"), 'i', nullptr);
    int out = 0;
    EXPECT_EQ(value.get(1, &out), kInvalid);
    EXPECT_EQ(value.set(1, &out), kInvalid);
}

TEST(Value, ForkedChildOpensByNameAndWrites) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("child");
    const double init = 2.5;
    SharedArray value = make_value(name, 'd', &init);
    pid_t child = reaper.add(run_in_child([&] {
        SharedArray mine = SharedArray::open(name, Kind::kValue);
        double seen = 0;
        if (mine.get(0, &seen) != kOk || seen != 2.5) return 1;
        const double next = seen * 4;
        return mine.set(0, &next) == kOk ? 0 : 2;
    }));
    EXPECT_EQ(wait_child(child), 0);
    double now = 0;
    ASSERT_EQ(value.get(0, &now), kOk);
    EXPECT_EQ(now, 10.0);
}

TEST(Value, AnonymousIsInheritedOpenableAndRemovedWithItsCreator) {
    Names names;
    ChildReaper reaper;
    std::string name;
    {
        const int init = 7;
        SharedArray value = make_value("", 'i', &init);
        name = value.name();
        names.adopt(name);
        EXPECT_FALSE(name.empty());
        EXPECT_TRUE(shm_file_exists(name));
        pid_t child = reaper.add(run_in_child([&] {
            const int eight = 8;
            if (value.set(0, &eight) != kOk) return 1;  // the inherited mapping
            SharedArray by_name = SharedArray::open(name, Kind::kValue);
            int seen = 0;
            return by_name.get(0, &seen) == kOk && seen == 8 ? 0 : 2;
        }));
        EXPECT_EQ(wait_child(child), 0);
        EXPECT_TRUE(shm_file_exists(name)) << "a child's exit leaves the creator's name";
        int seen = 0;
        ASSERT_EQ(value.get(0, &seen), kOk);
        EXPECT_EQ(seen, 8);
    }
    EXPECT_FALSE(shm_file_exists(name));
    EXPECT_EQ(status_of([&] { SharedArray::open(name, Kind::kValue); }), kNotFound);
}

TEST(Value, ANameOfAnotherKindIsKind) {
    Names names;
    const std::string value_name = names.make("a_value");
    const std::string array_name = names.make("an_array");
    SharedArray value = make_value(value_name, 'i', nullptr);
    SharedArray array =
        SharedArray::create(array_name, Kind::kArray, 'i', 1, nullptr, true, CreateOptions{});
    std::string message;
    EXPECT_EQ(status_of([&] { SharedArray::open(value_name, Kind::kArray); }, &message), kKind);
    EXPECT_NE(message.find("value"), std::string::npos) << message;
    EXPECT_EQ(status_of([&] { SharedArray::open(array_name, Kind::kValue); }), kKind);
    EXPECT_EQ(status_of([&] { SharedArray::unlink(value_name, Kind::kArray); }), kKind);
    EXPECT_TRUE(shm_file_exists(value_name));
    SharedArray::unlink(value_name, Kind::kValue);
    EXPECT_FALSE(shm_file_exists(value_name));
}

TEST(Value, OpenExistingOpensTheFirstObjectAsItIs) {
    Names names;
    const std::string name = names.make("existing");
    const int init = 5;
    SharedArray first = make_value(name, 'i', &init);
    CreateOptions options;
    options.open_existing = true;
    const double other = 9;
    SharedArray second = SharedArray::create(name, Kind::kValue, 'd', 1, &other, false, options);
    EXPECT_EQ(second.typecode(), 'i');
    EXPECT_TRUE(second.has_lock());
    int seen = 0;
    ASSERT_EQ(second.get(0, &seen), kOk);
    EXPECT_EQ(seen, 5);
    EXPECT_EQ(status_of([&] { make_value(name, 'i', nullptr); }), mproc::core::kExists);
}

TEST(Value, RawValueHasNoLock) {
    Names names;
    SharedArray value = make_value(names.make("raw"), 'i', nullptr, false);
    EXPECT_FALSE(value.has_lock());
    EXPECT_EQ(value.acquire(after(0)), kInvalid);
    EXPECT_EQ(value.release(), kInvalid);
    EXPECT_EQ(value.lock_level(), 0u);
}

TEST(Value, LockIsRecursiveAndOwnedByOneThread) {
    Names names;
    SharedArray value = make_value(names.make("rlock"), 'q', nullptr);
    ASSERT_TRUE(value.has_lock());
    for (unsigned level = 1; level <= 3; ++level) {
        ASSERT_EQ(value.acquire(after(0)), kOk);
        EXPECT_EQ(value.lock_level(), level);
    }
    std::thread other([&] {
        EXPECT_EQ(value.acquire(after(0.05)), kTimedOut);
        EXPECT_EQ(value.release(), kNotOwner);
    });
    other.join();
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(value.release(), kOk);
    EXPECT_EQ(value.release(), kNotOwner);
    std::thread free_now([&] {
        EXPECT_EQ(value.acquire(after(0)), kOk);
        EXPECT_EQ(value.release(), kOk);
    });
    free_now.join();
}

TEST(Value, CloseWakesAnAcquireBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close");
    SharedArray owner = make_value(name, 'i', nullptr);
    SharedArray waiter = SharedArray::open(name, Kind::kValue);
    ASSERT_EQ(owner.acquire(after(0)), kOk);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::thread t([&] {
        tid.store(current_tid());
        result.store(waiter.acquire(after(10)));
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid.load());
    const auto start = std::chrono::steady_clock::now();
    waiter.close();
    t.join();
    EXPECT_EQ(result.load(), kClosed);
    EXPECT_LT(seconds_since(start), 5.0);
    EXPECT_EQ(owner.release(), kOk);
}

TEST(Value, LockOwnerKilledGivesOwnerDeadToTheNextAcquirer) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("owner_dead");
    SharedArray value = make_value(name, 'i', nullptr);
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        SharedArray mine = SharedArray::open(name, Kind::kValue);
        if (mine.acquire(after(0)) != kOk || mine.acquire(after(0)) != kOk) return 1;
        const int half = 21;
        mine.set(0, &half);
        stage->store(1);
        for (;;)
            ::pause();
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    EXPECT_EQ(value.acquire(after(0)), kTimedOut);
    ::kill(child, SIGKILL);
    EXPECT_EQ(value.acquire(after(5)), kOwnerDead);
    EXPECT_EQ(value.lock_level(), 1u);
    int seen = 0;
    ASSERT_EQ(value.get(0, &seen), kOk);
    EXPECT_EQ(seen, 21) << "the items are as the dead owner left them";
    EXPECT_EQ(value.release(), kOk);
    EXPECT_EQ(value.acquire(after(0)), kOk);
    EXPECT_EQ(value.release(), kOk);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
}

TEST(Value, AddWrapsAsUnsignedArithmeticAndReturnsThePreviousValue) {
    Names names;
    {
        const unsigned char init = 250, delta = 10;
        SharedArray v = make_value(names.make("u8"), 'B', &init);
        unsigned char before = 0, now = 0;
        ASSERT_EQ(v.add(0, &delta, &before), kOk);
        v.get(0, &now);
        EXPECT_EQ(before, 250);
        EXPECT_EQ(now, 4);
    }
    {
        const signed char init = 127, delta = 1;
        SharedArray v = make_value(names.make("i8"), 'b', &init);
        signed char now = 0;
        ASSERT_EQ(v.add(0, &delta, nullptr), kOk);
        v.get(0, &now);
        EXPECT_EQ(now, -128);
    }
    {
        const short init = 10, delta = -25;
        SharedArray v = make_value(names.make("i16"), 'h', &init);
        short now = 0;
        ASSERT_EQ(v.add(0, &delta, nullptr), kOk);
        v.get(0, &now);
        EXPECT_EQ(now, -15);
    }
    {
        const int init = INT_MAX, delta = 1;
        SharedArray v = make_value(names.make("i32"), 'i', &init);
        int before = 0, now = 0;
        ASSERT_EQ(v.add(0, &delta, &before), kOk);
        v.get(0, &now);
        EXPECT_EQ(before, INT_MAX);
        EXPECT_EQ(now, INT_MIN);
    }
    {
        const std::uint64_t init = 0, delta = UINT64_MAX;  // adding -1
        SharedArray v = make_value(names.make("u64"), 'L', &init);
        std::uint64_t now = 0;
        ASSERT_EQ(v.add(0, &delta, nullptr), kOk);
        v.get(0, &now);
        EXPECT_EQ(now, UINT64_MAX);
    }
}

TEST(Value, AtomicsRefuseNonIntegerCodes) {
    Names names;
    for (char code : {'f', 'd', 'c', 'u'}) {
        SharedArray v = make_value(names.make("not_int"), code, nullptr);
        std::uint64_t buf = 0, other = 0;
        bool swapped = true;
        EXPECT_EQ(v.add(0, &buf, nullptr), kInvalid) << code;
        EXPECT_EQ(v.compare_exchange(0, &buf, &other, &swapped), kInvalid) << code;
    }
}

TEST(Value, CompareExchangeSwapsOnlyOnEquality) {
    Names names;
    const long long init = -1;
    SharedArray v = make_value(names.make("cas"), 'q', &init);
    long long expected = -1, desired = 7;
    bool swapped = false;
    ASSERT_EQ(v.compare_exchange(0, &expected, &desired, &swapped), kOk);
    EXPECT_TRUE(swapped);
    EXPECT_EQ(expected, -1) << "unchanged on success";
    long long now = 0;
    v.get(0, &now);
    EXPECT_EQ(now, 7);

    expected = -1;
    desired = 9;
    ASSERT_EQ(v.compare_exchange(0, &expected, &desired, &swapped), kOk);
    EXPECT_FALSE(swapped);
    EXPECT_EQ(expected, 7) << "the current value on failure";
    v.get(0, &now);
    EXPECT_EQ(now, 7);
}

TEST(Value, AtomicAddFromFourThreadsIsExact) {
    Names names;
    SharedArray v = make_value(names.make("threads"), 'q', nullptr, false);
    constexpr int kThreads = 4, kAdds = 100000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            const long long one = 1;
            for (int i = 0; i < kAdds; ++i)
                v.add(0, &one, nullptr);
        });
    }
    for (auto &t : threads)
        t.join();
    long long total = 0;
    v.get(0, &total);
    EXPECT_EQ(total, static_cast<long long>(kThreads) * kAdds);
}

TEST(Value, CompareExchangeLoopFromFourThreadsIsExact) {
    Names names;
    SharedArray v = make_value(names.make("cas_threads"), 'I', nullptr);
    constexpr int kThreads = 4, kAdds = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kAdds; ++i) {
                unsigned expected = 0;
                v.get(0, &expected);
                bool swapped = false;
                do {
                    const unsigned desired = expected + 1;
                    v.compare_exchange(0, &expected, &desired, &swapped);
                } while (!swapped);
            }
        });
    }
    for (auto &t : threads)
        t.join();
    unsigned total = 0;
    v.get(0, &total);
    EXPECT_EQ(total, static_cast<unsigned>(kThreads * kAdds));
}

TEST(Value, AtomicAddFromFourProcessesIsExact) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("processes");
    SharedArray v = make_value(name, 'i', nullptr, false);
    constexpr int kProcesses = 4, kAdds = 100000;
    Shared<StartLine> start;
    std::vector<pid_t> children;
    for (int p = 0; p < kProcesses; ++p) {
        children.push_back(reaper.add(run_in_child([&] {
            SharedArray mine = SharedArray::open(name, Kind::kValue);
            if (!start->wait()) return 3;
            const int one = 1;
            for (int i = 0; i < kAdds; ++i) {
                if (mine.add(0, &one, nullptr) != kOk) return 1;
            }
            return 0;
        })));
    }
    start->release(kProcesses);
    for (pid_t child : children)
        EXPECT_EQ(wait_child(child, 30s), 0);
    int total = 0;
    v.get(0, &total);
    EXPECT_EQ(total, kProcesses * kAdds);
}
