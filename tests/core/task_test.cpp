// Task (core::task::Task): the signature grammar, argument kinds and ranges, calls of every
// code through libffi (functions of libmproc_test_tasks.so, libm's cos, libc in the running
// program), missing libraries and symbols, function-pointer tasks, exit codes, and the
// encoding, including every truncation and random corruption of it.
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "task/task.hpp"
#include "test_support.hpp"

using namespace mproc_core_test;
using mproc::core::kInvalid;
using mproc::core::kNotFound;
using mproc::core::kOk;
using mproc::core::kTooBig;
using mproc::core::task::exit_code_of;
using mproc::core::task::Result;
using mproc::core::task::Task;

#ifndef MPROC_TEST_TASKS_LIB
#error "MPROC_TEST_TASKS_LIB: the path of libmproc_test_tasks.so, set by tests/core/CMakeLists.txt"
#endif

namespace {

const std::string kLib = MPROC_TEST_TASKS_LIB;

Task fixture(const char *symbol, const char *signature) {
    return Task::reference(kLib, symbol, signature);
}

// ---- Grammar ----------------------------------------------------------------------------

struct SignatureCase {
    const char *text;
    std::size_t length;  // to hold an embedded NUL; 0 = strlen
    Status want;
};

std::string text_of(const SignatureCase &c) {
    return std::string(c.text, c.length != 0 ? c.length : std::strlen(c.text));
}

TEST(Task, SignatureGrammarTable) {
    const SignatureCase cases[] = {
        // Accepted: every result code, every argument code, none, sixteen.
        {"v()", 0, kOk},
        {"b()", 0, kOk},
        {"B()", 0, kOk},
        {"h()", 0, kOk},
        {"H()", 0, kOk},
        {"i()", 0, kOk},
        {"I()", 0, kOk},
        {"l()", 0, kOk},
        {"L()", 0, kOk},
        {"q()", 0, kOk},
        {"Q()", 0, kOk},
        {"n()", 0, kOk},
        {"N()", 0, kOk},
        {"f()", 0, kOk},
        {"d()", 0, kOk},
        {"s()", 0, kOk},
        {"y()", 0, kOk},
        {"S()", 0, kOk},
        {"Y()", 0, kOk},
        {"d(di)", 0, kOk},
        {"v(bBhHiIlLqQnNfdsy)", 0, kOk},  // 16
        {"i(iiiiiiiiiiiiiiii)", 0, kOk},  // 16
        {"Y(yyyyyyyyyyyyyyyy)", 0, kOk},  // 16 bytes = 32 C parameters
        // Rejected.
        {"", 0, kInvalid},
        {"i", 0, kInvalid},
        {"(i)", 0, kInvalid},
        {"()", 0, kInvalid},
        {"i(", 0, kInvalid},
        {"i(i", 0, kInvalid},
        {"i)(", 0, kInvalid},
        {"i)", 0, kInvalid},
        {"x()", 0, kInvalid},
        {"p()", 0, kInvalid},
        {"c()", 0, kInvalid},
        {"i(v)", 0, kInvalid},
        {"i(S)", 0, kInvalid},
        {"i(Y)", 0, kInvalid},
        {"i(p)", 0, kInvalid},  // a function task's signature, not a reference's
        {"i(i) ", 0, kInvalid},
        {" i()", 0, kInvalid},
        {"i( i)", 0, kInvalid},
        {"i(i)x", 0, kInvalid},
        {"i()()", 0, kInvalid},
        {"i((i))", 0, kInvalid},
        {"ii()", 0, kInvalid},
        {"i(i,i)", 0, kInvalid},
        {"i(\0)", 4, kInvalid},
        {"i()\0", 4, kInvalid},
        {"\xff()", 0, kInvalid},
        {"i(iiiiiiiiiiiiiiiii)", 0, kTooBig},  // 17
        {"v(bBhHiIlLqQnNfdsyy)", 0, kTooBig},  // 17
    };
    for (const SignatureCase &c : cases) {
        const std::string text = text_of(c);
        std::string message;
        EXPECT_EQ(status_of([&] { Task::reference("libm.so.6", "cos", text); }, &message), c.want)
            << "signature \"" << text << "\": " << message;
        if (c.want != kOk) {
            EXPECT_NE(message.find("task 'libm.so.6:cos'"), std::string::npos) << message;
        }
    }
}

TEST(Task, ReferenceKeepsWhatItWasGiven) {
    Task t = Task::reference("libm.so.6", "cos", "d(d)");
    EXPECT_FALSE(t.is_function());
    EXPECT_EQ(t.signature(), "d(d)");
    EXPECT_EQ(t.name(), "libm.so.6:cos");
    EXPECT_EQ(t.library(), "libm.so.6");
    EXPECT_EQ(t.symbol(), "cos");
    EXPECT_EQ(t.arity(), 1u);
    EXPECT_EQ(t.args_given(), 0u);
    EXPECT_FALSE(t.complete());
    EXPECT_EQ(Task::reference("", "abs", "i(i)").name(), "abs");
}

TEST(Task, NamesAreChecked) {
    EXPECT_EQ(status_of([] { Task::reference("libm.so.6", "", "d(d)"); }), kInvalid);
    EXPECT_EQ(status_of([] { Task::reference(std::string("libm\0x", 6), "cos", "d(d)"); }),
              kInvalid);
    EXPECT_EQ(status_of([] { Task::reference("libm.so.6", std::string("c\0s", 3), "d(d)"); }),
              kInvalid);
    EXPECT_EQ(status_of([] { Task::reference(std::string(4096, 'a'), "cos", "d(d)"); }), kOk);
    EXPECT_EQ(status_of([] { Task::reference("", std::string(4096, 'a'), "d(d)"); }), kOk);
    EXPECT_EQ(status_of([] { Task::reference(std::string(4097, 'a'), "cos", "d(d)"); }), kTooBig);
    EXPECT_EQ(status_of([] { Task::reference("", std::string(4097, 'a'), "d(d)"); }), kTooBig);
    EXPECT_EQ(status_of([] { Task::function(nullptr, nullptr); }), kInvalid);
}

// ---- Arguments --------------------------------------------------------------------------

TEST(Task, ArgumentKindMustMatchTheSignature) {
    Task t = fixture("all16", "d(bBhHiIlLqQnNfdsy)");
    std::string message;
    // 'b' takes add_int only.
    EXPECT_EQ(status_of([&] { t.add_uint(1); }, &message), kInvalid);
    EXPECT_NE(message.find("argument 1"), std::string::npos) << message;
    EXPECT_NE(message.find("task '" + kLib + ":all16'"), std::string::npos) << message;
    EXPECT_EQ(status_of([&] { t.add_double(1); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_string("x"); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_bytes("x", 1); }), kInvalid);
    EXPECT_EQ(t.args_given(), 0u);
    t.add_int(1);
    // 'B' takes add_uint only.
    EXPECT_EQ(status_of([&] { t.add_int(1); }), kInvalid);
    t.add_uint(2);
    t.add_int(3);                                                  // h
    t.add_uint(4);                                                 // H
    t.add_int(5);                                                  // i
    t.add_uint(6);                                                 // I
    t.add_int(7);                                                  // l
    t.add_uint(8);                                                 // L
    t.add_int(9);                                                  // q
    t.add_uint(10);                                                // Q
    t.add_int(11);                                                 // n
    t.add_uint(12);                                                // N
    EXPECT_EQ(status_of([&] { t.add_int(13); }), kInvalid);        // f
    t.add_double(13.5);                                            // f
    t.add_double(14.25);                                           // d
    EXPECT_EQ(status_of([&] { t.add_bytes("x", 1); }), kInvalid);  // s
    t.add_string("abc");                                           // s
    EXPECT_EQ(status_of([&] { t.add_string("x"); }), kInvalid);    // y
    EXPECT_FALSE(t.complete());
    const unsigned char bytes[] = {1, 2, 3};
    t.add_bytes(bytes, sizeof bytes);  // y
    EXPECT_TRUE(t.complete());
    // One too many, of every kind.
    EXPECT_EQ(status_of([&] { t.add_int(1); }, &message), kInvalid);
    EXPECT_NE(message.find("all given"), std::string::npos) << message;
    EXPECT_EQ(status_of([&] { t.add_uint(1); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_double(1); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_string(""); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_bytes(nullptr, 0); }), kInvalid);
    const Result r = t.call();
    EXPECT_EQ(r.type, 'd');
    EXPECT_DOUBLE_EQ(r.d, 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13.5 + 14.25 + 3 + 6);
}

TEST(Task, StringAndBytesArgumentsAreChecked) {
    Task s = fixture("len_of", "N(s)");
    EXPECT_EQ(status_of([&] { s.add_string(std::string("a\0b", 3)); }), kInvalid);
    Task y = fixture("reverse", "y(y)");
    EXPECT_EQ(status_of([&] { y.add_bytes(nullptr, 1); }), kInvalid);
    EXPECT_EQ(y.args_given(), 0u);
    y.add_bytes(nullptr, 0);
    EXPECT_TRUE(y.complete());
}

TEST(Task, FunctionTaskTakesNoArguments) {
    Task t = Task::function([](void *) { return 0; }, nullptr);
    EXPECT_EQ(status_of([&] { t.add_int(1); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_uint(1); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_double(1); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_string("x"); }), kInvalid);
    EXPECT_EQ(status_of([&] { t.add_bytes("x", 1); }), kInvalid);
    EXPECT_TRUE(t.complete());
}

struct IntRange {
    char code;
    long long min;
    unsigned long long max;
};

TEST(Task, IntegerRangesAreTheCTypes) {
    const IntRange ranges[] = {
        {'b', SCHAR_MIN, SCHAR_MAX},
        {'B', 0, UCHAR_MAX},
        {'h', SHRT_MIN, SHRT_MAX},
        {'H', 0, USHRT_MAX},
        {'i', INT_MIN, INT_MAX},
        {'I', 0, UINT_MAX},
        {'l', LONG_MIN, LONG_MAX},
        {'L', 0, ULONG_MAX},
        {'q', LLONG_MIN, LLONG_MAX},
        {'Q', 0, ULLONG_MAX},
        {'n', std::numeric_limits<ssize_t>::min(), std::numeric_limits<ssize_t>::max()},
        {'N', 0, SIZE_MAX},
    };
    for (const IntRange &r : ranges) {
        const std::string sig = std::string("v(") + r.code + ")";
        const bool is_signed = r.min < 0;
        Task t = Task::reference("", "abs", sig);
        const auto add = [&](long long v) {
            return status_of([&] {
                t.clear_args();
                t.add_int(v);
            });
        };
        const auto add_u = [&](unsigned long long v) {
            return status_of([&] {
                t.clear_args();
                t.add_uint(v);
            });
        };
        SCOPED_TRACE(sig);
        if (is_signed) {
            EXPECT_EQ(add(r.min), kOk);
            EXPECT_EQ(add(static_cast<long long>(r.max)), kOk);
            EXPECT_EQ(add(0), kOk);
            if (r.min != LLONG_MIN) {
                EXPECT_EQ(add(r.min - 1), kTooBig);
                EXPECT_EQ(add(static_cast<long long>(r.max) + 1), kTooBig);
            }
            EXPECT_EQ(add_u(0), kInvalid);
        } else {
            EXPECT_EQ(add_u(0), kOk);
            EXPECT_EQ(add_u(r.max), kOk);
            if (r.max != ULLONG_MAX) {
                EXPECT_EQ(add_u(r.max + 1), kTooBig);
            }
            EXPECT_EQ(add(0), kInvalid);
        }
    }
    Task b = Task::reference("", "abs", "v(b)");
    std::string message;
    EXPECT_EQ(status_of([&] { b.add_int(300); }, &message), kTooBig);
    EXPECT_NE(message.find("300"), std::string::npos) << message;
    EXPECT_EQ(b.args_given(), 0u);
}

TEST(Task, FloatRangeIsChecked) {
    Task f = Task::reference("", "abs", "v(f)");
    EXPECT_EQ(status_of([&] { f.add_double(1e39); }), kTooBig);
    EXPECT_EQ(status_of([&] { f.add_double(-1e39); }), kTooBig);
    EXPECT_EQ(status_of([&] { f.add_double(FLT_MAX); }), kOk);
    f.clear_args();
    EXPECT_EQ(status_of([&] { f.add_double(INFINITY); }), kOk);
    f.clear_args();
    EXPECT_EQ(status_of([&] { f.add_double(NAN); }), kOk);
    Task d = Task::reference("", "abs", "v(d)");
    EXPECT_EQ(status_of([&] { d.add_double(1e300); }), kOk);
}

TEST(Task, ClearArgsStartsOver) {
    Task t = fixture("add", "i(ii)");
    t.add_int(1);
    t.add_int(2);
    EXPECT_TRUE(t.complete());
    t.clear_args();
    EXPECT_FALSE(t.complete());
    EXPECT_EQ(t.args_given(), 0u);
    t.add_int(40);
    t.add_int(2);
    EXPECT_EQ(t.call().i, 42);
}

// ---- Calls ------------------------------------------------------------------------------

TEST(Task, CallsCosInLibm) {
    Task t = Task::reference("libm.so.6", "cos", "d(d)");
    t.check();
    t.add_double(0.5);
    const Result r = t.call();
    EXPECT_EQ(r.type, 'd');
    EXPECT_DOUBLE_EQ(r.d, std::cos(0.5));
    EXPECT_EQ(exit_code_of(r), 0);
}

TEST(Task, CallsTheRunningProgram) {
    // Library "": dlopen(NULL), which sees libc.
    Task t = Task::reference("", "abs", "i(i)");
    t.check();
    t.add_int(-17);
    EXPECT_EQ(t.call().i, 17);
}

TEST(Task, CallsEverySignedIntegerCode) {
    struct Case {
        const char *symbol, *signature;
        long long arg, want;
    };
    const Case cases[] = {
        {"sb_neg", "b(b)", 100, -100},
        {"sb_neg", "b(b)", -128, -128},  // -(-128) wraps in signed char
        {"sh_twice", "h(h)", -1234, -2468},
        {"l_neg", "l(l)", LONG_MAX, -LONG_MAX},
        {"neg", "q(q)", -(1LL << 40), 1LL << 40},
        {"ssz_dec", "n(n)", 0, -1},
    };
    for (const Case &c : cases) {
        Task t = fixture(c.symbol, c.signature);
        t.add_int(c.arg);
        const Result r = t.call();
        EXPECT_EQ(r.type, c.signature[0]) << c.symbol;
        EXPECT_EQ(r.i, c.want) << c.symbol << "(" << c.arg << ")";
        EXPECT_EQ(r.u, 0u) << c.symbol;
    }
    Task a = fixture("add", "i(ii)");
    a.add_int(INT_MAX);
    a.add_int(INT_MIN);
    EXPECT_EQ(a.call().i, -1);
}

TEST(Task, CallsEveryUnsignedIntegerCode) {
    struct Case {
        const char *symbol, *signature;
        unsigned long long arg, want;
    };
    const Case cases[] = {
        {"ub", "B(B)", 41, 42},
        {"ub", "B(B)", 255, 0},
        {"uh_twice", "H(H)", 40000, 14464},  // 80000 mod 65536
        {"ui_not", "I(I)", 0, 4294967295u},
        {"ul_half", "L(L)", ULONG_MAX, ULONG_MAX / 2},
        {"len_of", "N(s)", 0, 0},
    };
    for (const Case &c : cases) {
        Task t = fixture(c.symbol, c.signature);
        if (c.signature[2] == 's') {
            t.add_string("");
        } else {
            t.add_uint(c.arg);
        }
        const Result r = t.call();
        EXPECT_EQ(r.type, c.signature[0]) << c.symbol;
        EXPECT_EQ(r.u, c.want) << c.symbol << "(" << c.arg << ")";
        EXPECT_EQ(r.i, 0) << c.symbol;
    }
    EXPECT_EQ(fixture("ull_max", "Q()").call().u, ULLONG_MAX);
    Task len = fixture("len_of", "N(s)");
    len.add_string("hello");
    EXPECT_EQ(len.call().u, 5u);
}

TEST(Task, NarrowResultsKeepSignAndWidth) {
    EXPECT_EQ(fixture("minus_one_b", "b()").call().i, -1);
    EXPECT_EQ(fixture("minus_one_h", "h()").call().i, -1);
    EXPECT_EQ(fixture("max_B", "B()").call().u, 255u);
    EXPECT_EQ(fixture("max_H", "H()").call().u, 65535u);
}

TEST(Task, CallsFloatAndDouble) {
    Task scale = fixture("scale", "d(di)");
    scale.add_double(1.5);
    scale.add_int(-4);
    EXPECT_DOUBLE_EQ(scale.call().d, -6.0);

    // Passed as a double, halve() would read garbage; returned as a double, too.
    Task halve = fixture("halve", "f(f)");
    halve.add_double(3.0);
    const Result h = halve.call();
    EXPECT_EQ(h.type, 'f');
    EXPECT_EQ(h.d, 1.5);

    Task mix = fixture("mix", "d(fidf)");
    mix.add_double(0.25);
    mix.add_int(2);
    mix.add_double(1e10);
    mix.add_double(-0.5);
    EXPECT_DOUBLE_EQ(mix.call().d, 0.25 + 2 + 1e10 - 0.5);
}

TEST(Task, CallsStringResults) {
    Task greet = fixture("greet", "s(s)");
    greet.add_string("world");
    Result r = greet.call();
    EXPECT_EQ(r.type, 's');
    EXPECT_EQ(r.bytes, "hello, world");
    EXPECT_FALSE(r.null);

    Task fresh = fixture("greet_new", "S(s)");  // malloc'ed: freed by the call (ASan checks)
    fresh.add_string("there");
    r = fresh.call();
    EXPECT_EQ(r.type, 'S');
    EXPECT_EQ(r.bytes, "hi there");

    r = fixture("null_string", "s()").call();
    EXPECT_TRUE(r.null);
    EXPECT_EQ(r.bytes, "");
}

TEST(Task, CallsBytesArgumentsAndResults) {
    const std::string data("\x01\x00\x02\xff", 4);
    Task rev = fixture("reverse", "y(y)");
    rev.add_bytes(data.data(), data.size());
    Result r = rev.call();
    EXPECT_EQ(r.type, 'y');
    EXPECT_EQ(r.bytes, std::string("\xff\x02\x00\x01", 4));

    Task echo = fixture("echo_new", "Y(y)");
    echo.add_bytes(data.data(), data.size());
    r = echo.call();
    EXPECT_EQ(r.type, 'Y');
    EXPECT_EQ(r.bytes, data + "\xff");

    Task empty = fixture("echo_new", "Y(y)");
    empty.add_bytes(nullptr, 0);
    EXPECT_EQ(empty.call().bytes, "\xff");

    // A 'y' argument between others: its two C parameters must land in the middle.
    Task sum = fixture("bytes_sum", "q(iyi)");
    sum.add_int(7);
    sum.add_bytes(data.data(), data.size());
    sum.add_int(9);
    EXPECT_EQ(sum.call().i, 7 * 1000000LL + 9 + (1 + 0 + 2 + 255) + 4 * 1000);

    r = fixture("null_bytes", "y()").call();
    EXPECT_TRUE(r.null);
    EXPECT_EQ(r.bytes, "");
    EXPECT_EQ(status_of([] { fixture("broken_bytes", "y()").call(); }), kInvalid);
    EXPECT_EQ(status_of([] { fixture("broken_bytes", "Y()").call(); }), kInvalid);
}

TEST(Task, CallsVoidFunctions) {
    const long long before = fixture("counter_value", "i()").call().i;
    Task bump = fixture("bump", "v(i)");
    bump.add_int(5);
    const Result r = bump.call();
    EXPECT_EQ(r.type, 'v');
    EXPECT_EQ(exit_code_of(r), 0);
    bump.call();
    EXPECT_EQ(fixture("counter_value", "i()").call().i, before + 10);
}

TEST(Task, MissingLibraryOrSymbolIsNotFound) {
    std::string message;
    Task nolib = Task::reference("/nonexistent/libnothing.so", "f", "v()");
    EXPECT_EQ(status_of([&] { nolib.check(); }, &message), kNotFound);
    EXPECT_NE(message.find("task '/nonexistent/libnothing.so:f'"), std::string::npos) << message;
    EXPECT_NE(message.find("libnothing.so"), std::string::npos) << message;
    EXPECT_EQ(status_of([&] { nolib.call(); }), kNotFound);

    Task nosym = Task::reference("libm.so.6", "no_such_function_here", "v()");
    EXPECT_EQ(status_of([&] { nosym.check(); }, &message), kNotFound);
    EXPECT_NE(message.find("no_such_function_here"), std::string::npos) << message;
    EXPECT_EQ(status_of([&] { nosym.call(); }), kNotFound);
    EXPECT_EQ(status_of([] { Task::reference("", "no_such_function_here", "v()").check(); }),
              kNotFound);
    // Hidden in the fixture: not exported.
    EXPECT_EQ(status_of([] { fixture("counter", "i()").check(); }), kNotFound);
}

TEST(Task, IncompleteCallIsInvalid) {
    Task t = fixture("add", "i(ii)");
    EXPECT_EQ(status_of([&] { t.call(); }), kInvalid);
    t.add_int(1);
    std::string message;
    EXPECT_EQ(status_of([&] { t.call(); }, &message), kInvalid);
    EXPECT_NE(message.find("1 of the 2"), std::string::npos) << message;
}

TEST(Task, ManyThreadsCallOneTask) {
    Task t = fixture("scale", "d(di)");
    t.add_double(2.5);
    t.add_int(4);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < 8; ++k) {
        threads.emplace_back([&] {
            for (int n = 0; n < 500; ++n) {
                if (t.call().d != 10.0) wrong.fetch_add(1);
            }
        });
    }
    for (std::thread &th : threads)
        th.join();
    EXPECT_EQ(wrong.load(), 0);
}

// ---- Function tasks and exit codes -------------------------------------------------------

int times_two(void *arg) {
    return *static_cast<int *>(arg) * 2;
}

TEST(Task, FunctionTaskCallsItsFunction) {
    int value = 21;
    Task t = Task::function(times_two, &value);
    EXPECT_TRUE(t.is_function());
    EXPECT_EQ(t.signature(), "i(p)");
    t.check();
    const Result r = t.call();
    EXPECT_EQ(r.type, 'i');
    EXPECT_EQ(r.i, 42);
    EXPECT_EQ(exit_code_of(r), 42);
}

TEST(Task, ExitCodeOfResults) {
    Result r;
    EXPECT_EQ(exit_code_of(r), 0);  // 'v'
    r.type = 'i';
    r.i = 3;
    EXPECT_EQ(exit_code_of(r), 3);
    r.i = 256 + 7;
    EXPECT_EQ(exit_code_of(r), 7);
    r.i = -1;
    EXPECT_EQ(exit_code_of(r), 255);
    r.type = 'Q';
    r.i = 0;
    r.u = 0x1ff;
    EXPECT_EQ(exit_code_of(r), 0xff);
    r.type = 'd';
    r.d = 5;
    EXPECT_EQ(exit_code_of(r), 0);
    r.type = 's';
    r.bytes = "x";
    EXPECT_EQ(exit_code_of(r), 0);
}

// ---- Encoding -----------------------------------------------------------------------------

Task every_kind() {
    Task t = fixture("all16", "d(bBhHiIlLqQnNfdsy)");
    t.add_int(-128);
    t.add_uint(255);
    t.add_int(-32768);
    t.add_uint(65535);
    t.add_int(INT_MIN);
    t.add_uint(UINT_MAX);
    t.add_int(LONG_MIN);
    t.add_uint(ULONG_MAX);
    t.add_int(LLONG_MIN);
    t.add_uint(ULLONG_MAX);
    t.add_int(-5);
    t.add_uint(5);
    t.add_double(0.5);
    t.add_double(-1e300);
    t.add_string("string");
    t.add_bytes("\0\1\2", 3);
    return t;
}

TEST(Task, RepeatedDecodesKeepTheirOwnArguments) {
    // Decoding reuses recent references (a per-thread cache): the arguments must not.
    for (int round = 0; round < 3; ++round) {
        for (int i = -20; i < 20; ++i) {
            Task t = Task::reference("", "abs", "i(i)");
            t.add_int(i);
            const Task back = Task::decode(t.encode());
            EXPECT_EQ(back.args_given(), 1u);
            EXPECT_EQ(back.call().i, i < 0 ? -i : i);
        }
        // More distinct references than the cache holds push the first ones out.
        const char *const kinds[][2] = {{"abs", "i(i)"},  {"labs", "l(l)"},  {"labs", "n(n)"},
                                        {"labs", "q(q)"}, {"llabs", "q(q)"}, {"llabs", "l(l)"},
                                        {"llabs", "n(n)"}};
        int n = 0;
        for (const char *library : {"", "libc.so.6"}) {
            for (const auto &kind : kinds) {
                Task t = Task::reference(library, kind[0], kind[1]);
                t.add_int(-++n);
                EXPECT_EQ(Task::decode(t.encode()).call().i, n) << kind[0] << " " << kind[1];
            }
        }
        Task missing = Task::reference("", "no_such_symbol_here", "i(i)");
        missing.add_int(1);
        const Task missing_back = Task::decode(missing.encode());
        EXPECT_THROW(missing_back.call(), Error);
        EXPECT_THROW(missing_back.call(), Error);  // still missing: a failure is not cached
    }
}

TEST(Task, EncodeDecodeRoundTrip) {
    const Task original = every_kind();
    const std::string bytes = original.encode();
    const Task copy = Task::decode(bytes);
    EXPECT_EQ(copy.encode(), bytes);
    EXPECT_EQ(copy.name(), original.name());
    EXPECT_EQ(copy.signature(), original.signature());
    EXPECT_TRUE(copy.complete());
    EXPECT_EQ(copy.call().d, original.call().d);

    // Incomplete, and with no arguments at all, and in the running program.
    Task partial = fixture("scale", "d(di)");
    partial.add_double(2);
    Task back = Task::decode(partial.encode());
    EXPECT_EQ(back.args_given(), 1u);
    back.add_int(3);
    EXPECT_EQ(back.call().d, 6.0);
    EXPECT_EQ(Task::decode(Task::reference("", "abs", "i(i)").encode()).name(), "abs");

    int value = 4;
    const Task fn = Task::function(times_two, &value);
    const Task fn_back = Task::decode(fn.encode());
    EXPECT_TRUE(fn_back.is_function());
    EXPECT_EQ(fn_back.call().i, 8);
}

TEST(Task, DecodedTaskRunsInAForkChild) {
    Task t = fixture("add", "i(ii)");
    t.add_int(30);
    t.add_int(12);
    const std::string bytes = t.encode();
    ChildReaper reaper;
    const pid_t pid =
        reaper.add(run_in_child([&] { return exit_code_of(Task::decode(bytes).call()); }));
    EXPECT_EQ(wait_child(pid), 42);
}

TEST(Task, DecodeRejectsEveryTruncation) {
    const std::string reference = every_kind().encode();
    int value = 0;
    const std::string function = Task::function(times_two, &value).encode();
    for (const std::string *bytes : {&reference, &function}) {
        for (std::size_t n = 0; n < bytes->size(); ++n) {
            std::string message;
            EXPECT_EQ(
                status_of([&] { Task::decode(std::string_view(bytes->data(), n)); }, &message),
                kInvalid)
                << "prefix of " << n << " bytes";
        }
        // And one byte too many.
        EXPECT_EQ(status_of([&] { Task::decode(*bytes + "x"); }), kInvalid);
    }
}

TEST(Task, DecodeRejectsGarbage) {
    EXPECT_EQ(status_of([] { Task::decode(""); }), kInvalid);
    EXPECT_EQ(status_of([] { Task::decode("MPTK"); }), kInvalid);
    EXPECT_EQ(status_of([] { Task::decode(std::string("MPTK\x02\x01", 6)); }), kInvalid);
    EXPECT_EQ(status_of([] { Task::decode(std::string("MPTK\x01\x07", 6)); }), kInvalid);
    // A function task with a NULL function pointer.
    EXPECT_EQ(
        status_of([] { Task::decode(std::string("MPTK\x01\x00", 6) + std::string(16, '\0')); }),
        kInvalid);
    // Lengths far past the end.
    EXPECT_EQ(
        status_of([] { Task::decode(std::string("MPTK\x01\x01", 6) + std::string(8, '\xff')); }),
        kInvalid);
    std::mt19937 rng(12345);
    for (int n = 0; n < 2000; ++n) {
        std::string junk(rng() % 64, '\0');
        for (char &c : junk)
            c = static_cast<char>(rng());
        if (n % 2 == 0 && junk.size() >= 6) junk.replace(0, 6, std::string("MPTK\x01\x01", 6));
        const Status s = status_of([&] { Task::decode(junk); });
        EXPECT_TRUE(s == kInvalid || s == kOk) << "status " << s;
    }
}

TEST(Task, DecodeSurvivesRandomCorruption) {
    const std::string reference = every_kind().encode();
    std::mt19937 rng(2024);
    int decoded = 0;
    for (int n = 0; n < 20000; ++n) {
        std::string bytes = reference;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
        }
        std::string message;
        try {
            const Task t = Task::decode(bytes);
            // Whatever decoded is a whole, valid task that encodes to what it read.
            EXPECT_EQ(t.encode(), bytes);
            ++decoded;
        } catch (const Error &e) {
            EXPECT_EQ(e.status(), kInvalid) << e.what();
        }
    }
    // Flips in argument values (and a few in names) still decode: the loop saw both.
    EXPECT_GT(decoded, 0);
    EXPECT_LT(decoded, 20000);
}

}  // namespace
