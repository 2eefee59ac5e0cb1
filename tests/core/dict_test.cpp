// Dict (core::container::SharedDict): every call and status, insertion order as a Python
// dict keeps it, update all or nothing, growth from 16 KiB, kFull at max size with the
// dict unchanged, kTooBig keys, create options, kinds, forked children, the lock held by
// another thread or process, close() with a blocked caller, many threads at once, and a
// model-based random test against an insertion-ordered map.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "container/dict.hpp"
#include "container/list.hpp"
#include "container_test_support.hpp"
#include "error.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kEmpty;
using mproc::core::kExists;
using mproc::core::kFull;
using mproc::core::kInvalid;
using mproc::core::kKind;
using mproc::core::kNotFound;
using mproc::core::kNotOwner;
using mproc::core::kOk;
using mproc::core::kTimedOut;
using mproc::core::kTooBig;
using mproc::core::container::HeapMemory;
using mproc::core::container::HeapSizes;
using mproc::core::container::Item;
using mproc::core::container::kMaxKey;
using mproc::core::container::kMaxReservation;
using mproc::core::container::kMinReservation;
using mproc::core::container::SharedDict;
using mproc::core::container::SharedList;
using mproc::core::shm::CreateOptions;

namespace {

using Items = std::vector<std::pair<std::string, std::string>>;

SharedDict make_dict(const std::string &name, std::size_t initial = 0, std::size_t max = 0) {
    return SharedDict::create(name, HeapSizes{initial, max}, CreateOptions{});
}

// The value of `key`, or nullopt for kNotFound; any other status fails the test.
std::optional<std::string> value_of(SharedDict &d, std::string_view key) {
    std::string out;
    const Status s = d.get(
        key, [&](std::string_view v) { out.assign(v); }, after(10));
    if (s == kNotFound) return std::nullopt;
    EXPECT_EQ(s, kOk);
    return out;
}

Items items_of(SharedDict &d) {
    Items items;
    EXPECT_EQ(d.for_each([&](std::string_view k,
                             std::string_view v) { items.emplace_back(std::string(k), v); },
                         after(10)),
              kOk);
    return items;
}

std::vector<std::string> keys_of(SharedDict &d) {
    std::vector<std::string> keys;
    for (auto &item : items_of(d))
        keys.push_back(item.first);
    return keys;
}

// A Python dict in miniature: a vector in insertion order (linear search is fine for the
// few dozen keys of the random test).
class DictModel {
  public:
    void set(const std::string &k, const std::string &v) {
        auto it = find(k);
        if (it != items_.end())
            it->second = v;
        else
            items_.emplace_back(k, v);
    }
    std::optional<std::string> get(const std::string &k) {
        auto it = find(k);
        if (it == items_.end()) return std::nullopt;
        return it->second;
    }
    std::optional<std::string> pop(const std::string &k) {
        auto it = find(k);
        if (it == items_.end()) return std::nullopt;
        std::string v = it->second;
        items_.erase(it);
        return v;
    }
    const Items &items() const { return items_; }
    Items &items() { return items_; }

  private:
    Items::iterator find(const std::string &k) {
        for (auto it = items_.begin(); it != items_.end(); ++it) {
            if (it->first == k) return it;
        }
        return items_.end();
    }
    Items items_;
};

}  // namespace

TEST(Dict, SetGetContainsAndSizeRoundTrip) {
    Names names;
    SharedDict d = make_dict(names.make("basic"));
    EXPECT_EQ(size_of(d), 0u);
    const std::string nul_key("a\0b", 3), nul_value("\0\0x\0", 4);
    ASSERT_EQ(d.set("alpha", "one", after(10)), kOk);
    ASSERT_EQ(d.set(nul_key, nul_value, after(10)), kOk);
    ASSERT_EQ(d.set("", "empty key", after(10)), kOk);
    ASSERT_EQ(d.set("empty value", "", after(10)), kOk);
    EXPECT_EQ(size_of(d), 4u);
    EXPECT_EQ(value_of(d, "alpha"), "one");
    EXPECT_EQ(value_of(d, nul_key), nul_value);
    EXPECT_EQ(value_of(d, std::string_view("a", 1)), std::nullopt) << "the NUL is part of the key";
    EXPECT_EQ(value_of(d, ""), "empty key");
    EXPECT_EQ(value_of(d, "empty value"), "");
    bool found = false;
    ASSERT_EQ(d.contains("alpha", &found, after(10)), kOk);
    EXPECT_TRUE(found);
    ASSERT_EQ(d.contains("beta", &found, after(10)), kOk);
    EXPECT_FALSE(found);
    ASSERT_EQ(d.set("alpha", pattern(5000, 1), after(10)), kOk);
    EXPECT_EQ(value_of(d, "alpha"), pattern(5000, 1));
    EXPECT_EQ(size_of(d), 4u);
}

TEST(Dict, MissingKeysAreNotFoundAndAnEmptyDictIsEmpty) {
    Names names;
    SharedDict d = make_dict(names.make("missing"));
    bool called = false;
    EXPECT_EQ(d.get(
                  "nope", [&](std::string_view) { called = true; }, after(10)),
              kNotFound);
    EXPECT_EQ(d.pop(
                  "nope", [&](std::string_view) { called = true; }, after(10)),
              kNotFound);
    EXPECT_EQ(d.pop("nope", {}, after(10)), kNotFound);
    EXPECT_EQ(d.popitem([&](std::string_view, std::string_view) { called = true; }, after(10)),
              kEmpty);
    EXPECT_EQ(d.popitem({}, after(10)), kEmpty);
    EXPECT_FALSE(called);
    ASSERT_EQ(d.set("k", "v", after(10)), kOk);
    EXPECT_EQ(d.pop("other", {}, after(10)), kNotFound);
    EXPECT_EQ(items_of(d), (Items{{"k", "v"}})) << "a failed pop removes nothing";
    EXPECT_EQ(memory_of(d).writes, 1u) << "only the set changed the dict";
}

TEST(Dict, PopHandsOverTheValueAndRemovesTheKey) {
    Names names;
    SharedDict d = make_dict(names.make("pop"));
    ASSERT_EQ(d.set("a", "1", after(10)), kOk);
    ASSERT_EQ(d.set("b", "2", after(10)), kOk);
    std::string out;
    ASSERT_EQ(d.pop(
                  "a", [&](std::string_view v) { out.assign(v); }, after(10)),
              kOk);
    EXPECT_EQ(out, "1");
    ASSERT_EQ(d.pop("b", {}, after(10)), kOk) << "out may be empty";
    EXPECT_EQ(size_of(d), 0u);
    EXPECT_EQ(value_of(d, "a"), std::nullopt);
}

TEST(Dict, SettingAnExistingKeyKeepsItsPlace) {
    Names names;
    SharedDict d = make_dict(names.make("order"));
    for (const char *k : {"c", "a", "b", "d"})
        ASSERT_EQ(d.set(k, k, after(10)), kOk);
    ASSERT_EQ(d.set("a", "new a", after(10)), kOk);
    EXPECT_EQ(items_of(d), (Items{{"c", "c"}, {"a", "new a"}, {"b", "b"}, {"d", "d"}}));
}

TEST(Dict, DeletedAndReinsertedKeyGoesLast) {
    Names names;
    SharedDict d = make_dict(names.make("reinsert"));
    for (const char *k : {"x", "y", "z"})
        ASSERT_EQ(d.set(k, k, after(10)), kOk);
    ASSERT_EQ(d.pop("x", {}, after(10)), kOk);
    ASSERT_EQ(d.set("x", "back", after(10)), kOk);
    EXPECT_EQ(keys_of(d), (std::vector<std::string>{"y", "z", "x"}));
}

TEST(Dict, PopitemIsLastInFirstOut) {
    Names names;
    SharedDict d = make_dict(names.make("popitem"));
    for (const char *k : {"1", "2", "3"})
        ASSERT_EQ(d.set(k, std::string("v") + k, after(10)), kOk);
    ASSERT_EQ(d.set("1", "v1 again", after(10)), kOk);  // keeps its place: still first
    std::vector<std::pair<std::string, std::string>> popped;
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(d.popitem([&](std::string_view k,
                                std::string_view v) { popped.emplace_back(std::string(k), v); },
                            after(10)),
                  kOk);
    }
    EXPECT_EQ(popped, (Items{{"3", "v3"}, {"2", "v2"}, {"1", "v1 again"}}));
    EXPECT_EQ(d.popitem({}, after(10)), kEmpty);
}

TEST(Dict, SetdefaultInsertsOnlyAnAbsentKey) {
    Names names;
    SharedDict d = make_dict(names.make("setdefault"));
    bool inserted = false;
    std::string out;
    ASSERT_EQ(d.setdefault(
                  "k", "first", &inserted, [&](std::string_view v) { out.assign(v); }, after(10)),
              kOk);
    EXPECT_TRUE(inserted);
    EXPECT_EQ(out, "first");
    ASSERT_EQ(d.setdefault(
                  "k", "second", &inserted, [&](std::string_view v) { out.assign(v); }, after(10)),
              kOk);
    EXPECT_FALSE(inserted);
    EXPECT_EQ(out, "first");
    ASSERT_EQ(d.setdefault("j", "", &inserted, {}, after(10)), kOk);
    EXPECT_TRUE(inserted);
    EXPECT_EQ(items_of(d), (Items{{"k", "first"}, {"j", ""}}));
}

TEST(Dict, ClearEmptiesTheDictWhichStaysUsable) {
    Names names;
    SharedDict d = make_dict(names.make("clear"), 16u << 10);
    for (int i = 0; i < 500; ++i)
        ASSERT_EQ(d.set("key" + std::to_string(i), pattern(100, i), after(10)), kOk);
    ASSERT_EQ(d.clear(after(10)), kOk);
    EXPECT_EQ(size_of(d), 0u);
    EXPECT_TRUE(items_of(d).empty());
    ASSERT_EQ(d.clear(after(10)), kOk) << "clearing an empty dict";
    ASSERT_EQ(d.set("key7", "again", after(10)), kOk);
    EXPECT_EQ(items_of(d), (Items{{"key7", "again"}}));
}

TEST(Dict, UpdateSetsInOrderAndTheLastOfADuplicateKeyWins) {
    Names names;
    SharedDict d = make_dict(names.make("update"));
    ASSERT_EQ(d.set("b", "old b", after(10)), kOk);
    const std::vector<Item> batch = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"a", "4"}};
    ASSERT_EQ(d.update(batch.data(), batch.size(), after(10)), kOk);
    EXPECT_EQ(items_of(d), (Items{{"b", "2"}, {"a", "4"}, {"c", "3"}}));
    ASSERT_EQ(d.update(nullptr, 0, after(10)), kOk) << "an empty update";
    EXPECT_EQ(size_of(d), 3u);
}

TEST(Dict, UpdateWithAKeyTooBigChangesNothing) {
    Names names;
    SharedDict d = make_dict(names.make("update_toobig"));
    ASSERT_EQ(d.set("keep", "me", after(10)), kOk);
    const std::string huge(kMaxKey + 1, 'k');
    const std::vector<Item> batch = {{"a", "1"}, {"keep", "changed"}, {huge, "x"}, {"z", "2"}};
    EXPECT_EQ(status_of([&] { d.update(batch.data(), batch.size(), after(10)); }), kTooBig);
    EXPECT_EQ(items_of(d), (Items{{"keep", "me"}}));
    ASSERT_EQ(d.set("after", "ok", after(10)), kOk);
}

TEST(Dict, UpdateThatDoesNotFitChangesNothing) {
    Names names;
    SharedDict d = make_dict(names.make("update_full"), 16u << 10, 256u << 10);
    ASSERT_EQ(d.set("keep", "me", after(10)), kOk);
    std::vector<std::string> values;
    for (int i = 0; i < 100; ++i)
        values.push_back(pattern(8000, i));  // 800 KB: more than the 256 KiB max
    std::vector<std::string> keys;
    std::vector<Item> batch;
    for (int i = 0; i < 100; ++i)
        keys.push_back("k" + std::to_string(i));
    batch.emplace_back("keep", "changed");
    for (int i = 0; i < 100; ++i)
        batch.emplace_back(keys[i], values[i]);
    EXPECT_EQ(status_of([&] { d.update(batch.data(), batch.size(), after(10)); }), kFull);
    EXPECT_EQ(items_of(d), (Items{{"keep", "me"}}));
    // Half of it fits.
    ASSERT_EQ(d.update(batch.data(), 10, after(10)), kOk);
    EXPECT_EQ(size_of(d), 10u);
    EXPECT_EQ(value_of(d, "k8"), values[8]);
}

TEST(Dict, GrowsFromSixteenKiBAndKeepsEveryValue) {
    Names names;
    SharedDict d = make_dict(names.make("grow"), 16u << 10);
    const HeapMemory before = memory_of(d);
    EXPECT_EQ(before.capacity, 16u << 10);
    EXPECT_EQ(before.growths, 0u);
    EXPECT_GT(before.free, 0u);
    EXPECT_LT(before.free, before.capacity);
    constexpr int kKeys = 5000;
    for (int i = 0; i < kKeys; ++i)
        ASSERT_EQ(d.set("key-" + std::to_string(i), pattern(40 + i % 200, i), after(10)), kOk) << i;
    const HeapMemory after_growth = memory_of(d);
    EXPECT_GT(after_growth.capacity, 1u << 20);
    EXPECT_GE(after_growth.growths, 6u) << "16 KiB doubled to over 1 MiB";
    EXPECT_EQ(after_growth.max_size, before.max_size);
    EXPECT_EQ(after_growth.writes, static_cast<std::uint64_t>(kKeys));
    EXPECT_EQ(after_growth.recoveries, 0u);
    EXPECT_EQ(size_of(d), static_cast<std::size_t>(kKeys));
    for (int i = 0; i < kKeys; ++i)
        ASSERT_EQ(value_of(d, "key-" + std::to_string(i)), pattern(40 + i % 200, i)) << i;
    const std::vector<std::string> keys = keys_of(d);
    ASSERT_EQ(keys.size(), static_cast<std::size_t>(kKeys));
    for (int i = 0; i < kKeys; ++i)
        ASSERT_EQ(keys[i], "key-" + std::to_string(i)) << "insertion order across growths";
    // Another handle opened after the growth sees it all too.
    SharedDict again = SharedDict::open(d.name());
    EXPECT_EQ(value_of(again, "key-4999"), pattern(40 + 4999 % 200, 4999));
}

TEST(Dict, FullAtMaxSizeThrowsAndLeavesTheDictUnchangedAndUsable) {
    Names names;
    SharedDict d = make_dict(names.make("full"), 16u << 10, 256u << 10);
    int stored = 0;
    Status last = kOk;
    for (; stored < 1000; ++stored) {
        last = status_of(
            [&] { d.set("k" + std::to_string(stored), pattern(4000, stored), after(10)); });
        if (last != kOk) break;
    }
    ASSERT_EQ(last, kFull) << "after " << stored << " values of 4000 bytes";
    EXPECT_GT(stored, 20) << "most of 256 KiB is usable";
    const Items full = items_of(d);
    ASSERT_EQ(full.size(), static_cast<std::size_t>(stored));
    const HeapMemory m = memory_of(d);
    EXPECT_LE(m.capacity, m.max_size);
    EXPECT_GE(m.max_size, 256u << 10);
    // One value larger than the whole dict may be.
    EXPECT_EQ(status_of([&] { d.set("huge", std::string(1u << 20, 'h'), after(10)); }), kFull);
    // Replacing a value by a bigger one that does not fit keeps the old value.
    EXPECT_EQ(status_of([&] { d.set("k0", std::string(300u << 10, 'h'), after(10)); }), kFull);
    EXPECT_EQ(items_of(d), full) << "a full dict is unchanged";
    // Still usable: free some room, then write again.
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(d.pop("k" + std::to_string(i), {}, after(10)), kOk);
    ASSERT_EQ(d.set("new", pattern(4000, 777), after(10)), kOk);
    EXPECT_EQ(value_of(d, "new"), pattern(4000, 777));
    EXPECT_EQ(value_of(d, "k5"), pattern(4000, 5));
    EXPECT_EQ(size_of(d), static_cast<std::size_t>(stored - 5 + 1));
}

TEST(Dict, AKeyOverMaxKeyIsTooBig) {
    Names names;
    SharedDict d = make_dict(names.make("toobig"));
    const std::string longest(kMaxKey, 'k'), over(kMaxKey + 1, 'k');
    ASSERT_EQ(d.set(longest, "fits", after(10)), kOk);
    EXPECT_EQ(value_of(d, longest), "fits");
    std::string message;
    EXPECT_EQ(status_of([&] { d.set(over, "no", after(10)); }, &message), kTooBig);
    EXPECT_FALSE(message.empty());
    bool inserted = true;
    EXPECT_EQ(status_of([&] { d.setdefault(over, "no", &inserted, {}, after(10)); }), kTooBig);
    EXPECT_EQ(size_of(d), 1u);
}

TEST(Dict, CreateChecksTheSizes) {
    Names names;
    EXPECT_EQ(status_of([&] { make_dict(names.make("inverted"), 1u << 20, 64u << 10); }), kInvalid);
    EXPECT_EQ(status_of([&] { make_dict(names.make("huge_max"), 0, kMaxReservation + 4096); }),
              kTooBig);
    EXPECT_EQ(status_of([&] { make_dict(names.make("tiny_max"), 0, kMinReservation / 2); }),
              kTooBig);
    // The defaults, and sizes rounded up to pages.
    SharedDict defaults = make_dict(names.make("defaults"));
    const HeapMemory m = memory_of(defaults);
    EXPECT_EQ(m.capacity, mproc::core::container::kDefaultInitial);
    EXPECT_EQ(m.max_size, mproc::core::container::kDefaultMax);
    SharedDict odd = make_dict(names.make("odd"), 20000, 100000);
    const HeapMemory o = memory_of(odd);
    EXPECT_EQ(o.capacity % 4096, 0u);
    EXPECT_GE(o.capacity, 20000u);
    EXPECT_GE(o.max_size, 100000u);
    SharedDict smallest = make_dict(names.make("smallest"), kMinReservation, kMinReservation);
    ASSERT_EQ(smallest.set("k", "v", after(10)), kOk);
}

TEST(Dict, CreateOpenExistingAnonymousAndKinds) {
    Names names;
    const std::string name = names.make("named");
    SharedDict first = make_dict(name, 16u << 10, 1u << 20);
    ASSERT_EQ(first.set("k", "v", after(10)), kOk);
    EXPECT_EQ(first.name(), name);
    EXPECT_EQ(status_of([&] { make_dict(name); }), kExists);
    CreateOptions existing;
    existing.open_existing = true;
    SharedDict second = SharedDict::create(name, HeapSizes{1u << 20, 64u << 20}, existing);
    EXPECT_EQ(value_of(second, "k"), "v") << "open_existing opens the first dict as it is";
    EXPECT_EQ(memory_of(second).max_size, memory_of(first).max_size);
    SharedDict third = SharedDict::open(name);
    EXPECT_EQ(value_of(third, "k"), "v");

    // A list's name is not a dict's, and the other way round.
    const std::string list_name = names.make("a_list");
    SharedList list = SharedList::create(list_name, HeapSizes{}, CreateOptions{});
    EXPECT_EQ(status_of([&] { SharedList::open(name); }), kKind);
    EXPECT_EQ(status_of([&] { SharedDict::open(list_name); }), kKind);
    EXPECT_EQ(status_of([&] { SharedList::unlink(name); }), kKind);
    EXPECT_EQ(status_of([&] { SharedList::create(name, HeapSizes{}, existing); }), kKind);
    EXPECT_TRUE(shm_file_exists(name));

    SharedDict::unlink(name);
    EXPECT_FALSE(shm_file_exists(name));
    EXPECT_EQ(status_of([&] { SharedDict::open(name); }), kNotFound);
    EXPECT_EQ(status_of([&] { SharedDict::unlink(name); }), kNotFound);
    EXPECT_EQ(value_of(first, "k"), "v") << "open handles outlive the name";
}

TEST(Dict, AnonymousIsOpenableByItsNameAndRemovedWithItsCreator) {
    Names names;
    std::string name;
    {
        SharedDict d = SharedDict::create("", HeapSizes{}, CreateOptions{});
        name = d.name();
        names.adopt(name);
        EXPECT_FALSE(name.empty());
        EXPECT_TRUE(shm_file_exists(name));
        ASSERT_EQ(d.set("k", "anonymous", after(10)), kOk);
        SharedDict by_name = SharedDict::open(name);
        EXPECT_EQ(value_of(by_name, "k"), "anonymous");
    }
    EXPECT_FALSE(shm_file_exists(name));
}

TEST(Dict, ForkedChildOpensByNameAndWrites) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("child");
    SharedDict d = make_dict(name, 16u << 10);
    ASSERT_EQ(d.set("from parent", "hello", after(10)), kOk);
    pid_t child = reaper.add(run_in_child([&] {
        SharedDict mine = SharedDict::open(name);
        std::string seen;
        if (mine.get(
                "from parent", [&](std::string_view v) { seen.assign(v); }, after(10)) != kOk ||
            seen != "hello")
            return 1;
        // Enough to grow the dict from the child: the parent's mapping must see it.
        for (int i = 0; i < 2000; ++i) {
            if (mine.set("child" + std::to_string(i), pattern(64, i), after(10)) != kOk) return 2;
        }
        return mine.pop("from parent", {}, after(10)) == kOk ? 0 : 3;
    }));
    EXPECT_EQ(wait_child(child, 30s), 0);
    EXPECT_EQ(size_of(d), 2000u);
    EXPECT_EQ(value_of(d, "from parent"), std::nullopt);
    EXPECT_EQ(value_of(d, "child1999"), pattern(64, 1999));
    EXPECT_GT(memory_of(d).growths, 0u);
    // The inherited handle works in a child too.
    pid_t inherited = reaper.add(
        run_in_child([&] { return d.set("inherited", "yes", after(10)) == kOk ? 0 : 1; }));
    EXPECT_EQ(wait_child(inherited), 0);
    EXPECT_EQ(value_of(d, "inherited"), "yes");
}

TEST(Dict, LockIsRecursiveAndCallsOfOtherThreadsTimeOut) {
    Names names;
    SharedDict d = make_dict(names.make("lock"));
    ASSERT_EQ(d.acquire(after(0)), kOk);
    ASSERT_EQ(d.acquire(after(0)), kOk);
    // The holder's own calls take the lock again.
    ASSERT_EQ(d.set("a", "1", after(0)), kOk);
    EXPECT_EQ(value_of(d, "a"), "1");
    std::thread other([&] {
        bool found = false;
        std::size_t n = 0;
        EXPECT_EQ(d.set("b", "2", after(0.05)), kTimedOut);
        EXPECT_EQ(d.get("a", {}, after(0)), kTimedOut);
        EXPECT_EQ(d.contains("a", &found, after(0.02)), kTimedOut);
        EXPECT_EQ(d.size(&n, after(0)), kTimedOut);
        EXPECT_EQ(d.pop("a", {}, after(0)), kTimedOut);
        EXPECT_EQ(d.popitem({}, after(0)), kTimedOut);
        EXPECT_EQ(d.clear(after(0)), kTimedOut);
        EXPECT_EQ(d.for_each({}, after(0)), kTimedOut);
        HeapMemory m;
        EXPECT_EQ(d.memory(after(0), &m), kTimedOut);
        EXPECT_EQ(d.acquire(after(0.02)), kTimedOut);
        EXPECT_EQ(d.release(), kNotOwner);
    });
    other.join();
    EXPECT_EQ(d.release(), kOk);
    EXPECT_EQ(d.release(), kOk);
    EXPECT_EQ(d.release(), kNotOwner);
    std::thread free_now([&] { EXPECT_EQ(d.set("b", "2", after(0)), kOk); });
    free_now.join();
    EXPECT_EQ(items_of(d), (Items{{"a", "1"}, {"b", "2"}}));
}

TEST(Dict, LockHeldByAnotherProcessTimesCallsOut) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("process_lock");
    SharedDict d = make_dict(name);
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        SharedDict mine = SharedDict::open(name);
        if (mine.acquire(after(5)) != kOk) return 1;
        if (mine.set("child", "held", after(0)) != kOk) return 2;
        stage->store(1);
        if (!eventually([&] { return stage->load() == 2; }, 10s)) return 3;
        return mine.release() == kOk ? 0 : 4;
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    EXPECT_EQ(d.set("parent", "x", after(0.05)), kTimedOut);
    EXPECT_EQ(d.get("child", {}, after(0)), kTimedOut);
    EXPECT_EQ(d.acquire(after(0)), kTimedOut);
    EXPECT_EQ(d.release(), kNotOwner);
    stage->store(2);
    EXPECT_EQ(d.set("parent", "x", after(10)), kOk) << "once the child releases";
    EXPECT_EQ(wait_child(child), 0);
    EXPECT_EQ(items_of(d), (Items{{"child", "held"}, {"parent", "x"}}));
}

TEST(Dict, CloseWakesACallBlockedOnTheSameHandle) {
    Names names;
    const std::string name = names.make("close");
    SharedDict owner = make_dict(name);
    SharedDict waiter = SharedDict::open(name);
    expect_close_wakes_blocked_call(owner, waiter,
                                    [](SharedDict &d) { return d.set("k", "v", after(20)); });
    EXPECT_EQ(size_of(owner), 0u) << "the closed call changed nothing";
}

TEST(Dict, ManyThreadsWriteAtOnceWithExactResults) {
    Names names;
    SharedDict d = make_dict(names.make("threads"), 16u << 10);
    constexpr int kThreads = 4, kKeys = 1500, kIncrements = 300;
    ASSERT_EQ(d.set("counter", "0", after(10)), kOk);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kKeys; ++i) {
                const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
                if (d.set(key, pattern(16 + i % 64, t * 100000 + i), after(30)) != kOk) failures++;
                // A read-modify-write made atomic by the explicit lock.
                if (i % (kKeys / kIncrements) == 0) {
                    if (d.acquire(after(30)) != kOk) {
                        failures++;
                        continue;
                    }
                    std::string v;
                    d.get(
                        "counter", [&](std::string_view s) { v.assign(s); }, after(0));
                    if (d.set("counter", std::to_string(std::stoi(v) + 1), after(0)) != kOk)
                        failures++;
                    if (d.release() != kOk) failures++;
                }
                if (i % 3 == 2) {  // and some deletes
                    const std::string old = "t" + std::to_string(t) + "-" + std::to_string(i - 1);
                    if (d.pop(old, {}, after(30)) != kOk) failures++;
                }
            }
        });
    }
    for (auto &t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(value_of(d, "counter"), std::to_string(kThreads * kIncrements));
    std::size_t expected = 1;
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kKeys; ++i) {
            const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
            const bool deleted = i % 3 == 1 && i + 1 < kKeys;
            if (deleted) {
                ASSERT_EQ(value_of(d, key), std::nullopt) << key;
            } else {
                ASSERT_EQ(value_of(d, key), pattern(16 + i % 64, t * 100000 + i)) << key;
                expected++;
            }
        }
    }
    EXPECT_EQ(size_of(d), expected);
    // Each thread's keys are in its own order.
    std::vector<int> last(kThreads, -1);
    for (const std::string &key : keys_of(d)) {
        if (key == "counter") continue;
        const int t = key[1] - '0';
        const int i = std::stoi(key.substr(key.find('-') + 1));
        EXPECT_GT(i, last[t]) << key;
        last[t] = i;
    }
}

TEST(Dict, RandomOperationsMatchAnInsertionOrderedModel) {
    Names names;
    SharedDict d = make_dict(names.make("model"), 16u << 10);
    DictModel model;
    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    auto random_key = [&] { return "k" + std::to_string(pick(48)); };
    auto random_value = [&] {
        const std::size_t len = pick(10) == 0 ? 1000 + pick(3000) : pick(64);
        return pattern(len, static_cast<std::uint32_t>(rng()));
    };
    for (int step = 0; step < 20000; ++step) {
        SCOPED_TRACE("step " + std::to_string(step));
        const int op = pick(100);
        if (op < 30) {
            const std::string k = random_key(), v = random_value();
            ASSERT_EQ(d.set(k, v, after(10)), kOk);
            model.set(k, v);
        } else if (op < 45) {
            const std::string k = random_key();
            ASSERT_EQ(value_of(d, k), model.get(k));
        } else if (op < 50) {
            const std::string k = random_key();
            bool found = false;
            ASSERT_EQ(d.contains(k, &found, after(10)), kOk);
            ASSERT_EQ(found, model.get(k).has_value());
        } else if (op < 57) {
            const std::string k = random_key(), v = random_value();
            bool inserted = false;
            std::string out;
            ASSERT_EQ(d.setdefault(
                          k, v, &inserted, [&](std::string_view s) { out.assign(s); }, after(10)),
                      kOk);
            const std::optional<std::string> had = model.get(k);
            ASSERT_EQ(inserted, !had.has_value());
            if (!had) model.set(k, v);
            ASSERT_EQ(out, *model.get(k));
        } else if (op < 72) {
            const std::string k = random_key();
            std::string out;
            const Status s = d.pop(
                k, [&](std::string_view v) { out.assign(v); }, after(10));
            const std::optional<std::string> expected = model.pop(k);
            ASSERT_EQ(s, expected ? kOk : kNotFound);
            if (expected) {
                ASSERT_EQ(out, *expected);
            }
        } else if (op < 80) {
            std::string k, v;
            const Status s = d.popitem(
                [&](std::string_view a, std::string_view b) {
                    k.assign(a);
                    v.assign(b);
                },
                after(10));
            if (model.items().empty()) {
                ASSERT_EQ(s, kEmpty);
            } else {
                ASSERT_EQ(s, kOk);
                ASSERT_EQ(std::make_pair(k, v), model.items().back());
                model.items().pop_back();
            }
        } else if (op < 90) {
            std::vector<std::string> keys, values;
            const int n = pick(6);
            for (int i = 0; i < n; ++i) {
                keys.push_back(random_key());
                values.push_back(random_value());
            }
            std::vector<Item> batch;
            for (int i = 0; i < n; ++i)
                batch.emplace_back(keys[i], values[i]);
            ASSERT_EQ(d.update(batch.data(), batch.size(), after(10)), kOk);
            for (int i = 0; i < n; ++i)
                model.set(keys[i], values[i]);
        } else if (op < 99) {
            ASSERT_EQ(size_of(d), model.items().size());
            if (op == 98) {
                ASSERT_EQ(items_of(d), model.items());
            }
        } else {
            ASSERT_EQ(d.clear(after(10)), kOk);
            model.items().clear();
        }
    }
    EXPECT_EQ(items_of(d), model.items());
    const HeapMemory m = memory_of(d);
    EXPECT_GT(m.growths, 0u);
    EXPECT_EQ(m.recoveries, 0u);
}
