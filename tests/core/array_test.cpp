// Array (core::array::SharedArray of kind kArray): every type code item by item and by
// slice, bounds, sizes, alignment, processes, kinds, open_existing, corrupt layouts, the
// RLock (the tutorial's counter) and the atomics.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
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
using mproc::core::kInvalid;
using mproc::core::kKind;
using mproc::core::kNotOwner;
using mproc::core::kOk;
using mproc::core::kOwnerDead;
using mproc::core::kTimedOut;
using mproc::core::kTooBig;
using mproc::core::kVersion;
using mproc::core::array::ArrayLayout;
using mproc::core::array::kMaxBytes;
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

SharedArray make_array(const std::string &name, char code, std::uint64_t length,
                       const void *init = nullptr, bool lock = true) {
    return SharedArray::create(name, Kind::kArray, code, length, init, lock, CreateOptions{});
}

// Items i of `init` are distinct: base + i * step in the type.
template <typename T>
void round_trip(char code, T base, T step) {
    SCOPED_TRACE(std::string("type code ") + code);
    constexpr std::size_t kLength = 7;
    Names names;
    const std::string name = names.make("round_trip");
    T init[kLength];
    for (std::size_t i = 0; i < kLength; ++i)
        init[i] = static_cast<T>(base + static_cast<T>(i) * step);
    SharedArray array = make_array(name, code, kLength, init);
    EXPECT_EQ(array.typecode(), code);
    EXPECT_EQ(array.itemsize(), sizeof(T));
    EXPECT_EQ(array.length(), kLength);
    for (std::size_t i = 0; i < kLength; ++i) {
        T got{};
        ASSERT_EQ(array.get(i, &got), kOk);
        EXPECT_EQ(std::memcmp(&got, &init[i], sizeof(T)), 0) << i;
    }
    // A slice in the middle, written through another handle.
    SharedArray other = SharedArray::open(name, Kind::kArray);
    const T patch[3] = {step, base, step};
    ASSERT_EQ(other.set_slice(2, 5, patch), kOk);
    T all[kLength];
    ASSERT_EQ(array.get_slice(0, kLength, all), kOk);
    T want[kLength];
    std::memcpy(want, init, sizeof want);
    std::memcpy(want + 2, patch, sizeof patch);
    EXPECT_EQ(std::memcmp(all, want, sizeof all), 0);
    EXPECT_EQ(std::memcmp(array.data(), want, sizeof want), 0);
    // One item at a time again, and the last one.
    ASSERT_EQ(array.set(kLength - 1, &base), kOk);
    T last{};
    ASSERT_EQ(other.get(kLength - 1, &last), kOk);
    EXPECT_EQ(std::memcmp(&last, &base, sizeof(T)), 0);
}

}  // namespace

TEST(Array, EveryTypeCodeRoundTripsByItemAndBySlice) {
    round_trip<char>('c', 'a', 1);
    round_trip<signed char>('b', -100, 30);
    round_trip<unsigned char>('B', 1, 40);
    round_trip<short>('h', -30000, 9000);
    round_trip<unsigned short>('H', 100, 10000);
    round_trip<int>('i', -3, 1000000);
    round_trip<unsigned int>('I', 4000000000u, 1);
    round_trip<std::int64_t>('l', -(1ll << 50), 1ll << 48);
    round_trip<std::uint64_t>('L', 1ull << 63, 3);
    round_trip<long long>('q', -7, -1);
    round_trip<unsigned long long>('Q', 11, 1ull << 60);
    round_trip<float>('f', -1.5f, 0.25f);
    round_trip<double>('d', 1e-300, 1e300);
    round_trip<wchar_t>('u', L'a', 0x1000);
}

TEST(Array, WithoutInitEveryItemIsZero) {
    Names names;
    SharedArray array = make_array(names.make("zeros"), 'd', 1000);
    std::vector<double> all(1000, 1.0);
    ASSERT_EQ(array.get_slice(0, 1000, all.data()), kOk);
    for (double d : all)
        ASSERT_EQ(d, 0.0);
}

TEST(Array, ItemsAreAlignedToTheirSize) {
    Names names;
    for (char code : {'B', 'h', 'i', 'q', 'd'}) {
        SharedArray array = make_array(names.make("aligned"), code, 3);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(array.data()) % 8, 0u) << code;
    }
}

TEST(Array, LengthZeroIsInvalidAndHugeLengthsAreTooBig) {
    Names names;
    std::string message;
    EXPECT_EQ(status_of([&] { make_array(names.make("empty"), 'i', 0); }, &message), kInvalid);
    EXPECT_NE(message.find("length 0"), std::string::npos) << message;
    EXPECT_EQ(status_of([&] { make_array(names.make("huge"), 'd', kMaxBytes / 8); }), kTooBig);
    EXPECT_EQ(status_of([&] { make_array(names.make("overflow"), 'q', UINT64_MAX); }), kTooBig);
    EXPECT_EQ(status_of([&] { make_array(names.make("overflow"), 'B', UINT64_MAX / 2 + 2); }),
              kTooBig);
    EXPECT_EQ(status_of([&] { make_array(names.make("bad_code"), 'y', 4); }), kInvalid);
}

TEST(Array, IndexesPastTheEndAreInvalid) {
    Names names;
    SharedArray array = make_array(names.make("bounds"), 'i', 4);
    int item = 5;
    bool swapped = false;
    EXPECT_EQ(array.set(3, &item), kOk);
    EXPECT_EQ(array.get(4, &item), kInvalid);
    EXPECT_EQ(array.set(4, &item), kInvalid);
    EXPECT_EQ(array.get(UINT64_MAX, &item), kInvalid);
    EXPECT_EQ(array.add(4, &item, nullptr), kInvalid);
    EXPECT_EQ(array.compare_exchange(4, &item, &item, &swapped), kInvalid);
}

TEST(Array, SlicesAreCheckedAndEmptySlicesCopyNothing) {
    Names names;
    SharedArray array = make_array(names.make("slices"), 'h', 4);
    short buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_EQ(array.get_slice(3, 2, buf), kInvalid);
    EXPECT_EQ(array.set_slice(3, 2, buf), kInvalid);
    EXPECT_EQ(array.get_slice(0, 5, buf), kInvalid);
    EXPECT_EQ(array.set_slice(2, 5, buf), kInvalid);
    EXPECT_EQ(array.get_slice(4, 4, nullptr), kOk);
    EXPECT_EQ(array.set_slice(0, 0, nullptr), kOk);
    EXPECT_EQ(array.set_slice(0, 4, buf), kOk);
    short out[4] = {};
    EXPECT_EQ(array.get_slice(1, 3, out), kOk);
    EXPECT_EQ(out[0], 2);
    EXPECT_EQ(out[1], 3);
    EXPECT_EQ(out[2], 0) << "nothing past the slice is written";
}

TEST(Array, ForkedChildOpensByNameAndWritesSlices) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("child");
    const std::uint16_t init[4] = {1, 2, 3, 4};
    SharedArray array = make_array(name, 'H', 4, init);
    pid_t child = reaper.add(run_in_child([&] {
        SharedArray mine = SharedArray::open(name, Kind::kArray);
        if (mine.length() != 4 || mine.typecode() != 'H') return 1;
        std::uint16_t items[4];
        if (mine.get_slice(0, 4, items) != kOk) return 2;
        for (auto &item : items)
            item = static_cast<std::uint16_t>(item * 100);
        return mine.set_slice(0, 4, items) == kOk ? 0 : 3;
    }));
    EXPECT_EQ(wait_child(child), 0);
    std::uint16_t now[4];
    ASSERT_EQ(array.get_slice(0, 4, now), kOk);
    EXPECT_EQ(now[0], 100);
    EXPECT_EQ(now[3], 400);
}

TEST(Array, AnonymousArrayIsSharedWithForkedChildren) {
    Names names;
    ChildReaper reaper;
    std::string name;
    {
        SharedArray array = make_array("", 'q', 3);
        name = array.name();
        names.adopt(name);
        pid_t child = reaper.add(run_in_child([&] {
            const long long v = -42;
            if (array.set(2, &v) != kOk) return 1;
            SharedArray by_name = SharedArray::open(name, Kind::kArray);
            return by_name.set(0, &v) == kOk ? 0 : 2;
        }));
        EXPECT_EQ(wait_child(child), 0);
        long long items[3];
        ASSERT_EQ(array.get_slice(0, 3, items), kOk);
        EXPECT_EQ(items[0], -42);
        EXPECT_EQ(items[1], 0);
        EXPECT_EQ(items[2], -42);
    }
    EXPECT_FALSE(shm_file_exists(name));
}

TEST(Array, AValueNameIsNotAnArray) {
    Names names;
    const std::string name = names.make("value");
    SharedArray value =
        SharedArray::create(name, Kind::kValue, 'i', 1, nullptr, true, CreateOptions{});
    EXPECT_EQ(status_of([&] { SharedArray::open(name, Kind::kArray); }), kKind);
    CreateOptions options;
    options.open_existing = true;
    EXPECT_EQ(
        status_of([&] { SharedArray::create(name, Kind::kArray, 'i', 1, nullptr, true, options); }),
        kKind);
}

TEST(Array, OpenExistingOpensAnArrayOfAnotherLength) {
    Names names;
    const std::string name = names.make("existing");
    SharedArray first = make_array(name, 'i', 10);
    CreateOptions options;
    options.open_existing = true;
    SharedArray second = SharedArray::create(name, Kind::kArray, 'd', 3, nullptr, false, options);
    EXPECT_EQ(second.length(), 10u);
    EXPECT_EQ(second.typecode(), 'i');
    EXPECT_TRUE(second.has_lock());
}

namespace {

// Rewrites one byte range of the object's file in place, as a stray writer would.
void scribble(const std::string &name, std::size_t offset, const void *bytes, std::size_t len) {
    int fd = ::open(shm_file(name).c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    void *p = ::mmap(nullptr, offset + len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    ASSERT_NE(p, MAP_FAILED);
    std::memcpy(static_cast<unsigned char *>(p) + offset, bytes, len);
    ::munmap(p, offset + len);
}

}  // namespace

TEST(Array, FieldsThatDoNotFitTheObjectAreVersion) {
    Names names;
    {
        const std::string name = names.make("long");
        { SharedArray array = make_array(name, 'i', 4); }
        const std::uint64_t length = 5;  // one item more than the file holds
        scribble(name, offsetof(ArrayLayout, length), &length, sizeof length);
        EXPECT_EQ(status_of([&] { SharedArray::open(name, Kind::kArray); }), kVersion);
    }
    {
        const std::string name = names.make("itemsize");
        { SharedArray array = make_array(name, 'i', 4); }
        const std::uint8_t itemsize = 8;
        scribble(name, offsetof(ArrayLayout, itemsize), &itemsize, 1);
        EXPECT_EQ(status_of([&] { SharedArray::open(name, Kind::kArray); }), kVersion);
    }
    {
        const std::string name = names.make("code");
        { SharedArray array = make_array(name, 'i', 4); }
        const char code = 'x';
        scribble(name, offsetof(ArrayLayout, typecode), &code, 1);
        EXPECT_EQ(status_of([&] { SharedArray::open(name, Kind::kArray); }), kVersion);
    }
}

TEST(Array, RawArrayHasNoLock) {
    Names names;
    SharedArray array = make_array(names.make("raw"), 'd', 2, nullptr, false);
    EXPECT_EQ(array.acquire(after(0)), kInvalid);
    EXPECT_EQ(array.release(), kInvalid);
}

TEST(Array, LockIsRecursive) {
    Names names;
    SharedArray array = make_array(names.make("rlock"), 'i', 2);
    ASSERT_EQ(array.acquire(after(0)), kOk);
    ASSERT_EQ(array.acquire(after(0)), kOk);
    EXPECT_EQ(array.lock_level(), 2u);
    std::thread other([&] { EXPECT_EQ(array.acquire(after(0.05)), kTimedOut); });
    other.join();
    EXPECT_EQ(array.release(), kOk);
    EXPECT_EQ(array.release(), kOk);
    EXPECT_EQ(array.release(), kNotOwner);
}

// The tutorials' shared counter: five processes each add 1 to an item a hundred times,
// with a read and a write (not atomic) under the array's lock; nothing is lost.
TEST(Array, FiveProcessesCountingUnderTheLockGetExactly500) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("tutorial");
    SharedArray array = make_array(name, 'i', 3);
    Shared<StartLine> start;
    std::vector<pid_t> children;
    for (int p = 0; p < 5; ++p) {
        children.push_back(reaper.add(run_in_child([&] {
            SharedArray mine = SharedArray::open(name, Kind::kArray);
            if (!start->wait()) return 3;
            for (int i = 0; i < 100; ++i) {
                if (mine.acquire(after(10)) != kOk) return 1;
                int v = 0;
                mine.get(1, &v);
                if ((i & 7) == 0) std::this_thread::yield();  // widen the window
                ++v;
                mine.set(1, &v);
                if (mine.release() != kOk) return 2;
            }
            return 0;
        })));
    }
    start->release(5);
    for (pid_t child : children)
        EXPECT_EQ(wait_child(child, 30s), 0);
    int items[3];
    ASSERT_EQ(array.get_slice(0, 3, items), kOk);
    EXPECT_EQ(items[0], 0);
    EXPECT_EQ(items[1], 500);
    EXPECT_EQ(items[2], 0);
}

TEST(Array, LockOwnerKilledGivesOwnerDead) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("owner_dead");
    SharedArray array = make_array(name, 'i', 2);
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        SharedArray mine = SharedArray::open(name, Kind::kArray);
        if (mine.acquire(after(0)) != kOk) return 1;
        stage->store(1);
        for (;;)
            ::pause();
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    EXPECT_EQ(array.acquire(after(0)), kTimedOut);
    ::kill(child, SIGKILL);
    EXPECT_EQ(array.acquire(after(5)), kOwnerDead);
    EXPECT_EQ(array.release(), kOk);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
}

TEST(Array, AtomicAddOnEveryIntegerWidthFromFourThreadsIsExact) {
    Names names;
    constexpr int kThreads = 4, kAdds = 20000;
    for (char code : {'b', 'H', 'i', 'Q'}) {
        SharedArray array = make_array(names.make("widths"), code, 4, nullptr, false);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                std::uint64_t one = 1;  // little-endian: its first bytes are 1 at any width
                for (int i = 0; i < kAdds; ++i) {
                    array.add(0, &one, nullptr);  // all on one item
                    array.add(1 + (t % 3), &one, nullptr);
                }
            });
        }
        for (auto &t : threads)
            t.join();
        std::uint64_t item = 0;
        const std::uint64_t mask =
            array.itemsize() == 8 ? ~0ull : (1ull << (8 * array.itemsize())) - 1;
        array.get(0, &item);
        EXPECT_EQ(item & mask, (static_cast<std::uint64_t>(kThreads) * kAdds) & mask) << code;
        array.get(1, &item);
        EXPECT_EQ(item & mask, (2ull * kAdds) & mask) << code;  // threads 0 and 3
    }
}

TEST(Array, AtomicAddFromFourProcessesIsExact) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("processes");
    SharedArray array = make_array(name, 'q', 2, nullptr, false);
    Shared<StartLine> start;
    std::vector<pid_t> children;
    for (int p = 0; p < 4; ++p) {
        children.push_back(reaper.add(run_in_child([&] {
            SharedArray mine = SharedArray::open(name, Kind::kArray);
            if (!start->wait()) return 3;
            const long long one = 1, minus = -1;
            for (int i = 0; i < 100000; ++i) {
                if (mine.add(0, &one, nullptr) != kOk) return 1;
                if (mine.add(1, &minus, nullptr) != kOk) return 2;
            }
            return 0;
        })));
    }
    start->release(4);
    for (pid_t child : children)
        EXPECT_EQ(wait_child(child, 30s), 0);
    long long items[2];
    ASSERT_EQ(array.get_slice(0, 2, items), kOk);
    EXPECT_EQ(items[0], 400000);
    EXPECT_EQ(items[1], -400000);
}

TEST(Array, CompareExchangeOnOneItemLeavesTheOthers) {
    Names names;
    const std::int16_t init[3] = {-1, -1, -1};
    SharedArray array = make_array(names.make("cas"), 'h', 3, init);
    std::int16_t expected = -1, desired = 300;
    bool swapped = false;
    ASSERT_EQ(array.compare_exchange(1, &expected, &desired, &swapped), kOk);
    EXPECT_TRUE(swapped);
    ASSERT_EQ(array.compare_exchange(1, &expected, &desired, &swapped), kOk);
    EXPECT_FALSE(swapped);
    EXPECT_EQ(expected, 300);
    std::int16_t items[3];
    array.get_slice(0, 3, items);
    EXPECT_EQ(items[0], -1);
    EXPECT_EQ(items[1], 300);
    EXPECT_EQ(items[2], -1);
}
