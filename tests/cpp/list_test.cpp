// mproc::List: Python's indexes and slices, insert, pop, extend and set_slice over any
// range, errors as exceptions, the lock, growth, a forked writer and a reader started as a
// new program.
#include <unistd.h>

#include <array>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mproc/dict.hpp"
#include "mproc/list.hpp"
#include "spawned_reader.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::fork_child;
using mproc_test::scoped_name;
using mproc_test::wait_child;

namespace {

using Strings = std::vector<std::string>;

// As in dict_test.cpp: this program started again with the list's name in this variable
// checks the list, appends to it and exits before GoogleTest starts.
constexpr const char *kReaderVariable = "MPROC_CPP_LIST_READER";

int read_as_spawned_program(const char *name) {
    mproc::List l = mproc::List::open(name);
    if (l.to_vector() != Strings{"a", std::string("\0b", 2), "c"}) return 3;
    l.append("reader");
    return 0;
}

[[maybe_unused]] const bool reader_ran =
    mproc_test::run_reader_if_asked(kReaderVariable, read_as_spawned_program);

}  // namespace

TEST(CppList, IndexesCountFromEitherEnd) {
    scoped_name<mproc::List> name("list");
    mproc::List l = mproc::List::create(name);
    EXPECT_EQ(l.name(), name.str());
    EXPECT_TRUE(l.empty());
    l.extend({"a", "b", "c"});
    EXPECT_EQ(l.size(), 3u);
    EXPECT_EQ(l.at(0), "a");
    EXPECT_EQ(l.at(-1), "c");
    EXPECT_EQ(l[-3], "a");
    try {
        (void)l.at(3);
        FAIL() << "at(3) of 3 items did not throw";
    } catch (const mproc::not_found_error &e) {
        EXPECT_NE(std::string(e.what()).find("index 3 out of range"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW((void)l.at(-4), mproc::not_found_error);
    EXPECT_THROW((void)l.at(LLONG_MIN), mproc::not_found_error);
    l.set(-2, "B");
    EXPECT_THROW(l.set(3, "x"), mproc::not_found_error);
    l.insert(1, "i");
    l.insert(-100, "first");
    l.insert(100, "last");
    EXPECT_EQ(l.to_vector(), (Strings{"first", "a", "i", "B", "c", "last"}));
    EXPECT_EQ(l.pop(), "last");
    EXPECT_EQ(l.pop(0), "first");
    EXPECT_EQ(l.pop(1), "i");
    EXPECT_EQ(l.to_vector(), (Strings{"a", "B", "c"}));
    l.clear();
    EXPECT_THROW(l.pop(), mproc::not_found_error);
}

TEST(CppList, SlicesClampAsPythonDoes) {
    mproc::List l = mproc::List::create();
    l.extend(Strings{"a", "b", "c", "d", "e"});
    EXPECT_EQ(l.slice(1, 3), (Strings{"b", "c"}));
    EXPECT_EQ(l.slice(-2), (Strings{"d", "e"}));
    EXPECT_EQ(l.slice(0, -1), (Strings{"a", "b", "c", "d"}));
    EXPECT_EQ(l.slice(-100, 2), (Strings{"a", "b"}));
    EXPECT_EQ(l.slice(LLONG_MIN, mproc::List::end).size(), 5u);
    EXPECT_TRUE(l.slice(4, 2).empty());
    EXPECT_TRUE(l.slice(5).empty());

    l.set_slice(1, 3, {"x", "y", "z"});
    EXPECT_EQ(l.to_vector(), (Strings{"a", "x", "y", "z", "d", "e"}));
    const std::array<std::string_view, 1> one{"only"};
    l.set_slice(-5, -2, one);
    EXPECT_EQ(l.to_vector(), (Strings{"a", "only", "d", "e"}));
    l.erase(1, 3);
    EXPECT_EQ(l.to_vector(), (Strings{"a", "e"}));
    l.set_slice(1, 1, Strings{"m"});  // an empty range inserts
    EXPECT_EQ(l.to_vector(), (Strings{"a", "m", "e"}));
    l.set_slice(0, mproc::List::end, std::vector<const char *>{});
    EXPECT_TRUE(l.empty());
}

TEST(CppList, ItemsAreBytes) {
    mproc::List l = mproc::List::create();
    const std::string bin("\0\1\0", 3);
    l.append(bin);
    l.append("");
    EXPECT_EQ(l.at(0), bin);
    EXPECT_EQ(l.at(1), "");
    EXPECT_EQ(l.pop(0), bin);
}

TEST(CppList, ErrorsAreExceptionsWithTheirCodes) {
    scoped_name<mproc::List> name("errors");
    EXPECT_THROW(mproc::List::open(name), mproc::not_found_error);
    EXPECT_THROW(mproc::List::create(name, {1 << 20, 1 << 16}), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::List::create(name, {4096, 4096}), mproc::too_big_error);
    mproc::List l = mproc::List::create(name, {16 << 10, 1 << 20});
    l.append("x");
    EXPECT_THROW(mproc::List::create(name), mproc::exists_error);
    mproc::List again = mproc::List::create_or_open(name);
    EXPECT_EQ(again.at(0), "x");
    EXPECT_THROW(mproc::Dict::open(name), mproc::kind_error);
    again.close();
    EXPECT_THROW(again.append("y"), mproc::bad_handle_error);

    // Full: an exception, nothing changed, and it goes on working.
    mproc::List small = mproc::List::create({16 << 10, 64 << 10});
    const std::string item(1024, 'i');
    std::size_t stored = 0;
    EXPECT_THROW(
        {
            for (; stored < 1000; stored++)
                small.append(item);
        },
        mproc::full_error);
    EXPECT_GT(stored, 10u);
    EXPECT_EQ(small.size(), stored);
    EXPECT_THROW(small.extend(Strings(4, item)), mproc::full_error);
    EXPECT_EQ(small.size(), stored);
    small.pop(0);
    small.append(item);
    EXPECT_EQ(small.memory().capacity, 64u << 10);
}

TEST(CppList, GrowsAndReadsBack) {
    mproc::List l = mproc::List::create({16 << 10, 0});
    constexpr int kItems = 20000;
    std::vector<std::string> batch;
    for (int i = 0; i < kItems; i++) {
        batch.push_back(std::to_string(i) + std::string(150, static_cast<char>('a' + i % 26)));
        if (batch.size() == 500) {
            l.extend(batch);
            batch.clear();
        }
    }
    EXPECT_EQ(l.size(), static_cast<std::size_t>(kItems));
    EXPECT_GE(l.memory().capacity, 2u << 20);
    const Strings all = l.to_vector();
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kItems));
    int bad = 0;
    for (int i = 0; i < kItems; i++) {
        if (all[static_cast<std::size_t>(i)] !=
            std::to_string(i) + std::string(150, static_cast<char>('a' + i % 26))) {
            bad++;
        }
    }
    EXPECT_EQ(bad, 0);
}

TEST(CppList, LockGroupsCalls) {
    mproc::List l = mproc::List::create();
    {
        auto hold = l.hold();
        l.append("1");
        l.append("2");
        std::thread other([&] { EXPECT_THROW(l.append("x", 50ms), mproc::timeout_error); });
        other.join();
    }
    {
        std::unique_lock<mproc::List> hold(l, std::try_to_lock);
        EXPECT_TRUE(hold.owns_lock());
        EXPECT_EQ(l.pop(), "2");
    }
    l.append("3", 0s);
    EXPECT_EQ(l.to_vector(), (Strings{"1", "3"}));
}

TEST(CppList, ForkedChildAppendsByName) {
    scoped_name<mproc::List> name("forked");
    mproc::List l = mproc::List::create(name);
    l.append("parent");
    const pid_t pid = fork_child([&] {
        mproc::List mine = mproc::List::open(name);
        if (mine.at(0) != "parent") return 2;
        for (int i = 0; i < 1000; i++)
            mine.append(std::to_string(i));
        mine.set(0, "child");
        return 0;
    });
    ASSERT_EQ(wait_child(pid), 0);
    EXPECT_EQ(l.size(), 1001u);
    EXPECT_EQ(l.at(0), "child");
    EXPECT_EQ(l.at(-1), "999");
}

TEST(CppList, SpawnedProgramReadsByName) {
    scoped_name<mproc::List> name("spawned");
    mproc::List l = mproc::List::create(name);
    l.extend({"a", std::string_view("\0b", 2), "c"});
    EXPECT_EQ(mproc_test::spawn_reader(kReaderVariable, name.str()), 0);
    EXPECT_EQ(l.to_vector(), (Strings{"a", std::string("\0b", 2), "c", "reader"}));
}
