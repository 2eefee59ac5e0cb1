// core::inspect: what list_names, inspect and remove report for every kind (header fields,
// creator, holder, depth and counters), for files that are not valid objects (too short,
// bad magic, another version, unknown kind, sizes out of range, random bytes, a directory,
// a symbolic link, a FIFO), for a creator that died or whose pid was recycled, and how
// many processes map an object.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "array/array.hpp"
#include "container/dict.hpp"
#include "container/list.hpp"
#include "error.hpp"
#include "inspect/object_info.hpp"
#include "queue/queue.hpp"
#include "shm/object_header.hpp"
#include "shm/process_start.hpp"
#include "sync/barrier.hpp"
#include "sync/condition.hpp"
#include "sync/event.hpp"
#include "sync/lock.hpp"
#include "sync/rlock.hpp"
#include "sync/semaphore.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kCorrupt;
using mproc::core::kInvalid;
using mproc::core::kKind;
using mproc::core::kNotFound;
using mproc::core::kOk;
using mproc::core::kVersion;
using mproc::core::array::SharedArray;
using mproc::core::container::HeapSizes;
using mproc::core::container::SharedDict;
using mproc::core::container::SharedList;
using mproc::core::inspect::inspect;
using mproc::core::inspect::list_names;
using mproc::core::inspect::ObjectInfo;
using mproc::core::inspect::remove;
using mproc::core::queue::Queue;
using mproc::core::queue::QueueFlavor;
using mproc::core::shm::CreateOptions;
using mproc::core::shm::Kind;
using mproc::core::shm::ObjectHeader;
using mproc::core::sync::Barrier;
using mproc::core::sync::Condition;
using mproc::core::sync::Event;
using mproc::core::sync::Lock;
using mproc::core::sync::RLock;
using mproc::core::sync::Semaphore;

namespace {

// Writes `bytes` as the file of object `name` (which must not exist).
void write_object_file(const std::string &name, const std::vector<unsigned char> &bytes) {
    const int fd = ::open(shm_file(name).c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << shm_file(name) << ": " << std::strerror(errno);
    if (!bytes.empty()) {
        EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    }
    ::close(fd);
}

// Overwrites `size` bytes at `offset` of an existing object's file.
void patch(const std::string &name, std::size_t offset, const void *data, std::size_t size) {
    const int fd = ::open(shm_file(name).c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(::pwrite(fd, data, size, static_cast<off_t>(offset)), static_cast<ssize_t>(size));
    ::close(fd);
}

template <typename T>
void patch_field(const std::string &name, std::size_t offset, T value) {
    patch(name, offset, &value, sizeof value);
}

// A header that passes the magic and state checks, of `kind`, version and size as given.
std::vector<unsigned char> header_bytes(std::uint32_t kind, std::uint32_t version,
                                        std::uint64_t size, std::size_t file_size) {
    std::vector<unsigned char> bytes(file_size, 0);
    auto put = [&](std::size_t offset, const auto &value) {
        std::memcpy(bytes.data() + offset, &value, sizeof value);
    };
    put(offsetof(ObjectHeader, magic), mproc::core::shm::kMagic);
    put(offsetof(ObjectHeader, state), mproc::core::shm::kReady);
    put(offsetof(ObjectHeader, layout_version), version);
    put(offsetof(ObjectHeader, kind), kind);
    put(offsetof(ObjectHeader, header_size), static_cast<std::uint32_t>(sizeof(ObjectHeader)));
    put(offsetof(ObjectHeader, size), size);
    put(offsetof(ObjectHeader, creator_pid), static_cast<std::int32_t>(::getpid()));
    return bytes;
}

std::uint64_t file_size(const std::string &name) {
    struct stat st {};
    EXPECT_EQ(::stat(shm_file(name).c_str(), &st), 0);
    return static_cast<std::uint64_t>(st.st_size);
}

// One object of each kind, created under names from `names` and kept open.
struct EveryKind {
    explicit EveryKind(Names &names)
        : lock(Lock::create(names.make("lock"), {})),
          rlock(RLock::create(names.make("rlock"), {})),
          semaphore(Semaphore::create(names.make("semaphore"), 3, true, {})),
          event(Event::create(names.make("event"), {})),
          condition(Condition::create(names.make("condition"), {})),
          barrier(Barrier::create(names.make("barrier"), 4, {})),
          queue(Queue::create(names.make("queue"), 8, 64, QueueFlavor::kQueue, {})),
          value(SharedArray::create(names.make("value"), Kind::kValue, 'i', 1, nullptr, true, {})),
          array(
              SharedArray::create(names.make("array"), Kind::kArray, 'd', 10, nullptr, false, {})),
          dict(SharedDict::create(names.make("dict"), HeapSizes{}, {})),
          list(SharedList::create(names.make("list"), HeapSizes{}, {})) {}

    // (name, kind, kind name) of each.
    std::vector<std::tuple<std::string, Kind, std::string>> all() const {
        return {{lock.name(), Kind::kLock, "lock"},
                {rlock.name(), Kind::kRLock, "rlock"},
                {semaphore.name(), Kind::kSemaphore, "semaphore"},
                {event.name(), Kind::kEvent, "event"},
                {condition.name(), Kind::kCondition, "condition"},
                {barrier.name(), Kind::kBarrier, "barrier"},
                {queue.name(), Kind::kQueue, "queue"},
                {value.name(), Kind::kValue, "value"},
                {array.name(), Kind::kArray, "array"},
                {dict.name(), Kind::kDict, "dict"},
                {list.name(), Kind::kList, "list"}};
    }

    Lock lock;
    RLock rlock;
    Semaphore semaphore;
    Event event;
    Condition condition;
    Barrier barrier;
    Queue queue;
    SharedArray value;
    SharedArray array;
    SharedDict dict;
    SharedList list;
};

}  // namespace

TEST(Inspect, EveryKindReportsItsHeaderAndCreator) {
    Names names;
    EveryKind objects(names);
    const std::uint64_t my_start =
        mproc::core::shm::process_start_time(static_cast<std::uint32_t>(::getpid()));
    ASSERT_NE(my_start, 0u);
    for (const auto &[name, kind, kind_name] : objects.all()) {
        SCOPED_TRACE(kind_name);
        const ObjectInfo info = inspect(name);
        EXPECT_EQ(info.name, name);
        EXPECT_EQ(info.kind, static_cast<std::uint32_t>(kind));
        EXPECT_EQ(info.kind_name, kind_name);
        EXPECT_EQ(info.status, kOk);
        EXPECT_EQ(info.problem, "");
        EXPECT_EQ(info.layout_version, kind == Kind::kQueue ? 2u : 1u);
        EXPECT_EQ(info.bytes, file_size(name));
        EXPECT_EQ(info.mode, 0600u);
        EXPECT_EQ(info.uid, ::getuid());
        EXPECT_EQ(info.creator_pid, ::getpid());
        EXPECT_EQ(info.creator_start_time, my_start);
        EXPECT_EQ(info.creator_alive, 1);
        EXPECT_EQ(info.users, 1) << "this process maps it, and nobody else";
        EXPECT_EQ(info.holder_pid, 0);
        EXPECT_EQ(info.holder_alive, -1);
    }
}

TEST(Inspect, ModeIsTheFilesPermissionBits) {
    Names names;
    CreateOptions options;
    options.permissions = 0640;
    Lock lock = Lock::create(names.make("mode"), options);
    EXPECT_EQ(inspect(lock.name()).mode, 0640u);
}

TEST(Inspect, PerKindFields) {
    Names names;
    EveryKind o(names);
    EXPECT_EQ(inspect(o.semaphore.name()).depth, 3u);
    EXPECT_EQ(inspect(o.semaphore.name()).capacity, 3u) << "bounded";
    ASSERT_EQ(o.semaphore.acquire(after(0)), kOk);
    EXPECT_EQ(inspect(o.semaphore.name()).depth, 2u);
    Semaphore unbounded = Semaphore::create(names.make("unbounded"), 5, false, {});
    EXPECT_EQ(inspect(unbounded.name()).depth, 5u);
    EXPECT_EQ(inspect(unbounded.name()).capacity, 0u);

    EXPECT_EQ(inspect(o.event.name()).depth, 0u);
    o.event.set();
    EXPECT_EQ(inspect(o.event.name()).depth, 1u);

    EXPECT_EQ(inspect(o.barrier.name()).capacity, 4u);
    EXPECT_EQ(inspect(o.barrier.name()).depth, 0u);

    EXPECT_EQ(inspect(o.value.name()).capacity, 1u);
    EXPECT_EQ(inspect(o.array.name()).capacity, 10u);

    for (const char *key : {"a", "b", "c"}) {
        ASSERT_EQ(o.dict.set(key, "value", after(5)), kOk);
    }
    ObjectInfo dict = inspect(o.dict.name());
    EXPECT_EQ(dict.depth, 3u);
    EXPECT_EQ(dict.puts, 3u);
    EXPECT_EQ(dict.capacity, mproc::core::container::kDefaultMax);
    for (const char *item : {"1", "2", "3", "4"}) {
        ASSERT_EQ(o.list.append(item, after(5)), kOk);
    }
    ObjectInfo list = inspect(o.list.name());
    EXPECT_EQ(list.depth, 4u);
    EXPECT_EQ(list.puts, 4u);
    EXPECT_EQ(list.status, kOk);
}

TEST(Inspect, QueueDepthCapacityPutsAndGets) {
    Names names;
    Queue queue = Queue::create(names.make("queue"), 8, 16, QueueFlavor::kQueue, {});
    ObjectInfo info = inspect(queue.name());
    EXPECT_EQ(info.depth, 0u);
    EXPECT_EQ(info.capacity, 8u);
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(queue.put("message", 7, after(5)), kOk);
    }
    char buf[16];
    std::size_t len = 0;
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(queue.get(buf, sizeof buf, &len, after(5)), kOk);
    }
    info = inspect(queue.name());
    EXPECT_EQ(info.depth, 3u);
    EXPECT_EQ(info.capacity, 8u);
    EXPECT_EQ(info.puts, 5u);
    EXPECT_EQ(info.gets, 2u);
    // Around the ring more than once: positions keep counting.
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(queue.put("m", 1, after(5)), kOk);
        ASSERT_EQ(queue.get(buf, sizeof buf, &len, after(5)), kOk);
    }
    info = inspect(queue.name());
    EXPECT_EQ(info.depth, 3u);
    EXPECT_EQ(info.puts, 25u);
    EXPECT_EQ(info.gets, 22u);
}

TEST(Inspect, HeldLocksShowTheirHolder) {
    Names names;
    EveryKind o(names);
    ASSERT_EQ(o.lock.acquire(after(0)), kOk);
    ASSERT_EQ(o.rlock.acquire(after(0)), kOk);
    ASSERT_EQ(o.value.acquire(after(0)), kOk);
    ASSERT_EQ(o.dict.acquire(after(0)), kOk);
    ASSERT_EQ(o.list.acquire(after(0)), kOk);
    for (const std::string &name :
         {o.lock.name(), o.rlock.name(), o.value.name(), o.dict.name(), o.list.name()}) {
        SCOPED_TRACE(name);
        const ObjectInfo info = inspect(name);
        EXPECT_EQ(info.holder_pid, ::getpid());
        EXPECT_EQ(info.holder_alive, 1);
    }
    EXPECT_EQ(o.lock.release(), kOk);
    EXPECT_EQ(o.rlock.release(), kOk);
    EXPECT_EQ(o.value.release(), kOk);
    EXPECT_EQ(o.dict.release(), kOk);
    EXPECT_EQ(o.list.release(), kOk);
    for (const std::string &name :
         {o.lock.name(), o.rlock.name(), o.value.name(), o.dict.name(), o.list.name()}) {
        EXPECT_EQ(inspect(name).holder_pid, 0);
        EXPECT_EQ(inspect(name).holder_alive, -1);
    }
}

TEST(Inspect, ALockHeldByADeadProcessShowsItsHolderDead) {
    Names names;
    ChildReaper reaper;
    Lock lock = Lock::create(names.make("dead_holder"), {});
    const pid_t child = reaper.add(run_in_child([&] {
        Lock mine = Lock::open(lock.name());
        return mine.acquire(after(5)) == kOk ? 0 : 1;
    }));
    ASSERT_EQ(wait_child(child), 0);
    const ObjectInfo info = inspect(lock.name());
    EXPECT_EQ(info.holder_pid, child);
    EXPECT_EQ(info.holder_alive, 0);
}

TEST(Inspect, ListNamesHasTheObjectsSortedAndOnlyValidNames) {
    Names names;
    Lock b = Lock::create(names.make("list_b"), {});
    Lock a = Lock::create(names.make("list_a"), {});
    // Files of the shm directory that are not objects' names.
    const std::string stray = "/dev/shm/mproc.bad name " + std::to_string(::getpid());
    const std::string temporary = "/dev/shm/mproc-tmp.inspect-test." + std::to_string(::getpid());
    for (const std::string &path : {stray, temporary}) {
        const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ::close(fd);
    }
    const std::vector<std::string> listed = list_names();
    ::unlink(stray.c_str());
    ::unlink(temporary.c_str());
    EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
    EXPECT_NE(std::find(listed.begin(), listed.end(), a.name()), listed.end());
    EXPECT_NE(std::find(listed.begin(), listed.end(), b.name()), listed.end());
    for (const std::string &name : listed) {
        EXPECT_EQ(name.find(' '), std::string::npos) << name;
        EXPECT_EQ(name.find("inspect-test"), std::string::npos) << name;
    }
}

TEST(Inspect, RemoveTakesAnyKindAndGarbage) {
    Names names;
    std::vector<std::string> all;
    {
        EveryKind objects(names);
        for (const auto &entry : objects.all())
            all.push_back(std::get<0>(entry));
    }
    const std::string garbage = names.make("garbage");
    write_object_file(garbage, std::vector<unsigned char>(100, 0xab));
    all.push_back(garbage);
    for (const std::string &name : all) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(shm_file_exists(name));
        remove(name);
        EXPECT_FALSE(shm_file_exists(name));
        EXPECT_EQ(status_of([&] { remove(name); }), kNotFound);
        EXPECT_EQ(status_of([&] { inspect(name); }), kNotFound);
    }
}

TEST(Inspect, RemoveKeepsTheObjectForWhoeverHasItOpen) {
    Names names;
    Semaphore semaphore = Semaphore::create(names.make("open"), 2, false, {});
    remove(semaphore.name());
    EXPECT_EQ(semaphore.acquire(after(0)), kOk);
    EXPECT_EQ(semaphore.acquire(after(0)), kOk);
}

TEST(Inspect, MissingNamesAndBadNames) {
    Names names;
    const std::string missing = names.make("missing");
    std::string message;
    EXPECT_EQ(status_of([&] { inspect(missing); }, &message), kNotFound);
    EXPECT_NE(message.find(missing), std::string::npos) << message;
    EXPECT_EQ(status_of([&] { remove(missing); }), kNotFound);
    for (const std::string &bad :
         {std::string(), std::string("a/b"), std::string(".."), std::string("."),
          std::string("sp ace"), std::string(201, 'x'), std::string("../shm")}) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(status_of([&] { inspect(bad); }), kInvalid);
        EXPECT_EQ(status_of([&] { remove(bad); }), kInvalid);
    }
}

TEST(Inspect, GarbageFilesReportWhatIsWrong) {
    Names names;
    const auto lock_kind = static_cast<std::uint32_t>(Kind::kLock);
    const auto array_kind = static_cast<std::uint32_t>(Kind::kArray);
    const std::uint64_t lock_size = sizeof(mproc::core::sync::LockLayout);
    struct Case {
        const char *what;
        std::vector<unsigned char> bytes;
        mproc::core::Status status;
        std::uint32_t kind;  // reported
    };
    std::vector<unsigned char> not_ready = header_bytes(lock_kind, 1, lock_size, lock_size);
    not_ready[offsetof(ObjectHeader, state)] = 0;
    const std::vector<Case> cases = {
        {"empty", {}, kKind, 0},
        {"too short", std::vector<unsigned char>(10, 1), kKind, 0},
        {"bad magic", std::vector<unsigned char>(4096, 0), kKind, 0},
        {"not ready", not_ready, kKind, 0},
        {"unknown kind", header_bytes(77, 1, 4096, 4096), kKind, 0},
        {"kind 0", header_bytes(0, 1, 4096, 4096), kKind, 0},
        {"other version", header_bytes(lock_kind, 99, lock_size, lock_size), kVersion, lock_kind},
        {"fixed size wrong", header_bytes(lock_kind, 1, lock_size + 8, 4096), kVersion, lock_kind},
        {"size over the file", header_bytes(array_kind, 1, 1 << 20, 4096), kCorrupt, array_kind},
        {"size under a header", header_bytes(array_kind, 1, 8, 4096), kCorrupt, array_kind},
        {"array fields zero", header_bytes(array_kind, 1, 4096, 4096), kCorrupt, array_kind},
        {"queue fields zero", header_bytes(7, 2, 4096, 4096), kCorrupt, 7},
        {"dict of another Boost", header_bytes(10, 1, 8192, 8192), kVersion, 10},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(c.what);
        const std::string name = names.make("garbage");
        write_object_file(name, c.bytes);
        const ObjectInfo info = inspect(name);
        EXPECT_EQ(info.status, c.status);
        EXPECT_FALSE(info.problem.empty());
        EXPECT_EQ(info.kind, c.kind);
        EXPECT_EQ(info.kind_name, c.kind == 0 ? "unknown" : info.kind_name);
        EXPECT_EQ(info.bytes, c.bytes.size());
        EXPECT_EQ(info.users, 0);
        EXPECT_EQ(info.depth, 0u);
        EXPECT_EQ(info.waits, 0u);
    }
}

TEST(Inspect, RealObjectsWithPatchedFields) {
    Names names;
    std::vector<std::string> patched;
    {
        patched.push_back(Queue::create(names.make("q"), 4, 8, QueueFlavor::kQueue, {}).name());
        patched.push_back(
            SharedArray::create(names.make("a"), Kind::kArray, 'i', 4, nullptr, true, {}).name());
        patched.push_back(Barrier::create(names.make("b"), 2, {}).name());
        patched.push_back(Barrier::create(names.make("b"), 2, {}).name());
        patched.push_back(SharedDict::create(names.make("d"), HeapSizes{}, {}).name());
        patched.push_back(SharedList::create(names.make("l"), HeapSizes{}, {}).name());
        Lock lock = Lock::create(names.make("lock"), {});
        patched.push_back(Condition::create_with(names.make("c"), lock, {}).name());
    }
    using mproc::core::array::ArrayLayout;
    using mproc::core::container::HeapLayout;
    using mproc::core::queue::QueueLayout;
    using mproc::core::sync::BarrierLayout;
    using mproc::core::sync::ConditionLayout;
    patch_field<std::uint64_t>(patched[0], offsetof(QueueLayout, capacity), 1u << 19);
    patch_field<std::uint64_t>(patched[1], offsetof(ArrayLayout, length), 1u << 30);
    patch_field<std::uint32_t>(patched[2], offsetof(BarrierLayout, parties), 0);
    patch_field<std::uint32_t>(patched[3], offsetof(BarrierLayout, arrived), 2);
    patch_field<std::uint64_t>(patched[4], offsetof(HeapLayout, root_offset), ~0ull);
    patch_field<std::uint64_t>(patched[5], offsetof(HeapLayout, reserved_bytes), 1ull << 30);
    const std::string unterminated(sizeof(ConditionLayout::lock_name), 'x');
    patch(patched[6], offsetof(ConditionLayout, lock_name), unterminated.data(),
          unterminated.size());
    for (const std::string &name : patched) {
        SCOPED_TRACE(name);
        const ObjectInfo info = inspect(name);
        EXPECT_EQ(info.status, kCorrupt);
        EXPECT_FALSE(info.problem.empty());
        EXPECT_NE(info.kind, 0u);
        EXPECT_EQ(info.creator_pid, ::getpid()) << "the header checked out";
        EXPECT_EQ(info.capacity, 0u) << "nothing filled past the failed check";
        EXPECT_EQ(info.depth, 0u);
    }
}

TEST(Inspect, RandomBytesAfterAValidHeaderNeverCrash) {
    Names names;
    std::mt19937_64 random(12345);
    for (int round = 0; round < 300; ++round) {
        const auto kind = static_cast<std::uint32_t>(1 + round % 11);
        const std::uint32_t version = kind == 7 ? 2 : 1;
        const std::size_t size = 64 + random() % 9000;
        // Sometimes the right fixed size, sometimes a size of its own: both must be safe.
        const std::uint64_t header_size = random() % 2 == 0 ? size : 64 + random() % 20000;
        std::vector<unsigned char> bytes = header_bytes(kind, version, header_size, size);
        for (std::size_t i = sizeof(ObjectHeader); i < size; ++i) {
            // Mostly small values, so that sizes and counts often look plausible.
            bytes[i] = static_cast<unsigned char>(random() % 4 == 0 ? random() : random() % 3);
        }
        const std::string name = names.make("fuzz");
        write_object_file(name, bytes);
        const ObjectInfo info = inspect(name);
        EXPECT_TRUE(info.status == kOk || info.status == kKind || info.status == kVersion ||
                    info.status == kCorrupt);
        EXPECT_EQ(info.status == kOk, info.problem.empty());
        if (info.kind == 7) {
            EXPECT_LE(info.depth, info.capacity) << "a queue";
        }
        remove(name);
    }
}

TEST(Inspect, FilesThatAreNotRegularAreReportedNotOpened) {
    Names names;
    const std::string directory = names.make("directory");
    ASSERT_EQ(::mkdir(shm_file(directory).c_str(), 0700), 0);
    const std::string fifo = names.make("fifo");
    ASSERT_EQ(::mkfifo(shm_file(fifo).c_str(), 0600), 0);
    const std::string link = names.make("link");
    Lock target = Lock::create(names.make("target"), {});
    ASSERT_EQ(::symlink(shm_file(target.name()).c_str(), shm_file(link).c_str()), 0);
    const std::string socket_name = names.make("socket");
    const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(sock, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", shm_file(socket_name).c_str());
    ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    ::close(sock);
    for (const std::string &name : {directory, fifo, link, socket_name}) {
        SCOPED_TRACE(name);
        const ObjectInfo info = inspect(name);  // a FIFO must not block it, nor a socket fail
        EXPECT_EQ(info.status, kKind);
        EXPECT_FALSE(info.problem.empty());
        EXPECT_EQ(info.kind, 0u);
    }
    remove(fifo);
    remove(link);
    EXPECT_TRUE(shm_file_exists(target.name())) << "removing a link removes the link only";
    ::rmdir(shm_file(directory).c_str());
}

TEST(Inspect, ACreatorThatExitedIsDead) {
    Names names;
    ChildReaper reaper;
    const std::string name = names.make("orphan");
    const pid_t child = reaper.add(run_in_child([&] {
        Event::create(name, {});
        return 0;
    }));
    // Not reaped yet: a zombie is dead too.
    ASSERT_TRUE(eventually([&] { return task_state(static_cast<std::uint32_t>(child)) == 'Z'; }));
    ObjectInfo info = inspect(name);
    EXPECT_EQ(info.creator_pid, child);
    EXPECT_NE(info.creator_start_time, 0u);
    EXPECT_EQ(info.creator_alive, 0);
    ASSERT_EQ(wait_child(child), 0);
    info = inspect(name);
    EXPECT_EQ(info.creator_alive, 0);
    EXPECT_EQ(info.users, 0);
}

TEST(Inspect, ARecycledCreatorPidIsDead) {
    Names names;
    const std::string name = Lock::create(names.make("recycled"), {}).name();
    ASSERT_EQ(inspect(name).creator_alive, 1);
    const std::uint64_t other_start = inspect(name).creator_start_time + 1;
    patch_field(name, offsetof(ObjectHeader, creator_start_time), other_start);
    ObjectInfo info = inspect(name);
    EXPECT_EQ(info.creator_pid, ::getpid());
    EXPECT_EQ(info.creator_start_time, other_start);
    EXPECT_EQ(info.creator_alive, 0) << "our pid, another process's start time";
    // No start time recorded (an older object): the pid alone decides.
    patch_field<std::uint64_t>(name, offsetof(ObjectHeader, creator_start_time), 0);
    EXPECT_EQ(inspect(name).creator_alive, 1);
}

TEST(Inspect, UsersCountsTheProcessesThatMapIt) {
    Names names;
    ChildReaper reaper;
    struct Sync {
        std::atomic<int> opened{0};
        std::atomic<int> leave{0};
    };
    Shared<Sync> sync;
    const std::string name = names.make("users");
    std::optional<Queue> queue(Queue::create(name, 4, 8, QueueFlavor::kQueue, {}));
    EXPECT_EQ(inspect(name).users, 1);
    const pid_t child = reaper.add(run_in_child([&] {
        Queue mine = Queue::open(name);
        sync->opened.store(1);
        return eventually([&] { return sync->leave.load() == 1; }, 30s) ? 0 : 1;
    }));
    ASSERT_TRUE(eventually([&] { return sync->opened.load() == 1; }, 30s));
    EXPECT_EQ(inspect(name).users, 2);
    queue.reset();
    EXPECT_EQ(inspect(name).users, 1) << "only the child now";
    sync->leave.store(1);
    ASSERT_EQ(wait_child(child, 30s), 0);
    EXPECT_EQ(inspect(name).users, 0);
}
