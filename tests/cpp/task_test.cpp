// mproc::Task and mproc::task_result: task references to libm, libc and the fixture library
// with arguments chosen by C++ type (every signature code at once), string and bytes
// results, NULL results, the program's own scope, function-pointer tasks, reuse after
// clear_args, the errors of bad signatures, kinds, ranges and missing symbols, and
// moved-from tasks.
#include <sys/types.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

#include "mproc/task.hpp"

#ifndef MPROC_TEST_TASKS_LIB
#error "MPROC_TEST_TASKS_LIB: the path of libmproc_test_tasks.so, set by tests/cpp/CMakeLists.txt"
#endif

namespace {

constexpr const char *kLib = MPROC_TEST_TASKS_LIB;

int return_arg(void *arg) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
}

}  // namespace

TEST(CppTask, ReferenceCallsCosInLibmAndIsReusedAfterClearArgs) {
    mproc::Task t = mproc::Task::reference("libm.so.6", "cos", "d(d)");
    t.check();
    t.arg(0.0);
    mproc::task_result r = t.call();
    EXPECT_EQ(r.type(), 'd');
    EXPECT_TRUE(r.is_double());
    EXPECT_EQ(r.as_double(), 1.0);
    t.clear_args();
    t.arg(M_PI);
    EXPECT_NEAR(t.call().as_double(), -1.0, 1e-12);
    t.clear_args();
    EXPECT_THROW(t.call(), mproc::invalid_argument_error) << "cos without its argument";
}

TEST(CppTask, CallOfPicksTheArgumentKindByCppType) {
    // "d(bBhHiIlLqQnNfdsy)": every argument code, signs alternating, so a lost sign or a
    // wrong kind shows in the sum.
    const unsigned char bytes[] = {1, 2, 3};
    mproc::Task t = mproc::Task::call_of(
        kLib, "all16", "d(bBhHiIlLqQnNfdsy)", static_cast<signed char>(-1),
        static_cast<unsigned char>(2), static_cast<short>(-3), static_cast<unsigned short>(4), -5,
        6u, -7L, 8UL, -9LL, 10ULL, static_cast<ssize_t>(-11), static_cast<size_t>(12), 0.5f, 0.25,
        "abcd", mproc::bytes_view{bytes, sizeof bytes});
    EXPECT_EQ(t.call().as_double(), 6 + 0.75 + 4 + 6);

    // bytes between two ints: the two C parameters of a 'y' argument.
    EXPECT_EQ(mproc::Task::call_of(kLib, "bytes_sum", "q(iyi)", 1, mproc::bytes_view{bytes, 3}, 2)
                  .call()
                  .as_int(),
              1000000 + 2 + 6 + 3000);
    // A char is a character code, whatever char's sign: strchr("mproc", 'p').
    EXPECT_EQ(mproc::Task::call_of("libc.so.6", "strchr", "s(si)", "mproc", 'p').call().as_string(),
              "proc");
    EXPECT_EQ(mproc::Task::call_of(kLib, "halve", "f(f)", 3.0f).call().as_double(), 1.5);
}

TEST(CppTask, StringArgumentsFromEveryStringType) {
    const std::string s = "world";
    const std::string_view v = "view";
    char buffer[16] = "buf";
    const char *p = "ptr";
    EXPECT_EQ(mproc::Task::call_of(kLib, "greet", "s(s)", s).call().as_string(), "hello, world");
    EXPECT_EQ(mproc::Task::call_of(kLib, "greet", "s(s)", v).call().as_string(), "hello, view");
    EXPECT_EQ(mproc::Task::call_of(kLib, "greet", "s(s)", buffer).call().as_string(), "hello, buf");
    EXPECT_EQ(mproc::Task::call_of(kLib, "greet", "s(s)", p).call().as_string(), "hello, ptr");
    mproc::Task t = mproc::Task::reference(kLib, "len_of", "N(s)");
    t.arg_string("four");
    const mproc::task_result r = t.call();
    EXPECT_TRUE(r.is_uint());
    EXPECT_EQ(r.as_uint(), 4u);

    // An embedded NUL would cut the string short: refused before the C call.
    mproc::Task g = mproc::Task::reference(kLib, "greet", "s(s)");
    EXPECT_THROW(g.arg(std::string("a\0b", 3)), mproc::invalid_argument_error);
    const char *null_string = nullptr;
    EXPECT_THROW(g.arg(null_string), mproc::invalid_argument_error);
}

TEST(CppTask, StringAndBytesResultsAreCopies) {
    mproc::task_result borrowed = mproc::Task::call_of(kLib, "greet", "s(s)", "a").call();
    // The fixture's static buffer is overwritten by the next call: the result must not care.
    (void)mproc::Task::call_of(kLib, "greet", "s(s)", "zzzzzz").call();
    EXPECT_EQ(borrowed.as_string(), "hello, a");
    EXPECT_TRUE(borrowed.is_string());
    EXPECT_FALSE(borrowed.is_null());

    const mproc::task_result owned = mproc::Task::call_of(kLib, "greet_new", "S(s)", "bob").call();
    EXPECT_EQ(owned.type(), 'S');
    EXPECT_EQ(owned.as_string(), "hi bob");

    const std::string with_nul("a\0b", 3);
    const mproc::task_result reversed =
        mproc::Task::call_of(kLib, "reverse", "y(y)",
                             mproc::bytes_view{with_nul.data(), with_nul.size()})
            .call();
    EXPECT_TRUE(reversed.is_bytes());
    EXPECT_EQ(reversed.as_string(), std::string("b\0a", 3));

    const mproc::task_result echoed =
        mproc::Task::call_of(kLib, "echo_new", "Y(y)", mproc::bytes_view{nullptr, 0}).call();
    EXPECT_EQ(echoed.type(), 'Y');
    EXPECT_EQ(echoed.as_string(), std::string(1, '\xff'));

    const mproc::task_result null_s = mproc::Task::call_of(kLib, "null_string", "s()").call();
    EXPECT_TRUE(null_s.is_null());
    EXPECT_EQ(null_s.as_string(), "");
    const mproc::task_result null_y = mproc::Task::call_of(kLib, "null_bytes", "y()").call();
    EXPECT_TRUE(null_y.is_null());
}

TEST(CppTask, ResultAccessorsCheckTheType) {
    const mproc::task_result max = mproc::Task::call_of(kLib, "ull_max", "Q()").call();
    EXPECT_EQ(max.as_uint(), UINT64_MAX);
    EXPECT_THROW((void)max.as_int(), mproc::kind_error);
    EXPECT_THROW((void)max.as_double(), mproc::kind_error);
    EXPECT_THROW((void)max.as_string(), mproc::kind_error);
    EXPECT_FALSE(max.is_null());
    // Unsigned results must not come back sign-extended.
    EXPECT_EQ(mproc::Task::call_of(kLib, "ui_not", "I(I)", 0u).call().as_uint(), 4294967295u);
    EXPECT_EQ(mproc::Task::call_of(kLib, "neg", "q(q)", 5LL).call().as_int(), -5);

    const mproc::task_result none = mproc::Task::call_of(kLib, "bump", "v(i)", 1).call();
    EXPECT_TRUE(none.is_void());
    EXPECT_THROW((void)none.as_int(), mproc::kind_error);

    const mproc::task_result empty;
    EXPECT_EQ(empty.type(), 'v');
    try {
        (void)mproc::task_result().as_double();
        FAIL() << "as_double of a void result did not throw";
    } catch (const mproc::kind_error &e) {
        EXPECT_EQ(e.code(), MPROC_EKIND);
        EXPECT_NE(std::string(e.what()).find("'v'"), std::string::npos) << e.what();
    }
}

TEST(CppTask, NoLibraryMeansTheProgramsOwnScope) {
    EXPECT_EQ(mproc::Task::call_of(std::nullopt, "abs", "i(i)", -5).call().as_int(), 5);
    EXPECT_EQ(mproc::Task::call_of("", "abs", "i(i)", -6).call().as_int(), 6);
    const std::optional<std::string_view> none;
    EXPECT_EQ(mproc::Task::call_of(none, "labs", "l(l)", -7L).call().as_int(), 7);
}

TEST(CppTask, FunctionTasksCallThePointer) {
    mproc::Task t = mproc::Task::from_function(return_arg, reinterpret_cast<void *>(42));
    t.check();  // always passes
    const mproc::task_result r = t.call();
    EXPECT_EQ(r.type(), 'i');
    EXPECT_EQ(r.as_int(), 42);
    EXPECT_THROW(t.arg(1), mproc::invalid_argument_error) << "a function task takes no arguments";

    int seen = 0;
    mproc::Task lambda = mproc::Task::from_function(
        [](void *arg) -> int {
            *static_cast<int *>(arg) = 7;
            return 3;
        },
        &seen);
    EXPECT_EQ(lambda.call().as_int(), 3);
    EXPECT_EQ(seen, 7);
    EXPECT_THROW(mproc::Task::from_function(nullptr), mproc::invalid_argument_error);
}

TEST(CppTask, BadSignaturesKindsRangesAndCounts) {
    EXPECT_THROW(mproc::Task::reference("libm.so.6", "cos", "d(d"), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Task::reference("libm.so.6", "", "d(d)"), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Task::reference("libm.so.6", std::string("co\0s", 4), "d(d)"),
                 mproc::invalid_argument_error);

    mproc::Task t = mproc::Task::reference(kLib, "add", "i(ii)");
    EXPECT_THROW(t.arg(1.5), mproc::invalid_argument_error) << "a double for an int";
    EXPECT_THROW(t.arg(1u), mproc::invalid_argument_error) << "an unsigned for a signed code";
    t.arg(2).arg(3);
    EXPECT_THROW(t.arg(4), mproc::invalid_argument_error) << "more arguments than the signature";
    EXPECT_EQ(t.call().as_int(), 5);

    // An int for an unsigned code: the C++ type decides, so pass 5u or use arg_uint.
    mproc::Task u = mproc::Task::reference(kLib, "ui_not", "I(I)");
    EXPECT_THROW(u.arg(5), mproc::invalid_argument_error);
    u.arg_uint(5);
    EXPECT_EQ(u.call().as_uint(), ~5u);

    mproc::Task b = mproc::Task::reference(kLib, "sb_neg", "b(b)");
    EXPECT_THROW(b.arg(300), mproc::too_big_error);
    b.arg(-100);
    EXPECT_EQ(b.call().as_int(), 100);
}

TEST(CppTask, MissingLibrariesAndSymbolsAreNotFound) {
    mproc::Task sym = mproc::Task::reference("libm.so.6", "mproc_no_such_symbol", "v()");
    try {
        sym.check();
        FAIL() << "check of a missing symbol passed";
    } catch (const mproc::not_found_error &e) {
        EXPECT_NE(std::string(e.what()).find("mproc_no_such_symbol"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(sym.call(), mproc::not_found_error);
    mproc::Task lib = mproc::Task::reference("libmproc_no_such_library.so", "f", "v()");
    EXPECT_THROW(lib.check(), mproc::not_found_error);
}

TEST(CppTask, MovedFromTasksThrowBadHandle) {
    mproc::Task a = mproc::Task::call_of("libm.so.6", "cos", "d(d)", 0.0);
    mproc::Task b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_EQ(a.handle(), nullptr);
    EXPECT_THROW(a.call(), mproc::bad_handle_error);
    EXPECT_THROW(a.arg(1.0), mproc::bad_handle_error);
    EXPECT_THROW(a.check(), mproc::bad_handle_error);
    EXPECT_THROW(a.clear_args(), mproc::bad_handle_error);
    EXPECT_TRUE(b.valid());
    EXPECT_EQ(b.call().as_double(), 1.0);

    a = std::move(b);
    EXPECT_EQ(a.call().as_double(), 1.0);
    a.close();
    EXPECT_FALSE(a.valid());
    EXPECT_THROW(a.call(), mproc::bad_handle_error);
    a.close();  // closing twice is a no-op
}
