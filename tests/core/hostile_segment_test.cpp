// A peer that writes garbage into an object's shared memory: every call gives a clear
// status, never a crash, an out-of-bounds access or a hang. One test per finding of the
// segment fuzzer (tests/fuzz/): the geometry a handle uses is what it checked at open,
// lengths read from slots are bounded, loops over slot words end, and a guard that stays
// held is reported instead of waited on for ever.
#include <sys/mman.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "array/array.hpp"
#include "container/dict.hpp"
#include "container/heap_layout.hpp"
#include "container/list.hpp"
#include "queue/queue.hpp"
#include "sync/barrier.hpp"
#include "sync/condition.hpp"
#include "test_support.hpp"

namespace {

using namespace mproc_core_test;
using mproc::core::kCorrupt;
using mproc::core::kInvalid;
using mproc::core::kOk;
using mproc::core::kVersion;
using mproc::core::array::ArrayLayout;
using mproc::core::array::SharedArray;
using mproc::core::container::HeapLayout;
using mproc::core::container::HeapSizes;
using mproc::core::container::SharedDict;
using mproc::core::container::SharedList;
using mproc::core::queue::Queue;
using mproc::core::queue::QueueFlavor;
using mproc::core::queue::QueueLayout;
using mproc::core::queue::QueueSlot;
using mproc::core::shm::CreateOptions;
using mproc::core::shm::Kind;
using mproc::core::sync::Barrier;
using mproc::core::sync::BarrierLayout;
using mproc::core::sync::Condition;
using mproc::core::sync::ConditionLayout;
using mproc::core::sync::Deadline;

using Peer = PeerMapping;

Queue make_queue(const std::string &name) {
    return Queue::create(name, 4, 16, QueueFlavor::kQueue, CreateOptions{});
}

TEST(HostileSegment, QueueGeometryWrittenAfterOpenIsNotUsed) {
    Names names;
    const std::string name = names.make("qgeom");
    Queue q = make_queue(name);
    Peer peer(name);
    QueueLayout &layout = peer.as<QueueLayout>();
    layout.slots_offset = 1ull << 40;
    layout.slot_stride = 1ull << 30;
    layout.capacity = 1u << 20;
    layout.max_message = 1u << 30;
    layout.flavor = 77;
    // The handle keeps what it checked at open: a put and a get stay inside the mapping.
    EXPECT_EQ(q.maxsize(), 4u);
    EXPECT_EQ(q.max_message(), 16u);
    EXPECT_EQ(q.flavor(), QueueFlavor::kQueue);
    EXPECT_EQ(q.put("abc", 3, Deadline::after(0)), kOk);
    char buf[16];
    std::size_t len = 0;
    EXPECT_EQ(q.get(buf, sizeof buf, &len, Deadline::after(0)), kOk);
    EXPECT_EQ(len, 3u);
}

TEST(HostileSegment, QueueSlotLengthOverMaxMessageIsCorrupt) {
    Names names;
    const std::string name = names.make("qlen");
    Queue q = make_queue(name);
    ASSERT_EQ(q.put("abcd", 4, Deadline::after(0)), kOk);
    Peer peer(name);
    const QueueLayout &layout = peer.as<QueueLayout>();
    // Slot 0's length: a message far larger than any slot, and than the caller's buffer.
    peer.write<std::uint64_t>(layout.slots_offset + offsetof(QueueSlot, length), 1u << 20);
    std::size_t len = 0;
    EXPECT_EQ(q.next_size(&len), kCorrupt);
    char buf[16];
    EXPECT_EQ(q.get(buf, sizeof buf, &len, Deadline::after(0)), kCorrupt);
    // The garbage slot was dropped: the queue goes on working.
    EXPECT_EQ(q.put("ef", 2, Deadline::after(0)), kOk);
    EXPECT_EQ(q.get(buf, sizeof buf, &len, Deadline::after(0)), kOk);
    EXPECT_EQ(len, 2u);
}

TEST(HostileSegment, QueueSlotWordsNoProcessWritesEndTheClaim) {
    Names names;
    const std::string name = names.make("qword");
    Queue q = make_queue(name);
    Peer peer(name);
    const QueueLayout &layout = peer.as<QueueLayout>();
    // Every slot "free for lap 0" but with a pid, and state 7 (past kSlotReading): a claim
    // would go round for ever.
    for (std::uint64_t i = 0; i < 4; ++i) {
        const std::size_t at = layout.slots_offset + i * layout.slot_stride;
        peer.write<std::uint64_t>(at, std::uint64_t{1234} << 3);
    }
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(q.put("x", 1, Deadline::after(0)), kCorrupt);
    for (std::uint64_t i = 0; i < 4; ++i) {
        peer.write<std::uint64_t>(layout.slots_offset + i * layout.slot_stride, 7);
    }
    char buf[16];
    std::size_t len = 0;
    EXPECT_EQ(q.get(buf, sizeof buf, &len, Deadline::after(0)), kCorrupt);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST(HostileSegment, ArrayDescriptionWrittenAfterOpenIsNotUsed) {
    Names names;
    const std::string name = names.make("arr");
    SharedArray a = SharedArray::create(name, Kind::kArray, 'i', 4, nullptr, false, {});
    Peer peer(name);
    ArrayLayout &layout = peer.as<ArrayLayout>();
    layout.length = 1ull << 40;
    layout.itemsize = 8;
    layout.typecode = 'd';
    layout.items_offset = 1u << 30;
    EXPECT_EQ(a.length(), 4u);
    EXPECT_EQ(a.itemsize(), 4u);
    EXPECT_EQ(a.typecode(), 'i');
    std::int32_t item = 0;
    EXPECT_EQ(a.get(4, &item), kInvalid);
    EXPECT_EQ(a.get(3, &item), kOk);
    std::int32_t all[4] = {1, 2, 3, 4};
    EXPECT_EQ(a.set_slice(0, 4, all), kOk);
    EXPECT_EQ(a.get_slice(0, 5, all), kInvalid);
}

TEST(HostileSegment, BarrierGuardHeldForEverIsCorruptNotAHang) {
    Names names;
    const std::string name = names.make("bguard");
    Barrier b = Barrier::create(name, 2, CreateOptions{});
    Peer peer(name);
    // The guard "held" by this very process, which does not hold it: waiting on it would
    // never end.
    peer.as<BarrierLayout>().guard.word.store(static_cast<std::uint32_t>(::getpid()));
    const auto start = std::chrono::steady_clock::now();
    std::uint32_t index = 0;
    EXPECT_EQ(b.wait(Deadline::after(0), &index), kCorrupt);
    EXPECT_EQ(b.reset(), kCorrupt);
    EXPECT_EQ(b.abort(), kCorrupt);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 60s);
    peer.as<BarrierLayout>().guard.word.store(0);
    EXPECT_EQ(b.reset(), kOk);
}

TEST(HostileSegment, BarrierArrivalsPastThePartiesAreCorrupt) {
    Names names;
    const std::string name = names.make("barrived");
    Barrier b = Barrier::create(name, 2, CreateOptions{});
    Peer peer(name);
    peer.as<BarrierLayout>().arrived.store(5);
    peer.as<BarrierLayout>().parties = 9;
    std::uint32_t index = 0;
    EXPECT_EQ(b.parties(), 2u);
    EXPECT_EQ(b.wait(Deadline::after(0), &index), kCorrupt);
    EXPECT_EQ(b.reset(), kOk);
    peer.as<BarrierLayout>().parties = 0;
    EXPECT_EQ(status_of([&] { Barrier::open(name); }), kCorrupt);
}

TEST(HostileSegment, ConditionFieldsStayInsideTheObject) {
    Names names;
    const std::string name = names.make("cond");
    Condition c = Condition::create(name, CreateOptions{});
    Peer peer(name);
    ConditionLayout &layout = peer.as<ConditionLayout>();
    layout.slots_in_use.store(0xffffffffu);
    ASSERT_EQ(c.acquire(Deadline::after(1)), kOk);
    EXPECT_EQ(c.notify(3), kOk);  // looks at 1024 slots at most
    EXPECT_EQ(c.release(), kOk);
    layout.lock_kind = 1;  // over a Lock, whose name fills the field without a NUL
    std::memset(layout.lock_name, 'a', sizeof layout.lock_name);
    std::string message;
    EXPECT_EQ(status_of([&] { Condition::open(name); }, &message), kCorrupt);
    EXPECT_NE(message.find("not terminated"), std::string::npos) << message;
}

TEST(HostileSegment, ContainerGeometryIsCheckedAtOpenAndCopiedForUse) {
    Names names;
    const std::string dict_name = names.make("dict");
    SharedDict d = SharedDict::create(dict_name, HeapSizes{16u << 10, 64u << 10}, {});
    ASSERT_EQ(d.set("k", "v", Deadline::after(1)), kOk);
    Peer peer(dict_name);
    HeapLayout &layout = peer.as<HeapLayout>();
    const std::uint64_t root = layout.root_offset, reserved = layout.reserved_bytes;
    // A root moved onto the segment manager, or a reservation that moves copy B: refused
    // at open, and never used by the handle already open.
    layout.root_offset = 0;
    EXPECT_EQ(status_of([&] { SharedDict::open(dict_name); }), kVersion);
    layout.root_offset = root + 64;
    EXPECT_EQ(status_of([&] { SharedDict::open(dict_name); }), kVersion);
    layout.reserved_bytes = reserved / 2;
    EXPECT_EQ(status_of([&] { SharedDict::open(dict_name); }), kVersion);
    std::string value;
    EXPECT_EQ(d.get(
                  "k", [&](std::string_view v) { value = v; }, Deadline::after(1)),
              kOk);
    EXPECT_EQ(value, "v");
    layout.root_offset = root;
    layout.reserved_bytes = reserved;
    EXPECT_NO_THROW(SharedDict::open(dict_name));

    const std::string list_name = names.make("list");
    SharedList l = SharedList::create(list_name, HeapSizes{16u << 10, 64u << 10}, {});
    Peer list_peer(list_name);
    list_peer.as<HeapLayout>().root_offset = 8;
    EXPECT_EQ(status_of([&] { SharedList::open(list_name); }), kVersion);
    EXPECT_EQ(l.append("x", Deadline::after(1)), kOk);
}

}  // namespace
