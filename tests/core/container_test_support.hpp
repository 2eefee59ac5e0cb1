// What the Dict and List tests share (and, for memory_of, the MirroredHeap and container
// fault tests): values whose bytes show a misplaced or torn copy, the size and memory
// figures of an object, and the check that close() wakes a call blocked on the same
// handle.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "container/mirrored_heap.hpp"
#include "error.hpp"
#include "test_support.hpp"

namespace mproc_core_test {

// `len` bytes that depend on `seed`, so that a value in the wrong place or a torn copy
// shows.
inline std::string pattern(std::size_t len, std::uint32_t seed) {
    std::string s(len, '\0');
    for (std::size_t i = 0; i < len; ++i)
        s[i] = static_cast<char>((seed * 131u + i * 7u + (seed >> 8)) & 0xffu);
    return s;
}

// The number of items of a dict or list; a status other than kOk fails the test.
template <class Container>
std::size_t size_of(Container &c) {
    std::size_t n = 12345;
    EXPECT_EQ(c.size(&n, after(10)), mproc::core::kOk);
    return n;
}

// The memory figures of a dict, a list or a MirroredHeap; a status other than kOk fails
// the test.
template <class Object>
mproc::core::container::HeapMemory memory_of(Object &object) {
    mproc::core::container::HeapMemory m;
    EXPECT_EQ(object.memory(after(10), &m), mproc::core::kOk);
    return m;
}

// With the lock held through `owner`, a thread blocks in call(waiter) (a call that waits
// up to 20 s, on another handle of the same object) until waiter.close(): the call must
// return kClosed, well before its timeout. The lock is released at the end.
template <class Container, class Call>
void expect_close_wakes_blocked_call(Container &owner, Container &waiter, Call call) {
    ASSERT_EQ(owner.acquire(after(0)), mproc::core::kOk);
    std::atomic<std::uint32_t> tid{0};
    std::atomic<int> result{1};
    std::thread t([&] {
        tid.store(current_tid());
        result.store(call(waiter));
    });
    ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
    wait_until_sleeping(tid.load());
    const auto start = std::chrono::steady_clock::now();
    waiter.close();
    t.join();  // bounded by the call's own timeout if close() fails to wake it
    EXPECT_EQ(result.load(), mproc::core::kClosed);
    EXPECT_LT(seconds_since(start), 5.0);
    EXPECT_EQ(owner.release(), mproc::core::kOk);
}

}  // namespace mproc_core_test
