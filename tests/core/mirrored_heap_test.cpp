// MirroredHeap, the engine under Dict and List, with a root of its own (a vector of ints in
// the heap): a write changes A then B and leaves them byte for byte equal; a change that
// says it changed nothing leaves both copies as they were; bad_alloc is undone and retried
// after growth; kFull at the reservation's end; any other exception restores A; a phase
// word left behind by a writer is repaired from the intact copy. The copies are read from
// the object's file in /dev/shm at the offsets of heap_layout.hpp.
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "container/dict.hpp"
#include "container/heap_layout.hpp"
#include "container/mirrored_heap.hpp"
#include "container_test_support.hpp"
#include "error.hpp"
#include "mirrored_heap_test_support.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kFull;
using mproc::core::kInvalid;
using mproc::core::kKind;
using mproc::core::kNotFound;
using mproc::core::kOk;
using mproc::core::kTimedOut;
using mproc::core::kVersion;
using mproc::core::container::HeapMemory;
using mproc::core::container::HeapSizes;
using mproc::core::container::kPhaseIdle;
using mproc::core::container::kPhaseWritingA;
using mproc::core::container::kPhaseWritingB;
using mproc::core::container::MirroredHeap;
using mproc::core::container::SegmentManager;
using mproc::core::container::SharedDict;
using mproc::core::shm::CreateOptions;
using mproc::core::shm::Kind;

namespace {

// What a writer killed in the middle of a call leaves, made by hand: copy A changed by
// change_a(A's vector), B as it was, and the phase word at `phase`.
template <class ChangeA>
void leave_dead_writer(MirroredHeap &heap, std::uint32_t phase, ChangeA change_a) {
    MappedFile file(heap.name());
    change_a(vec(heap.root_a()));
    file.layout().phase.store(phase);
}

}  // namespace

TEST(MirroredHeap, AWriteChangesAThenBAndLeavesThemEqual) {
    Names names;
    const std::string name = names.make("a_then_b");
    MirroredHeap heap = make_heap(name);
    EXPECT_TRUE(copies_equal(name, memory_of(heap).capacity)) << "after create";
    std::vector<std::pair<bool, void *>> calls;
    ASSERT_EQ(heap.write(after(10),
                         [&](SegmentManager &, void *root, bool primary) {
                             calls.emplace_back(primary, root);
                             vec(root).push_back(42);
                             return kOk;
                         }),
              kOk);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_TRUE(calls[0].first);
    EXPECT_FALSE(calls[1].first);
    EXPECT_EQ(calls[0].second, heap.root_a()) << "A first";
    EXPECT_NE(calls[1].second, heap.root_a()) << "then B";
    EXPECT_EQ(contents(heap), (std::vector<int>{42}));
    const HeapMemory m = memory_of(heap);
    EXPECT_EQ(m.writes, 1u);
    EXPECT_TRUE(copies_equal(name, m.capacity));
    // Erasing, inserting, shrinking: still equal.
    ASSERT_EQ(push(heap, iota(200)), kOk);
    ASSERT_EQ(heap.write(after(10),
                         [&](SegmentManager &, void *root, bool) {
                             Vec &v = vec(root);
                             v.erase(v.begin() + 10, v.begin() + 50);
                             v.insert(v.begin(), 7, -1);
                             v.shrink_to_fit();
                             return kOk;
                         }),
              kOk);
    EXPECT_EQ(contents(heap).size(), 201u - 40u + 7u);
    EXPECT_TRUE(copies_equal(name, memory_of(heap).capacity));
}

TEST(MirroredHeap, AChangeThatChangedNothingLeavesBothCopiesUntouched) {
    Names names;
    const std::string name = names.make("unchanged");
    MirroredHeap heap = make_heap(name);
    ASSERT_EQ(push(heap, iota(100)), kOk);
    const HeapMemory before = memory_of(heap);
    MappedFile file(name);
    const std::string a = file.bytes(0, before.capacity), b = file.bytes(1, before.capacity);
    int calls = 0;
    EXPECT_EQ(heap.write(after(10),
                         [&](SegmentManager &, void *root, bool primary) {
                             calls++;
                             EXPECT_TRUE(primary);
                             EXPECT_EQ(vec(root).size(), 100u);
                             return kNotFound;
                         }),
              kNotFound);
    EXPECT_EQ(calls, 1) << "B is not visited";
    EXPECT_EQ(file.bytes(0, before.capacity), a);
    EXPECT_EQ(file.bytes(1, before.capacity), b);
    EXPECT_EQ(memory_of(heap).writes, before.writes);
    EXPECT_EQ(file.layout().phase.load(), kPhaseIdle);
}

TEST(MirroredHeap, DictCallsThatChangeNothingLeaveBothCopiesUntouched) {
    Names names;
    const std::string name = names.make("dict_unchanged");
    SharedDict d = SharedDict::create(name, HeapSizes{}, CreateOptions{});
    for (int i = 0; i < 50; ++i)
        ASSERT_EQ(d.set("k" + std::to_string(i), std::string(i, 'v'), after(10)), kOk);
    HeapMemory before;
    ASSERT_EQ(d.memory(after(10), &before), kOk);
    MappedFile file(name);
    const std::string a = file.bytes(0, before.capacity), b = file.bytes(1, before.capacity);
    EXPECT_EQ(a, b);
    EXPECT_EQ(d.pop("missing", {}, after(10)), kNotFound);
    bool inserted = true;
    ASSERT_EQ(d.setdefault("k3", "other", &inserted, {}, after(10)), kOk);
    EXPECT_FALSE(inserted);
    EXPECT_EQ(file.bytes(0, before.capacity), a);
    EXPECT_EQ(file.bytes(1, before.capacity), b);
    HeapMemory now;
    ASSERT_EQ(d.memory(after(10), &now), kOk);
    EXPECT_EQ(now.writes, before.writes);
    // And a write that does change it leaves the copies equal again.
    ASSERT_EQ(d.set("k3", "changed", after(10)), kOk);
    EXPECT_NE(file.bytes(0, before.capacity), a);
    EXPECT_TRUE(copies_equal(name, before.capacity));
}

TEST(MirroredHeap, BadAllocIsUndoneThenRetriedAfterGrowth) {
    Names names;
    const std::string name = names.make("bad_alloc");
    MirroredHeap heap = make_heap(name, 16u << 10, 4u << 20);
    ASSERT_EQ(push(heap, {1, 2, 3}), kOk);
    std::vector<std::size_t> sizes_seen;  // the vector's size at each primary call
    int secondary = 0;
    ASSERT_EQ(heap.write(after(10),
                         [&](SegmentManager &m, void *root, bool primary) {
                             Vec &v = vec(root);
                             if (primary)
                                 sizes_seen.push_back(v.size());
                             else
                                 secondary++;
                             v.push_back(4);  // fits at once: must be undone with the rest
                             // 400 KB: does not fit in 16 KiB, so the first tries throw.
                             void *p = m.allocate(400000);
                             m.deallocate(p);
                             v.push_back(5);
                             return kOk;
                         }),
              kOk);
    ASSERT_GE(sizes_seen.size(), 2u) << "retried after growing";
    for (std::size_t s : sizes_seen)
        EXPECT_EQ(s, 3u) << "each try starts from the state before the call";
    EXPECT_EQ(secondary, 1);
    EXPECT_EQ(contents(heap), (std::vector<int>{1, 2, 3, 4, 5}));
    const HeapMemory m = memory_of(heap);
    EXPECT_GE(m.capacity, 400000u);
    EXPECT_GE(m.growths, sizes_seen.size() - 1);
    EXPECT_EQ(m.writes, 2u);
    EXPECT_TRUE(copies_equal(name, m.capacity));
}

TEST(MirroredHeap, BoostContainerGrowthPastTheHeapIsRetriedToo) {
    Names names;
    const std::string name = names.make("vector_growth");
    MirroredHeap heap = make_heap(name, 16u << 10, 8u << 20);
    // One write of 200,000 ints (800 KB): the vector's own reallocations run out of room
    // (bad_alloc or length_error) until the heap has grown enough.
    ASSERT_EQ(push(heap, iota(200000)), kOk);
    const std::vector<int> all = contents(heap);
    ASSERT_EQ(all.size(), 200000u);
    EXPECT_EQ(all, iota(200000));
    const HeapMemory m = memory_of(heap);
    EXPECT_GT(m.growths, 0u);
    EXPECT_TRUE(copies_equal(name, m.capacity));
}

TEST(MirroredHeap, FullAtTheReservationsEndChangesNothing) {
    Names names;
    const std::string name = names.make("full");
    MirroredHeap heap = make_heap(name, 16u << 10, 64u << 10);
    ASSERT_EQ(push(heap, iota(100)), kOk);
    std::string message;
    EXPECT_EQ(status_of([&] { push(heap, iota(100000)); }, &message), kFull);
    EXPECT_NE(message.find("full"), std::string::npos) << message;
    EXPECT_EQ(contents(heap), iota(100));
    const HeapMemory m = memory_of(heap);
    EXPECT_EQ(m.capacity, m.max_size) << "it grew as far as it could";
    EXPECT_EQ(m.writes, 1u);
    EXPECT_TRUE(copies_equal(name, m.capacity));
    ASSERT_EQ(push(heap, {7}), kOk) << "still usable";
    EXPECT_EQ(contents(heap).back(), 7);
}

TEST(MirroredHeap, AnotherExceptionRestoresAAndPropagates) {
    Names names;
    const std::string name = names.make("throws");
    MirroredHeap heap = make_heap(name);
    ASSERT_EQ(push(heap, iota(10)), kOk);
    int secondary = 0;
    EXPECT_THROW(heap.write(after(10),
                            [&](SegmentManager &, void *root, bool primary) -> Status {
                                if (!primary) secondary++;
                                Vec &v = vec(root);
                                for (int i = 0; i < 1000; ++i)
                                    v.push_back(-i);  // forces a reallocation too
                                v[0] = 99;
                                throw std::runtime_error("boom");
                            }),
                 std::runtime_error);
    EXPECT_EQ(secondary, 0);
    EXPECT_EQ(contents(heap), iota(10));
    const HeapMemory m = memory_of(heap);
    EXPECT_EQ(m.writes, 1u);
    EXPECT_TRUE(copies_equal(name, m.capacity));
    // mproc's own errors too.
    EXPECT_EQ(status_of([&] {
                  heap.write(after(10), [&](SegmentManager &, void *root, bool) -> Status {
                      vec(root).clear();
                      throw mproc::core::Error(kInvalid, "no");
                  });
              }),
              kInvalid);
    EXPECT_EQ(contents(heap), iota(10));
    ASSERT_EQ(push(heap, {10}), kOk);
    EXPECT_EQ(contents(heap), iota(11));
}

TEST(MirroredHeap, AnExceptionInTheSecondPassKeepsTheNewStateInBoth) {
    Names names;
    const std::string name = names.make("throws_in_b");
    MirroredHeap heap = make_heap(name);
    ASSERT_EQ(heap.write(after(10),
                         [&](SegmentManager &, void *root, bool primary) {
                             vec(root).push_back(1);
                             if (!primary) throw std::runtime_error("only in B");
                             return kOk;
                         }),
              kOk);
    EXPECT_EQ(contents(heap), (std::vector<int>{1}));
    EXPECT_TRUE(copies_equal(name, memory_of(heap).capacity));
}

TEST(MirroredHeap, AWriterPhaseLeftAtWritingAIsUndoneFromB) {
    Names names;
    const std::string name = names.make("phase_a");
    MirroredHeap heap = make_heap(name);
    ASSERT_EQ(push(heap, iota(20)), kOk);
    const std::size_t capacity = memory_of(heap).capacity;
    // A writer killed while changing A: a half-changed A.
    leave_dead_writer(heap, kPhaseWritingA, [](Vec &a) {
        a[5] = -5;
        a.push_back(1000);
    });
    EXPECT_EQ(contents(heap), iota(20)) << "the state before the dead call";
    const HeapMemory m = memory_of(heap);
    EXPECT_EQ(m.recoveries, 1u);
    EXPECT_TRUE(copies_equal(name, capacity));
    ASSERT_EQ(push(heap, {20}), kOk);
    EXPECT_EQ(contents(heap), iota(21));
    EXPECT_EQ(memory_of(heap).recoveries, 1u);
}

TEST(MirroredHeap, AWriterPhaseLeftAtWritingBIsCompletedFromA) {
    Names names;
    const std::string name = names.make("phase_b");
    MirroredHeap heap = make_heap(name);
    ASSERT_EQ(push(heap, iota(20)), kOk);
    const std::size_t capacity = memory_of(heap).capacity;
    // A writer killed while changing B: A holds the new state; B is half-way (here, still
    // the old one).
    leave_dead_writer(heap, kPhaseWritingB, [](Vec &a) { a.push_back(20); });
    EXPECT_EQ(contents(heap), iota(21)) << "the state after the dead call";
    EXPECT_EQ(memory_of(heap).recoveries, 1u);
    EXPECT_TRUE(copies_equal(name, capacity));
    // B really holds it: A rebuilt from B by an undo keeps it.
    EXPECT_THROW(heap.write(after(10),
                            [&](SegmentManager &, void *root, bool) -> Status {
                                vec(root).clear();
                                throw std::runtime_error("undo");
                            }),
                 std::runtime_error);
    EXPECT_EQ(contents(heap), iota(21));
}

TEST(MirroredHeap, AnExplicitAcquireHoldsOffOtherThreads) {
    Names names;
    const std::string name = names.make("acquire");
    MirroredHeap heap = make_heap(name);
    ASSERT_EQ(heap.acquire(after(0)), kOk);
    ASSERT_EQ(push(heap, {1}), kOk) << "writes nest inside an explicit acquire";
    std::thread other([&] {
        EXPECT_EQ(heap.read(after(0.05), [](void *) {}), kTimedOut);
        EXPECT_EQ(heap.write(after(0), [](SegmentManager &, void *, bool) { return kOk; }),
                  kTimedOut);
        HeapMemory m;
        EXPECT_EQ(heap.memory(after(0), &m), kTimedOut);
    });
    other.join();
    EXPECT_EQ(heap.release(), kOk);
    EXPECT_EQ(contents(heap), (std::vector<int>{1}));
}

TEST(MirroredHeap, OpenChecksKindVersionAndHeader) {
    Names names;
    const std::string name = names.make("open");
    MirroredHeap heap = make_heap(name);
    ASSERT_EQ(push(heap, {1, 2}), kOk);
    MirroredHeap again = MirroredHeap::open(name, Kind::kList);
    EXPECT_EQ(contents(again), (std::vector<int>{1, 2}));
    EXPECT_EQ(std::string(again.label()), "list");
    EXPECT_EQ(status_of([&] { MirroredHeap::open(name, Kind::kDict); }), kKind);
    EXPECT_EQ(status_of([&] { MirroredHeap::open(name, Kind::kQueue); }), kInvalid);
    EXPECT_EQ(status_of([&] {
                  MirroredHeap::create(names.make("queue_kind"), Kind::kQueue, HeapSizes{},
                                       CreateOptions{}, make_vec);
              }),
              kInvalid);
    MappedFile file(name);
    const std::uint32_t boost_version = file.layout().boost_version;
    file.layout().boost_version = boost_version + 1;
    std::string message;
    EXPECT_EQ(status_of([&] { MirroredHeap::open(name, Kind::kList); }, &message), kVersion);
    EXPECT_NE(message.find("Boost"), std::string::npos) << message;
    file.layout().boost_version = boost_version;
    const std::uint64_t reserved = file.layout().reserved_bytes;
    file.layout().reserved_bytes = reserved * 4;  // past the file's end
    EXPECT_EQ(status_of([&] { MirroredHeap::open(name, Kind::kList); }), kVersion);
    file.layout().reserved_bytes = reserved;
    file.layout().phase.store(77);
    EXPECT_EQ(status_of([&] { MirroredHeap::open(name, Kind::kList); }), kVersion);
    file.layout().phase.store(kPhaseIdle);
    MirroredHeap reopened = MirroredHeap::open(name, Kind::kList);
    EXPECT_EQ(contents(reopened), (std::vector<int>{1, 2}));
}

TEST(MirroredHeap, GrowthIsSeenByEveryProcess) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("grow_processes");
    MirroredHeap heap = make_heap(name, 16u << 10, 16u << 20);
    ASSERT_EQ(push(heap, {-1}), kOk);
    pid_t child = reaper.add(run_in_child([&] {
        MirroredHeap mine = MirroredHeap::open(name, Kind::kList);
        return push(mine, iota(300000)) == kOk ? 0 : 1;
    }));
    EXPECT_EQ(wait_child(child, 60s), 0);
    std::vector<int> expected = iota(300000);
    expected.insert(expected.begin(), -1);
    EXPECT_EQ(contents(heap), expected) << "the parent's mapping covers the grown heap";
    const HeapMemory m = memory_of(heap);
    EXPECT_GE(m.capacity, 1200000u);
    EXPECT_TRUE(copies_equal(name, m.capacity));
    ASSERT_EQ(push(heap, {1}), kOk);
}
