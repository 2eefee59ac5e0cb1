// mproc::Dict: the dict API over the C ABI (get as optional, at, setdefault, pop, popitem,
// update, insertion order), errors as exceptions, the lock as a Lockable and as a guard,
// growth and a full dict, a forked writer and a reader started as a new program.
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/dict.hpp"
#include "mproc/list.hpp"
#include "mproc/lock.hpp"
#include "spawned_reader.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::wait_child;

namespace {

using Items = std::vector<std::pair<std::string, std::string>>;
using Strings = std::vector<std::string>;

// Set in the environment of this test program started again as a reader (see
// SpawnedProgramReadsByName): the dict's name. The reader checks the dict, adds a key and
// exits before GoogleTest starts.
constexpr const char *kReaderVariable = "MPROC_CPP_DICT_READER";

int read_as_spawned_program(const char *name) {
    mproc::Dict d = mproc::Dict::open(name);
    if (d.keys() != Strings{"first", std::string("bin\0ary", 7), "last"}) return 3;
    if (d.at(std::string("bin\0ary", 7)) != std::string("\0\1\2", 3)) return 4;
    d.set("reader", std::to_string(::getpid()));
    return 0;
}

[[maybe_unused]] const bool reader_ran =
    mproc_test::run_reader_if_asked(kReaderVariable, read_as_spawned_program);

}  // namespace

TEST(CppDict, SetGetAtContainsErase) {
    scoped_name<mproc::Dict> name("dict");
    mproc::Dict d = mproc::Dict::create(name);
    EXPECT_EQ(d.name(), name.str());
    EXPECT_TRUE(d.empty());
    d.set("a", "1");
    d.set("b", "2");
    EXPECT_EQ(d.size(), 2u);
    EXPECT_EQ(d.get("a"), std::optional<std::string>("1"));
    EXPECT_EQ(d.get("zz"), std::nullopt);
    EXPECT_EQ(d.at("b"), "2");
    EXPECT_TRUE(d.contains("a"));
    EXPECT_FALSE(d.contains("zz"));
    try {
        (void)d.at("zz");
        FAIL() << "at() of a missing key did not throw";
    } catch (const mproc::not_found_error &e) {
        EXPECT_EQ(e.code(), MPROC_ENOTFOUND);
        EXPECT_NE(std::string(e.what()).find("no such key 'zz'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(name.str()), std::string::npos) << e.what();
    }
    EXPECT_TRUE(d.erase("a"));
    EXPECT_FALSE(d.erase("a"));
    EXPECT_EQ(d.size(), 1u);

    // Keys and values are bytes: NULs and empty strings survive.
    const std::string key("k\0ey", 4), value("\0v\0", 3);
    d.set(key, value);
    d.set("", "");
    EXPECT_EQ(d.at(key), value);
    EXPECT_FALSE(d.contains("k"));
    EXPECT_EQ(d.get(""), std::optional<std::string>(""));
    d.clear();
    EXPECT_EQ(d.size(), 0u);
}

TEST(CppDict, InsertionOrderAndSnapshots) {
    mproc::Dict d = mproc::Dict::create();
    d.update({{"a", "1"}, {"b", "2"}, {"c", "3"}});
    d.set("b", "20");  // keeps its place
    EXPECT_EQ(d.keys(), (Strings{"a", "b", "c"}));
    d.erase("a");
    d.set("a", "10");  // goes last
    EXPECT_EQ(d.items(), (Items{{"b", "20"}, {"c", "3"}, {"a", "10"}}));
    const std::optional<mproc::Dict::item> last = d.popitem();
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(*last, (mproc::Dict::item{"a", "10"}));
    d.clear();
    EXPECT_EQ(d.popitem(), std::nullopt);
    EXPECT_TRUE(d.keys().empty());
    EXPECT_TRUE(d.items().empty());
}

TEST(CppDict, SetdefaultInsertAndPop) {
    mproc::Dict d = mproc::Dict::create();
    EXPECT_EQ(d.setdefault("k", "first"), "first");
    EXPECT_EQ(d.setdefault("k", "second"), "first");
    EXPECT_TRUE(d.insert("j", "x"));
    EXPECT_FALSE(d.insert("j", "y"));
    EXPECT_EQ(d.at("j"), "x");
    EXPECT_EQ(d.pop("k"), std::optional<std::string>("first"));
    EXPECT_EQ(d.pop("k"), std::nullopt);
    EXPECT_EQ(d.size(), 1u);
}

TEST(CppDict, UpdateTakesAnyRangeOfPairsAllOrNothing) {
    mproc::Dict d = mproc::Dict::create();
    const std::map<std::string, std::string> m{{"x", "1"}, {"y", "2"}};
    d.update(m);
    d.update(Items{{"z", "3"}, {"x", "10"}, {"x", "100"}});  // the last value wins
    EXPECT_EQ(d.items(), (Items{{"x", "100"}, {"y", "2"}, {"z", "3"}}));
    const std::string too_long(MPROC_CONTAINER_MAX_KEY + 1, 'k');
    try {
        d.update(Items{{"new", "1"}, {too_long, "2"}});
        FAIL() << "a key over the limit did not throw";
    } catch (const mproc::too_big_error &e) {
        EXPECT_NE(std::string(e.what()).find("65536"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(d.contains("new")) << "update is all or nothing";
    EXPECT_THROW(d.set(too_long, "v"), mproc::too_big_error);
    d.set(std::string(MPROC_CONTAINER_MAX_KEY, 'k'), "at the limit");
    EXPECT_EQ(d.size(), 4u);
}

TEST(CppDict, ErrorsAreExceptionsWithTheirCodes) {
    scoped_name<mproc::Dict> name("errors");
    EXPECT_THROW(mproc::Dict::open(name), mproc::not_found_error);
    EXPECT_THROW(mproc::Dict::create(name, {1 << 20, 1 << 16}), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Dict::create(name, {4096, 4096}), mproc::too_big_error);
    EXPECT_THROW(mproc::Dict::create(std::string("a\0b", 3)), mproc::invalid_argument_error);
    mproc::Dict d = mproc::Dict::create(name, {16 << 10, 1 << 20});
    d.set("k", "v");
    EXPECT_THROW(mproc::Dict::create(name), mproc::exists_error);
    mproc::Dict again = mproc::Dict::create_or_open(name, {64 << 10, 64 << 10});
    EXPECT_EQ(again.at("k"), "v");
    EXPECT_EQ(again.memory().max_size, 1u << 20) << "an existing dict keeps its sizes";
    EXPECT_THROW(mproc::List::open(name), mproc::kind_error);
    EXPECT_THROW(d.set("k", "v", std::chrono::duration<double>(std::nan(""))),
                 mproc::invalid_argument_error);

    scoped_name<mproc::Lock> lock_name("lock");
    mproc::Lock lock = mproc::Lock::create(lock_name);
    EXPECT_THROW(mproc::Dict::open(lock_name), mproc::kind_error);

    again.close();
    EXPECT_THROW(again.set("k", "v"), mproc::bad_handle_error);
    EXPECT_THROW((void)again.size(), mproc::bad_handle_error);
    mproc::Dict moved = std::move(d);
    EXPECT_THROW((void)d.size(), mproc::bad_handle_error);  // NOLINT: use after move on purpose
    EXPECT_EQ(moved.at("k"), "v");
}

TEST(CppDict, FullDictThrowsAndIsUnchanged) {
    mproc::Dict d = mproc::Dict::create({16 << 10, 64 << 10});
    const std::string value(1024, 'v');
    int stored = 0;
    try {
        for (; stored < 1000; stored++)
            d.set("key-" + std::to_string(stored), value);
        FAIL() << "1000 KiB fit in a dict of 64 KiB";
    } catch (const mproc::full_error &) {
    }
    EXPECT_GT(stored, 10);
    EXPECT_EQ(d.size(), static_cast<std::size_t>(stored));
    EXPECT_FALSE(d.contains("key-" + std::to_string(stored)));
    EXPECT_EQ(d.memory().capacity, 64u << 10);
    EXPECT_EQ(d.at("key-0"), value);
    d.erase("key-0");
    d.set("fits again", value);
}

TEST(CppDict, GrowsFromSixteenKibToMegabytes) {
    mproc::Dict d = mproc::Dict::create({16 << 10, 0});
    EXPECT_EQ(d.memory().capacity, 16u << 10);
    constexpr int kKeys = 20000;
    auto value_of = [](int i) { return std::string(150, static_cast<char>('a' + i % 26)); };
    for (int i = 0; i < kKeys; i++)
        d.set("key-" + std::to_string(i), value_of(i));
    const mproc::container_memory m = d.memory();
    EXPECT_GE(m.capacity, 2u << 20);
    EXPECT_EQ(m.max_size, static_cast<std::size_t>(MPROC_CONTAINER_DEFAULT_MAX));
    EXPECT_LE(m.free, m.capacity);
    EXPECT_EQ(d.size(), static_cast<std::size_t>(kKeys));
    int bad = 0;
    for (int i = 0; i < kKeys; i++) {
        if (d.get("key-" + std::to_string(i)) != value_of(i)) bad++;
    }
    EXPECT_EQ(bad, 0);
}

TEST(CppDict, LockGroupsCallsAndBlocksOthers) {
    mproc::Dict d = mproc::Dict::create();
    d.set("n", "0");
    {
        std::lock_guard<mproc::Dict> hold(d);
        d.set("n", std::to_string(std::stoi(d.at("n")) + 1));  // recursive: works inside
        bool timed_out = false;
        std::thread other([&] {
            try {
                d.set("other", "x", 50ms);
            } catch (const mproc::timeout_error &) {
                timed_out = true;
            }
        });
        other.join();
        EXPECT_TRUE(timed_out) << "another thread's call waited for the group";
    }
    {
        auto hold = d.hold(1s);
        EXPECT_TRUE(hold.owns_lock());
        d.set("n", std::to_string(std::stoi(d.at("n")) + 1));
        std::thread other([&] {
            EXPECT_THROW((void)d.hold(20ms), mproc::timeout_error);
            EXPECT_THROW(d.release(), mproc::not_owner_error);
        });
        other.join();
    }
    EXPECT_EQ(d.at("n"), "2");
    d.set("other", "x", 0s);  // free again
    EXPECT_THROW(d.release(), mproc::not_owner_error);
}

TEST(CppDict, ForkedChildWritesByName) {
    scoped_name<mproc::Dict> name("forked");
    mproc::Dict d = mproc::Dict::create(name, {16 << 10, 0});
    d.set("from", "parent");
    const pid_t pid = fork_child([&] {
        mproc::Dict mine = mproc::Dict::open(name);
        if (mine.at("from") != "parent") return 2;
        mine.set("from", "child");
        for (int i = 0; i < 2000; i++)
            mine.set("c" + std::to_string(i), std::to_string(i));
        return 0;
    });
    ASSERT_EQ(wait_child(pid), 0);
    EXPECT_EQ(d.at("from"), "child");
    EXPECT_EQ(d.size(), 2001u);
    EXPECT_EQ(d.at("c1999"), "1999");
    EXPECT_GT(d.memory().capacity, 16u << 10) << "the child grew it; the parent sees that";
}

TEST(CppDict, CountersInTwoProcessesUnderTheLockAreExact) {
    scoped_name<mproc::Dict> name("counter");
    mproc::Dict d = mproc::Dict::create(name);
    d.set("n", "0");
    constexpr int kRounds = 300;
    auto increment = [](mproc::Dict &dict) {
        std::lock_guard<mproc::Dict> hold(dict);
        dict.set("n", std::to_string(std::stoi(dict.at("n")) + 1));
    };
    const pid_t pid = fork_child([&] {
        mproc::Dict mine = mproc::Dict::open(name);
        for (int i = 0; i < kRounds; i++)
            increment(mine);
        return 0;
    });
    for (int i = 0; i < kRounds; i++)
        increment(d);
    ASSERT_EQ(wait_child(pid), 0);
    EXPECT_EQ(d.at("n"), std::to_string(2 * kRounds));
}

TEST(CppDict, SpawnedProgramReadsByName) {
    scoped_name<mproc::Dict> name("spawned");
    mproc::Dict d = mproc::Dict::create(name);
    d.set("first", "1");
    d.set(std::string("bin\0ary", 7), std::string("\0\1\2", 3));
    d.set("last", "3");
    EXPECT_EQ(mproc_test::spawn_reader(kReaderVariable, name.str()), 0);
    const std::optional<std::string> reader = d.get("reader");
    ASSERT_TRUE(reader.has_value());
    EXPECT_NE(*reader, std::to_string(::getpid())) << "written by another program";
}
