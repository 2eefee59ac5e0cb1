// The invariants every C call must keep whatever the shared memory holds: a status the
// header defines, a message after every failure. A violation aborts, so the driver (or
// libFuzzer) reports the input.
#pragma once

#include <bitset>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "mproc/mproc.h"

namespace mproc_fuzz {

[[noreturn]] inline void violation(const char *call, const char *what, long long detail) {
    std::fprintf(stderr, "fuzz invariant violated: %s: %s (%lld); last error: %s\n", call, what,
                 detail, mproc_last_error());
    std::abort();
}

// Outcomes seen so far, (call, status) hashed into a bitmap: the standalone driver keeps an
// input that produced a new one (a poor man's coverage feedback where libFuzzer is absent).
inline std::bitset<1 << 16> seen_outcomes;
inline std::uint64_t new_outcomes = 0;

inline void note_outcome(const char *call, int rc) {
    const std::size_t bit = (std::hash<const void *>()(call) * 31 + static_cast<unsigned>(rc)) &
                            (seen_outcomes.size() - 1);
    if (!seen_outcomes.test(bit)) {
        seen_outcomes.set(bit);
        ++new_outcomes;
    }
}

// Returns rc after checking it: MPROC_OK or one of the defined error codes, and a failure
// leaves a message.
inline int check(const char *call, int rc) {
    note_outcome(call, rc);
    if (rc > 0 || rc < MPROC_ECORRUPT) violation(call, "status out of range", rc);
    if (rc < 0 && mproc_last_error()[0] == '\0') violation(call, "failure without a message", rc);
    return rc;
}

inline void require(bool ok, const char *call, const char *what, long long detail = 0) {
    if (!ok) violation(call, what, detail);
}

}  // namespace mproc_fuzz

// Calls an mproc function and checks its status: MPROC_FUZZ_CALL(mproc_lock_release, h).
#define MPROC_FUZZ_CALL(fn, ...) ::mproc_fuzz::check(#fn, fn(__VA_ARGS__))
