// mproc::object_names / inspect_object / remove_object: the C++ face of mproc_object_*.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/lock.hpp"
#include "mproc/objects.hpp"
#include "mproc/queue.hpp"
#include "test_support.hpp"

using mproc_test::scoped_name;

TEST(CppObjects, ListsInspectsAndRemovesByName) {
    scoped_name<mproc::Queue> name("objects_queue");
    mproc::Queue queue = mproc::Queue::create(name, 8, 64);
    queue.put("one");
    queue.put("two");

    const std::vector<std::string> names = mproc::object_names();
    EXPECT_NE(std::find(names.begin(), names.end(), name.str()), names.end());
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));

    const mproc::object_info info = mproc::inspect_object(name);
    EXPECT_EQ(info.status, MPROC_OK) << info.problem;
    EXPECT_EQ(info.kind, MPROC_KIND_QUEUE);
    EXPECT_STREQ(info.kind_name, "queue");
    EXPECT_EQ(std::string(info.name), name.str());
    EXPECT_EQ(info.creator_pid, static_cast<int>(::getpid()));
    EXPECT_EQ(info.creator_alive, 1);
    EXPECT_EQ(info.depth, 2u);
    EXPECT_EQ(info.capacity, 8u);
    EXPECT_EQ(info.puts, 2u);
    EXPECT_EQ(info.gets, 0u);

    mproc::remove_object(name);
    EXPECT_THROW(mproc::inspect_object(name), mproc::not_found_error);
    EXPECT_THROW(mproc::remove_object(name), mproc::not_found_error);
    EXPECT_THROW(mproc::inspect_object("no/slash"), mproc::invalid_argument_error);
}

TEST(CppObjects, ALockShowsItsHolderAndItsTimeouts) {
    scoped_name<mproc::Lock> name("objects_lock");
    mproc::Lock lock = mproc::Lock::create(name);
    lock.lock();
    EXPECT_FALSE(lock.try_lock());
    const mproc::object_info info = mproc::inspect_object(name);
    EXPECT_EQ(info.kind, MPROC_KIND_LOCK);
    EXPECT_EQ(info.holder_pid, static_cast<int>(::getpid()));
    EXPECT_EQ(info.holder_alive, 1);
    EXPECT_EQ(info.waits, 1u);
    EXPECT_EQ(info.timeouts, 1u);
    EXPECT_GE(info.users, 1) << "this process maps it";
    lock.unlock();
}
