// List (core::container::SharedList): every call and status, Python's index and slice
// semantics (checked against a std::vector model over many random operations), all or
// nothing extend and set_slice, growth, kFull at max size with the list unchanged, kinds,
// forked children, the lock held by another thread, close() with a blocked caller, and
// many threads at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "container/dict.hpp"
#include "container/list.hpp"
#include "container_test_support.hpp"
#include "error.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kExists;
using mproc::core::kFull;
using mproc::core::kKind;
using mproc::core::kNotFound;
using mproc::core::kNotOwner;
using mproc::core::kOk;
using mproc::core::kTimedOut;
using mproc::core::container::HeapMemory;
using mproc::core::container::HeapSizes;
using mproc::core::container::SharedDict;
using mproc::core::container::SharedList;
using mproc::core::shm::CreateOptions;

namespace {

using Strings = std::vector<std::string>;
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

SharedList make_list(const std::string &name, std::size_t initial = 0, std::size_t max = 0) {
    return SharedList::create(name, HeapSizes{initial, max}, CreateOptions{});
}

Strings slice_of(SharedList &l, std::int64_t start = 0, std::int64_t stop = kMax) {
    Strings out;
    EXPECT_EQ(l.slice(
                  start, stop, [&](std::string_view item) { out.emplace_back(item); }, after(10)),
              kOk);
    return out;
}

// item `index`, or "<status>" for anything but kOk.
std::string item_at(SharedList &l, std::int64_t index) {
    std::string out;
    const Status s = l.get(
        index, [&](std::string_view v) { out.assign(v); }, after(10));
    return s == kOk ? out : "<" + std::to_string(s) + ">";
}

Status set_slice(SharedList &l, std::int64_t start, std::int64_t stop, const Strings &items) {
    std::vector<std::string_view> views(items.begin(), items.end());
    return l.set_slice(start, stop, views.data(), views.size(), after(10));
}

// Python's list, the reference the core is compared with.
class ListModel {
  public:
    Strings items;

    std::int64_t n() const { return static_cast<std::int64_t>(items.size()); }
    // An item index: counts from the end when negative; false when out of range.
    bool index(std::int64_t i, std::size_t *at) const {
        if (i < 0) i += n();
        if (i < 0 || i >= n()) return false;
        *at = static_cast<std::size_t>(i);
        return true;
    }
    // A slice bound, or list.insert's index: counts from the end when negative, then
    // clamped to [0, n].
    std::size_t clamp(std::int64_t i) const {
        if (i < 0) {
            i += n();
            if (i < 0) i = 0;
        }
        if (i > n()) i = n();
        return static_cast<std::size_t>(i);
    }
    Strings slice(std::int64_t start, std::int64_t stop) const {
        const std::size_t a = clamp(start), b = clamp(stop);
        if (b <= a) return {};
        return Strings(items.begin() + a, items.begin() + b);
    }
    void set_slice(std::int64_t start, std::int64_t stop, const Strings &with) {
        const std::size_t a = clamp(start);
        std::size_t b = clamp(stop);
        if (b < a) b = a;  // l[5:2] = x inserts at 5
        items.erase(items.begin() + a, items.begin() + b);
        items.insert(items.begin() + a, with.begin(), with.end());
    }
};

}  // namespace

TEST(List, AppendGetSetAndSizeRoundTrip) {
    Names names;
    SharedList l = make_list(names.make("basic"));
    EXPECT_EQ(size_of(l), 0u);
    const std::string binary("\0x\0", 3);
    ASSERT_EQ(l.append("a", after(10)), kOk);
    ASSERT_EQ(l.append(binary, after(10)), kOk);
    ASSERT_EQ(l.append("", after(10)), kOk);
    ASSERT_EQ(l.append(pattern(10000, 3), after(10)), kOk);
    EXPECT_EQ(size_of(l), 4u);
    EXPECT_EQ(item_at(l, 0), "a");
    EXPECT_EQ(item_at(l, 1), binary);
    EXPECT_EQ(item_at(l, 2), "");
    EXPECT_EQ(item_at(l, 3), pattern(10000, 3));
    EXPECT_EQ(item_at(l, -1), pattern(10000, 3));
    EXPECT_EQ(item_at(l, -4), "a");
    ASSERT_EQ(l.set(-3, "B", after(10)), kOk);
    ASSERT_EQ(l.set(0, pattern(3000, 9), after(10)), kOk);
    EXPECT_EQ(slice_of(l), (Strings{pattern(3000, 9), "B", "", pattern(10000, 3)}));
}

TEST(List, IndexesOutOfRangeAreNotFoundAndChangeNothing) {
    Names names;
    SharedList l = make_list(names.make("range"));
    bool called = false;
    auto mark = [&](std::string_view) { called = true; };
    EXPECT_EQ(l.get(0, mark, after(10)), kNotFound);
    EXPECT_EQ(l.get(-1, mark, after(10)), kNotFound);
    EXPECT_EQ(l.pop(-1, mark, after(10)), kNotFound) << "pop from an empty list";
    EXPECT_EQ(l.pop(0, {}, after(10)), kNotFound);
    EXPECT_EQ(l.set(0, "x", after(10)), kNotFound);
    ASSERT_EQ(l.append("only", after(10)), kOk);
    for (std::int64_t bad : {std::int64_t{1}, std::int64_t{-2}, std::int64_t{100}, kMin, kMax}) {
        EXPECT_EQ(l.get(bad, mark, after(10)), kNotFound) << bad;
        EXPECT_EQ(l.set(bad, "x", after(10)), kNotFound) << bad;
        EXPECT_EQ(l.pop(bad, mark, after(10)), kNotFound) << bad;
    }
    EXPECT_FALSE(called);
    EXPECT_EQ(slice_of(l), (Strings{"only"}));
    HeapMemory m;
    ASSERT_EQ(l.memory(after(10), &m), kOk);
    EXPECT_EQ(m.writes, 1u) << "only the append changed the list";
}

TEST(List, PopRemovesAndHandsOverTheItem) {
    Names names;
    SharedList l = make_list(names.make("pop"));
    for (const char *s : {"a", "b", "c", "d"})
        ASSERT_EQ(l.append(s, after(10)), kOk);
    std::string out;
    auto take = [&](std::string_view v) { out.assign(v); };
    ASSERT_EQ(l.pop(-1, take, after(10)), kOk);
    EXPECT_EQ(out, "d");
    ASSERT_EQ(l.pop(0, take, after(10)), kOk);
    EXPECT_EQ(out, "a");
    ASSERT_EQ(l.pop(-2, {}, after(10)), kOk);
    EXPECT_EQ(slice_of(l), (Strings{"c"}));
}

TEST(List, InsertClampsItsIndexAsPythonDoes) {
    Names names;
    SharedList l = make_list(names.make("insert"));
    ASSERT_EQ(l.insert(5, "a", after(10)), kOk);  // into an empty list
    ASSERT_EQ(l.insert(0, "b", after(10)), kOk);
    ASSERT_EQ(l.insert(-1, "c", after(10)), kOk);  // before the last
    ASSERT_EQ(l.insert(100, "d", after(10)), kOk);
    ASSERT_EQ(l.insert(-100, "e", after(10)), kOk);
    ASSERT_EQ(l.insert(kMax, "f", after(10)), kOk);
    ASSERT_EQ(l.insert(kMin, "g", after(10)), kOk);
    ASSERT_EQ(l.insert(2, "h", after(10)), kOk);
    EXPECT_EQ(slice_of(l), (Strings{"g", "e", "h", "b", "c", "a", "d", "f"}));
}

TEST(List, SlicesClampAsPythonDoes) {
    Names names;
    SharedList l = make_list(names.make("slice"));
    for (const char *s : {"0", "1", "2", "3", "4"})
        ASSERT_EQ(l.append(s, after(10)), kOk);
    EXPECT_EQ(slice_of(l, 1, 3), (Strings{"1", "2"}));
    EXPECT_EQ(slice_of(l, -2, kMax), (Strings{"3", "4"}));
    EXPECT_EQ(slice_of(l, 0, -1), (Strings{"0", "1", "2", "3"}));
    EXPECT_EQ(slice_of(l, -100, 2), (Strings{"0", "1"}));
    EXPECT_EQ(slice_of(l, 3, 1), Strings{});
    EXPECT_EQ(slice_of(l, 7, 9), Strings{});
    EXPECT_EQ(slice_of(l, kMin, kMax), (Strings{"0", "1", "2", "3", "4"}));
    EXPECT_EQ(slice_of(l, kMax, kMin), Strings{});
    EXPECT_EQ(slice_of(l, -1, -1), Strings{});
}

TEST(List, SetSliceReplacesDeletesInsertsAndClears) {
    Names names;
    SharedList l = make_list(names.make("set_slice"));
    ASSERT_EQ(set_slice(l, 0, 0, {"0", "1", "2", "3", "4"}), kOk);
    ASSERT_EQ(set_slice(l, 1, 3, {"a", "b", "c"}), kOk);  // grows
    EXPECT_EQ(slice_of(l), (Strings{"0", "a", "b", "c", "3", "4"}));
    ASSERT_EQ(set_slice(l, -3, kMax, {"z"}), kOk);  // shrinks
    EXPECT_EQ(slice_of(l), (Strings{"0", "a", "b", "z"}));
    ASSERT_EQ(set_slice(l, 3, 1, {"in"}), kOk);  // stop before start: inserts at start
    EXPECT_EQ(slice_of(l), (Strings{"0", "a", "b", "in", "z"}));
    ASSERT_EQ(set_slice(l, 1, 3, {}), kOk);  // deletes
    EXPECT_EQ(slice_of(l), (Strings{"0", "in", "z"}));
    ASSERT_EQ(set_slice(l, 100, 200, {"end"}), kOk);  // appends
    EXPECT_EQ(slice_of(l), (Strings{"0", "in", "z", "end"}));
    ASSERT_EQ(l.set_slice(0, kMax, nullptr, 0, after(10)), kOk);  // clears
    EXPECT_EQ(size_of(l), 0u);
    ASSERT_EQ(l.append("usable", after(10)), kOk);
    EXPECT_EQ(slice_of(l), (Strings{"usable"}));
}

TEST(List, ExtendAppendsAllOrNothing) {
    Names names;
    SharedList l = make_list(names.make("extend"), 16u << 10, 256u << 10);
    ASSERT_EQ(l.append("first", after(10)), kOk);
    const Strings few = {"a", "", "c"};
    std::vector<std::string_view> views(few.begin(), few.end());
    ASSERT_EQ(l.extend(views.data(), views.size(), after(10)), kOk);
    ASSERT_EQ(l.extend(nullptr, 0, after(10)), kOk);
    EXPECT_EQ(slice_of(l), (Strings{"first", "a", "", "c"}));
    Strings many;
    for (int i = 0; i < 100; ++i)
        many.push_back(pattern(8000, i));  // 800 KB: more than the max
    std::vector<std::string_view> many_views(many.begin(), many.end());
    EXPECT_EQ(status_of([&] { l.extend(many_views.data(), many_views.size(), after(10)); }), kFull);
    EXPECT_EQ(slice_of(l), (Strings{"first", "a", "", "c"}));
    EXPECT_EQ(status_of([&] { set_slice(l, 0, 1, many); }), kFull) << "set_slice too";
    EXPECT_EQ(slice_of(l), (Strings{"first", "a", "", "c"}));
    ASSERT_EQ(l.extend(many_views.data(), 10, after(10)), kOk);
    EXPECT_EQ(size_of(l), 14u);
    EXPECT_EQ(item_at(l, -1), many[9]);
}

TEST(List, GrowsFromSixteenKiBAndKeepsEveryItem) {
    Names names;
    SharedList l = make_list(names.make("grow"), 16u << 10);
    HeapMemory before;
    ASSERT_EQ(l.memory(after(10), &before), kOk);
    EXPECT_EQ(before.capacity, 16u << 10);
    constexpr int kItems = 6000;
    for (int i = 0; i < kItems; ++i) {
        // Half at the end, half at the front: both ends of the sequence.
        if (i % 2 == 0) {
            ASSERT_EQ(l.append(pattern(50 + i % 100, i), after(10)), kOk);
        } else {
            ASSERT_EQ(l.insert(0, pattern(50 + i % 100, i), after(10)), kOk);
        }
    }
    HeapMemory grown;
    ASSERT_EQ(l.memory(after(10), &grown), kOk);
    EXPECT_GT(grown.capacity, 512u << 10);
    EXPECT_GE(grown.growths, 5u);
    const Strings all = slice_of(l);
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kItems));
    for (int i = 0; i < kItems; ++i) {
        const std::size_t at = i % 2 == 0 ? kItems / 2 + i / 2 : kItems / 2 - 1 - i / 2;
        ASSERT_EQ(all[at], pattern(50 + i % 100, i)) << i;
    }
}

TEST(List, FullAtMaxSizeThrowsAndLeavesTheListUnchangedAndUsable) {
    Names names;
    SharedList l = make_list(names.make("full"), 16u << 10, 128u << 10);
    int stored = 0;
    Status last = kOk;
    for (; stored < 1000; ++stored) {
        last = status_of([&] { l.append(pattern(3000, stored), after(10)); });
        if (last != kOk) break;
    }
    ASSERT_EQ(last, kFull);
    EXPECT_GT(stored, 10);
    const Strings full = slice_of(l);
    ASSERT_EQ(full.size(), static_cast<std::size_t>(stored));
    EXPECT_EQ(status_of([&] { l.insert(0, pattern(3000, 5000), after(10)); }), kFull);
    EXPECT_EQ(status_of([&] { l.set(0, std::string(200u << 10, 'x'), after(10)); }), kFull);
    EXPECT_EQ(slice_of(l), full);
    ASSERT_EQ(l.pop(0, {}, after(10)), kOk);
    ASSERT_EQ(l.pop(0, {}, after(10)), kOk);
    ASSERT_EQ(l.append("after", after(10)), kOk);
    EXPECT_EQ(item_at(l, -1), "after");
    EXPECT_EQ(item_at(l, 0), pattern(3000, 2));
}

TEST(List, KindsOpenExistingAndAnonymous) {
    Names names;
    const std::string name = names.make("named");
    SharedList l = make_list(name);
    ASSERT_EQ(l.append("x", after(10)), kOk);
    EXPECT_EQ(status_of([&] { make_list(name); }), kExists);
    CreateOptions existing;
    existing.open_existing = true;
    SharedList again = SharedList::create(name, HeapSizes{16u << 10, 32u << 10}, existing);
    EXPECT_EQ(slice_of(again), (Strings{"x"}));
    EXPECT_EQ(status_of([&] { SharedDict::open(name); }), kKind);
    EXPECT_EQ(status_of([&] { SharedDict::create(name, HeapSizes{}, existing); }), kKind);
    EXPECT_EQ(status_of([&] { SharedDict::unlink(name); }), kKind);
    SharedList::unlink(name);
    EXPECT_EQ(status_of([&] { SharedList::open(name); }), kNotFound);

    std::string anonymous;
    {
        SharedList a = SharedList::create("", HeapSizes{}, CreateOptions{});
        anonymous = a.name();
        names.adopt(anonymous);
        ASSERT_EQ(a.append("anon", after(10)), kOk);
        SharedList by_name = SharedList::open(anonymous);
        EXPECT_EQ(slice_of(by_name), (Strings{"anon"}));
    }
    EXPECT_FALSE(shm_file_exists(anonymous));
}

TEST(List, ForkedChildOpensByNameAndWrites) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("child");
    SharedList l = make_list(name, 16u << 10);
    ASSERT_EQ(l.append("parent", after(10)), kOk);
    pid_t child = reaper.add(run_in_child([&] {
        SharedList mine = SharedList::open(name);
        for (int i = 0; i < 1000; ++i) {
            if (mine.append(pattern(100, i), after(10)) != kOk) return 1;
        }
        return mine.set(0, "child was here", after(10)) == kOk ? 0 : 2;
    }));
    EXPECT_EQ(wait_child(child, 30s), 0);
    EXPECT_EQ(size_of(l), 1001u);
    EXPECT_EQ(item_at(l, 0), "child was here");
    EXPECT_EQ(item_at(l, -1), pattern(100, 999));
}

TEST(List, CallsOfOtherThreadsTimeOutWhileTheLockIsHeld) {
    Names names;
    SharedList l = make_list(names.make("lock"));
    ASSERT_EQ(l.append("a", after(0)), kOk);
    ASSERT_EQ(l.acquire(after(0)), kOk);
    ASSERT_EQ(l.append("b", after(0)), kOk) << "the holder's calls take the lock again";
    std::thread other([&] {
        std::size_t n = 0;
        const std::string_view one = "x";
        EXPECT_EQ(l.append("c", after(0.05)), kTimedOut);
        EXPECT_EQ(l.extend(&one, 1, after(0)), kTimedOut);
        EXPECT_EQ(l.get(0, {}, after(0)), kTimedOut);
        EXPECT_EQ(l.set(0, "x", after(0)), kTimedOut);
        EXPECT_EQ(l.insert(0, "x", after(0)), kTimedOut);
        EXPECT_EQ(l.pop(0, {}, after(0)), kTimedOut);
        EXPECT_EQ(l.size(&n, after(0)), kTimedOut);
        EXPECT_EQ(l.slice(0, kMax, {}, after(0)), kTimedOut);
        EXPECT_EQ(l.set_slice(0, kMax, nullptr, 0, after(0)), kTimedOut);
        EXPECT_EQ(l.acquire(after(0.02)), kTimedOut);
        EXPECT_EQ(l.release(), kNotOwner);
    });
    other.join();
    EXPECT_EQ(l.release(), kOk);
    EXPECT_EQ(l.release(), kNotOwner);
    EXPECT_EQ(slice_of(l), (Strings{"a", "b"}));
}

TEST(List, CloseWakesACallBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close");
    SharedList owner = make_list(name);
    SharedList waiter = SharedList::open(name);
    expect_close_wakes_blocked_call(owner, waiter,
                                    [](SharedList &l) { return l.append("x", after(20)); });
    EXPECT_EQ(size_of(owner), 0u);
}

TEST(List, ManyThreadsAppendAndPopWithExactResults) {
    Names names;
    SharedList l = make_list(names.make("threads"), 16u << 10);
    constexpr int kThreads = 4, kAppends = 2000;
    std::atomic<int> failures{0};
    std::vector<Strings> popped(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kAppends; ++i) {
                if (l.append(std::to_string(t) + ":" + std::to_string(i), after(30)) != kOk)
                    failures++;
                if (i % 4 == 3) {
                    std::string out;
                    if (l.pop(
                            0, [&](std::string_view v) { out.assign(v); }, after(30)) != kOk)
                        failures++;
                    popped[t].push_back(out);
                }
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    const Strings left = slice_of(l);
    EXPECT_EQ(left.size(), static_cast<std::size_t>(kThreads * kAppends * 3 / 4));
    // What is left of each thread's items is in its order...
    std::vector<int> last(kThreads, -1);
    for (const std::string &item : left) {
        const int t = std::stoi(item.substr(0, item.find(':')));
        const int i = std::stoi(item.substr(item.find(':') + 1));
        ASSERT_GT(i, last[t]) << item;
        last[t] = i;
    }
    // ...and every item appended was either popped or left, once.
    Strings all = left;
    for (const Strings &p : popped)
        all.insert(all.end(), p.begin(), p.end());
    std::sort(all.begin(), all.end());
    Strings expected;
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kAppends; ++i)
            expected.push_back(std::to_string(t) + ":" + std::to_string(i));
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(all, expected);
}

TEST(List, RandomOperationsMatchPythonsList) {
    Names names;
    SharedList l = make_list(names.make("model"), 16u << 10);
    ListModel model;
    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    // Indexes around the list's ends and beyond, now and then the extremes.
    auto random_index = [&]() -> std::int64_t {
        const int r = pick(0, 40);
        if (r == 0) return kMin;
        if (r == 1) return kMax;
        const int n = static_cast<int>(model.items.size());
        return pick(-n - 3, n + 3);
    };
    auto random_item = [&] {
        const std::size_t len = pick(0, 15) == 0 ? pick(500, 4000) : pick(0, 40);
        return pattern(len, static_cast<std::uint32_t>(rng()));
    };
    auto random_items = [&] {
        Strings items(pick(0, 4));
        for (auto &s : items)
            s = random_item();
        return items;
    };
    for (int step = 0; step < 20000; ++step) {
        SCOPED_TRACE("step " + std::to_string(step));
        const int op = pick(0, 99);
        if (op < 15) {
            const std::string item = random_item();
            ASSERT_EQ(l.append(item, after(10)), kOk);
            model.items.push_back(item);
        } else if (op < 20) {
            const Strings items = random_items();
            std::vector<std::string_view> views(items.begin(), items.end());
            ASSERT_EQ(l.extend(views.data(), views.size(), after(10)), kOk);
            model.items.insert(model.items.end(), items.begin(), items.end());
        } else if (op < 35) {
            const std::int64_t i = random_index();
            std::size_t at = 0;
            const std::string got = item_at(l, i);
            if (model.index(i, &at)) {
                ASSERT_EQ(got, model.items[at]) << "index " << i;
            } else {
                ASSERT_EQ(got, "<" + std::to_string(kNotFound) + ">") << "index " << i;
            }
        } else if (op < 45) {
            const std::int64_t i = random_index();
            const std::string item = random_item();
            std::size_t at = 0;
            const bool valid = model.index(i, &at);
            ASSERT_EQ(l.set(i, item, after(10)), valid ? kOk : kNotFound) << "index " << i;
            if (valid) model.items[at] = item;
        } else if (op < 58) {
            const std::int64_t i = random_index();
            const std::string item = random_item();
            ASSERT_EQ(l.insert(i, item, after(10)), kOk);
            model.items.insert(model.items.begin() + model.clamp(i), item);
        } else if (op < 72) {
            const std::int64_t i = pick(0, 3) == 0 ? -1 : random_index();
            std::string out;
            std::size_t at = 0;
            const bool valid = model.index(i, &at);
            ASSERT_EQ(l.pop(
                          i, [&](std::string_view v) { out.assign(v); }, after(10)),
                      valid ? kOk : kNotFound)
                << "index " << i;
            if (valid) {
                ASSERT_EQ(out, model.items[at]);
                model.items.erase(model.items.begin() + at);
            }
        } else if (op < 84) {
            const std::int64_t a = random_index(), b = random_index();
            ASSERT_EQ(slice_of(l, a, b), model.slice(a, b)) << "[" << a << ":" << b << "]";
        } else if (op < 98) {
            const std::int64_t a = random_index(), b = random_index();
            const Strings items = random_items();
            ASSERT_EQ(set_slice(l, a, b, items), kOk) << "[" << a << ":" << b << "]";
            model.set_slice(a, b, items);
        } else {
            ASSERT_EQ(size_of(l), model.items.size());
        }
        if (step % 500 == 0) {
            ASSERT_EQ(slice_of(l), model.items);
        }
    }
    EXPECT_EQ(slice_of(l), model.items);
    HeapMemory m;
    ASSERT_EQ(l.memory(after(10), &m), kOk);
    EXPECT_GT(m.growths, 0u);
}
