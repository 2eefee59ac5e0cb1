// The per-object counters of the shared header (waits, timeouts, owner-dead takeovers) and
// the creator's start time: what `mproc show` and mproc_object_inspect report. Counters move
// on slow paths only, so an uncontended call must leave them at 0.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "error.hpp"
#include "queue/queue.hpp"
#include "shm/object_header.hpp"
#include "shm/process_start.hpp"
#include "sync/event.hpp"
#include "sync/lock.hpp"
#include "sync/rlock.hpp"
#include "sync/semaphore.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kEmpty;
using mproc::core::kFull;
using mproc::core::kOk;
using mproc::core::kOwnerDead;
using mproc::core::kTimedOut;
using mproc::core::queue::Queue;
using mproc::core::queue::QueueFlavor;
using mproc::core::shm::CreateOptions;
using mproc::core::shm::ObjectHeader;
using mproc::core::sync::Event;
using mproc::core::sync::Lock;
using mproc::core::sync::RLock;
using mproc::core::sync::Semaphore;

namespace {

struct Counters {
    std::uint32_t waits, timeouts, owner_dead;
    std::int32_t creator_pid;
    std::uint64_t creator_start_time;
};

// Reads the header through a mapping of its own, as another process (or `mproc show`) would.
Counters read_counters(const std::string &name) {
    const int fd = ::open(shm_file(name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open " + shm_file(name));
    void *p = ::mmap(nullptr, sizeof(ObjectHeader), PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) throw std::runtime_error("mmap " + shm_file(name));
    const auto *h = static_cast<const ObjectHeader *>(p);
    Counters c{h->waits.load(), h->timeouts.load(), h->owner_dead.load(), h->creator_pid,
               h->creator_start_time};
    ::munmap(p, sizeof(ObjectHeader));
    return c;
}

}  // namespace

TEST(ObjectCounters, CreationRecordsTheCreatorsPidAndStartTime) {
    Names names;
    const std::string name = names.make("creator");
    Lock lock = Lock::create(name, CreateOptions{});
    const Counters c = read_counters(name);
    EXPECT_EQ(c.creator_pid, ::getpid());
    EXPECT_NE(c.creator_start_time, 0u);
    EXPECT_EQ(c.creator_start_time,
              mproc::core::shm::process_start_time(static_cast<std::uint32_t>(::getpid())));
    EXPECT_EQ(mproc::core::shm::process_liveness(static_cast<std::uint32_t>(::getpid()),
                                                 c.creator_start_time),
              mproc::core::shm::Liveness::kAlive);
    EXPECT_EQ(mproc::core::shm::process_liveness(static_cast<std::uint32_t>(::getpid()),
                                                 c.creator_start_time + 1),
              mproc::core::shm::Liveness::kDead)
        << "the same pid with another start time is a recycled pid";
}

TEST(ObjectCounters, UncontendedCallsCountNothing) {
    Names names;
    const std::string name = names.make("quiet");
    Lock lock = Lock::create(name, CreateOptions{});
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(lock.acquire(after(0)), kOk);
        ASSERT_EQ(lock.release(), kOk);
    }
    const Counters c = read_counters(name);
    EXPECT_EQ(c.waits, 0u);
    EXPECT_EQ(c.timeouts, 0u);
    EXPECT_EQ(c.owner_dead, 0u);
}

TEST(ObjectCounters, ALockCountsWaitsTimeoutsAndADeadOwner) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("lock");
    Lock lock = Lock::create(name, CreateOptions{});
    Shared<std::atomic<int>> stage;
    pid_t child = reaper.add(run_in_child([&] {
        Lock mine = Lock::open(name);
        if (mine.acquire(after(0)) != kOk) return 1;
        stage->store(1);
        for (;;)
            ::pause();
    }));
    ASSERT_TRUE(eventually([&] { return stage->load() == 1; }));
    EXPECT_EQ(lock.acquire(after(0)), kTimedOut);
    EXPECT_EQ(lock.acquire(after(0.01)), kTimedOut);
    Counters c = read_counters(name);
    EXPECT_EQ(c.waits, 2u);
    EXPECT_EQ(c.timeouts, 2u);
    EXPECT_EQ(c.owner_dead, 0u);

    ::kill(child, SIGKILL);
    EXPECT_EQ(lock.acquire(after(10)), kOwnerDead);
    c = read_counters(name);
    EXPECT_EQ(c.waits, 3u);
    EXPECT_EQ(c.timeouts, 2u);
    EXPECT_EQ(c.owner_dead, 1u);
    EXPECT_EQ(lock.release(), kOk);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
}

TEST(ObjectCounters, AnRLockCountsAWaitThatTimesOut) {
    Names names;
    const std::string name = names.make("rlock");
    RLock rlock = RLock::create(name, CreateOptions{});
    ASSERT_EQ(rlock.acquire(after(0)), kOk);
    ASSERT_EQ(rlock.acquire(after(0)), kOk) << "recursive: no wait";
    std::thread other([&] {
        RLock again = RLock::open(name);
        EXPECT_EQ(again.acquire(after(0.01)), kTimedOut);
    });
    other.join();
    ASSERT_EQ(rlock.release(), kOk);
    ASSERT_EQ(rlock.release(), kOk);
    const Counters c = read_counters(name);
    EXPECT_EQ(c.waits, 1u);
    EXPECT_EQ(c.timeouts, 1u);
}

TEST(ObjectCounters, ASemaphoreAndAnEventCountTimedOutWaits) {
    Names names;
    const std::string sem_name = names.make("sem");
    Semaphore sem = Semaphore::create(sem_name, 1, false, CreateOptions{});
    EXPECT_EQ(sem.acquire(after(0)), kOk);
    EXPECT_EQ(sem.acquire(after(0.01)), kTimedOut);
    Counters c = read_counters(sem_name);
    EXPECT_EQ(c.waits, 1u);
    EXPECT_EQ(c.timeouts, 1u);

    const std::string event_name = names.make("event");
    Event event = Event::create(event_name, CreateOptions{});
    EXPECT_EQ(event.wait(after(0.01)), kTimedOut);
    event.set();
    EXPECT_EQ(event.wait(after(0)), kOk) << "a set event does not wait";
    c = read_counters(event_name);
    EXPECT_EQ(c.waits, 1u);
    EXPECT_EQ(c.timeouts, 1u);
}

TEST(ObjectCounters, AQueueCountsAGetOnEmptyAndAPutOnFull) {
    Names names;
    const std::string name = names.make("queue");
    Queue queue = Queue::create(name, 1, 16, QueueFlavor::kQueue, CreateOptions{});
    char buf[16];
    std::size_t len = 0;
    EXPECT_EQ(queue.get(buf, sizeof buf, &len, after(0)), kEmpty);
    EXPECT_EQ(queue.put("a", 1, after(0)), kOk);
    EXPECT_EQ(queue.put("b", 1, after(0.01)), kFull);
    EXPECT_EQ(queue.get(buf, sizeof buf, &len, after(0)), kOk) << "no wait: a message is there";
    const Counters c = read_counters(name);
    EXPECT_EQ(c.waits, 2u);
    EXPECT_EQ(c.timeouts, 2u);
    EXPECT_EQ(c.owner_dead, 0u);
}
