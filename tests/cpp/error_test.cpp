// mproc::error and its subclasses: every C code maps to its class, exceptions carry the code
// and the library's message, and the common failures of every object kind throw the
// right class. Also the conversions of mproc::timeout.
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include <gtest/gtest.h>

#include "mproc/mproc.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mproc_test::scoped_name;

namespace {

// The class detail::throw_error picked for `code`, as its typeid.
const std::type_info &thrown_type(int code) {
    try {
        mproc::detail::throw_error(code, "test");
    } catch (const mproc::error &e) {
        return typeid(e);
    }
    return typeid(void);
}

}  // namespace

TEST(CppError, EveryCodeMapsToItsOwnClass) {
    EXPECT_EQ(thrown_type(MPROC_EINVAL), typeid(mproc::invalid_argument_error));
    EXPECT_EQ(thrown_type(MPROC_EBADHANDLE), typeid(mproc::bad_handle_error));
    EXPECT_EQ(thrown_type(MPROC_ETIMEDOUT), typeid(mproc::timeout_error));
    EXPECT_EQ(thrown_type(MPROC_EEMPTY), typeid(mproc::empty_error));
    EXPECT_EQ(thrown_type(MPROC_EFULL), typeid(mproc::full_error));
    EXPECT_EQ(thrown_type(MPROC_ECLOSED), typeid(mproc::closed_error));
    EXPECT_EQ(thrown_type(MPROC_EOWNERDEAD), typeid(mproc::owner_dead_error));
    EXPECT_EQ(thrown_type(MPROC_ENOTFOUND), typeid(mproc::not_found_error));
    EXPECT_EQ(thrown_type(MPROC_EEXIST), typeid(mproc::exists_error));
    EXPECT_EQ(thrown_type(MPROC_EKIND), typeid(mproc::kind_error));
    EXPECT_EQ(thrown_type(MPROC_EVERSION), typeid(mproc::version_error));
    EXPECT_EQ(thrown_type(MPROC_ETOOBIG), typeid(mproc::too_big_error));
    EXPECT_EQ(thrown_type(MPROC_ENOTOWNER), typeid(mproc::not_owner_error));
    EXPECT_EQ(thrown_type(MPROC_EOVERFLOW), typeid(mproc::overflow_error));
    EXPECT_EQ(thrown_type(MPROC_EBROKEN), typeid(mproc::broken_barrier_error));
    EXPECT_EQ(thrown_type(MPROC_ENOMEM), typeid(mproc::out_of_memory_error));
    EXPECT_EQ(thrown_type(MPROC_EPERM), typeid(mproc::permission_error));
    EXPECT_EQ(thrown_type(MPROC_ESYSTEM), typeid(mproc::system_error));
    EXPECT_EQ(thrown_type(MPROC_EEOF), typeid(mproc::eof_error));
    EXPECT_EQ(thrown_type(MPROC_EPIPE), typeid(mproc::broken_pipe_error));
    EXPECT_EQ(thrown_type(MPROC_EFAILED), typeid(mproc::failed_error));
    EXPECT_EQ(thrown_type(MPROC_ECANCELLED), typeid(mproc::cancelled_error));
    EXPECT_EQ(thrown_type(MPROC_ECORRUPT), typeid(mproc::corrupt_error));
    EXPECT_EQ(thrown_type(-1000), typeid(mproc::error)) << "an unknown code is a plain error";
}

TEST(CppError, ClassesDeriveFromErrorAndRuntimeError) {
    for (int code = MPROC_EINVAL; code >= MPROC_ESYSTEM; --code) {
        try {
            mproc::detail::throw_error(code, "message");
        } catch (const std::runtime_error &e) {
            const auto *as_error = dynamic_cast<const mproc::error *>(&e);
            ASSERT_NE(as_error, nullptr) << code;
            EXPECT_EQ(as_error->code(), code);
            EXPECT_STREQ(as_error->name(), mproc_errname(code));
            EXPECT_STREQ(e.what(), "message");
        }
    }
}

TEST(CppError, CheckPassesSuccessThrough) {
    EXPECT_EQ(mproc::detail::check(MPROC_OK), MPROC_OK);
    EXPECT_EQ(mproc::detail::check(7), 7);
    EXPECT_THROW(mproc::detail::check(MPROC_ETIMEDOUT), mproc::timeout_error);
}

TEST(CppError, ExceptionCarriesTheLibrarysMessage) {
    scoped_name<mproc::Lock> name("missing");
    try {
        (void)mproc::Lock::open(name);
        FAIL() << "open of a missing name did not throw";
    } catch (const mproc::not_found_error &e) {
        EXPECT_EQ(e.code(), MPROC_ENOTFOUND);
        EXPECT_STREQ(e.name(), "MPROC_ENOTFOUND");
        const std::string what = e.what();
        EXPECT_FALSE(what.empty());
        EXPECT_NE(what.find(name.str()), std::string::npos) << what;
    }
}

TEST(CppError, BadNamesThrowInvalidArgument) {
    EXPECT_THROW(mproc::Lock::create("a/b"), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Event::create(".."), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Semaphore::create(""), mproc::invalid_argument_error);
    EXPECT_THROW(mproc::Barrier::create(std::string(MPROC_NAME_MAX + 1, 'x'), 2),
                 mproc::invalid_argument_error);
    try {
        (void)mproc::RLock::create(std::string_view("ab\0cd", 5));
        FAIL() << "a name with a NUL inside was accepted";
    } catch (const mproc::invalid_argument_error &e) {
        EXPECT_EQ(e.code(), MPROC_EINVAL);
        EXPECT_NE(std::string(e.what()).find("NUL"), std::string::npos) << e.what();
    }
}

TEST(CppError, CreateOfATakenNameThrowsExists) {
    scoped_name<mproc::Event> name("taken");
    mproc::Event event = mproc::Event::create(name);
    try {
        (void)mproc::Event::create(name);
        FAIL() << "second create did not throw";
    } catch (const mproc::exists_error &e) {
        EXPECT_EQ(e.code(), MPROC_EEXIST);
    }
}

TEST(CppError, OpeningAnotherKindThrowsKindAndUnlinkRemovesNothing) {
    scoped_name<mproc::Event> name("kind");
    mproc::Event event = mproc::Event::create(name);
    EXPECT_THROW(mproc::Lock::open(name), mproc::kind_error);
    EXPECT_THROW(mproc::RLock::open(name), mproc::kind_error);
    EXPECT_THROW(mproc::Semaphore::open(name), mproc::kind_error);
    EXPECT_THROW(mproc::Condition::open(name), mproc::kind_error);
    EXPECT_THROW(mproc::Barrier::open(name), mproc::kind_error);
    EXPECT_THROW(mproc::Lock::create_or_open(name), mproc::kind_error);
    EXPECT_THROW(mproc::Lock::unlink(name), mproc::kind_error);
    EXPECT_NO_THROW(mproc::Event::open(name)) << "a refused unlink removes nothing";
}

TEST(CppError, UnlinkOfAMissingNameThrowsNotFound) {
    scoped_name<mproc::Barrier> name("never_created");
    EXPECT_THROW(mproc::Barrier::unlink(name), mproc::not_found_error);
}

TEST(CppError, MovedFromObjectsThrowBadHandle) {
    mproc::Semaphore sem = mproc::Semaphore::create();
    mproc::Semaphore taken = std::move(sem);
    try {
        sem.acquire(0s);  // NOLINT(bugprone-use-after-move): the point of the test
        FAIL() << "a moved-from semaphore worked";
    } catch (const mproc::bad_handle_error &e) {
        EXPECT_EQ(e.code(), MPROC_EBADHANDLE);
    }
    EXPECT_THROW(sem.value(), mproc::bad_handle_error);
    EXPECT_NO_THROW(taken.release());
}

TEST(CppError, NanTimeoutThrowsInvalidArgument) {
    mproc::Lock lock = mproc::Lock::create();
    const std::chrono::duration<double> nan(std::numeric_limits<double>::quiet_NaN());
    EXPECT_THROW(lock.acquire(nan), mproc::invalid_argument_error);
    mproc::Event event = mproc::Event::create();
    EXPECT_THROW(event.wait(nan), mproc::invalid_argument_error);
}

TEST(CppError, ErrorsCanBeCaughtAsOneFamily) {
    int caught = 0;
    try {
        (void)mproc::Condition::open("cpp.surely.not.there");
    } catch (const mproc::error &e) {
        caught = e.code();
    }
    EXPECT_EQ(caught, MPROC_ENOTFOUND);
}

TEST(CppTimeout, ConvertsDurationsToCSeconds) {
    EXPECT_EQ(mproc::timeout(mproc::forever).seconds(), -1.0);
    EXPECT_TRUE(mproc::timeout(mproc::forever).is_forever());
    EXPECT_DOUBLE_EQ(mproc::timeout(250ms).seconds(), 0.25);
    EXPECT_DOUBLE_EQ(mproc::timeout(std::chrono::microseconds(1500)).seconds(), 0.0015);
    EXPECT_DOUBLE_EQ(mproc::timeout(2min).seconds(), 120.0);
    EXPECT_EQ(mproc::timeout(0s).seconds(), 0.0);
    EXPECT_EQ(mproc::timeout(-3s).seconds(), 0.0) << "negative durations try once";
    EXPECT_TRUE(mproc::timeout(std::chrono::hours::max()).is_forever());
    EXPECT_TRUE(mproc::timeout(std::chrono::nanoseconds::max()).is_forever());
    EXPECT_TRUE(
        mproc::timeout(std::chrono::duration<double>(std::numeric_limits<double>::infinity()))
            .is_forever());
    EXPECT_TRUE(std::isnan(
        mproc::timeout(std::chrono::duration<double>(std::numeric_limits<double>::quiet_NaN()))
            .seconds()));
}

TEST(CppVersion, HeadersMatchTheLoadedLibrary) {
    EXPECT_STREQ(mproc::version(), MPROC_VERSION_STRING);
    EXPECT_EQ(mproc_version_number(), MPROC_VERSION_NUMBER);
}
