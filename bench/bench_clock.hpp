// Timing for the benchmarks: a clock that costs no system call, and the summary of repeated
// samples.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mproc_bench {

// CLOCK_MONOTONIC is served by the vDSO, so reading it makes no system call and does not
// disturb the syscall-free paths being timed.
inline int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The per-repetition results of one measurement. On a small shared machine other work only
// ever adds time, so the best repetition is the closest to the intrinsic cost and is what the
// ratios use; the median is printed next to it to show how much interference there was.
struct Samples {
    std::vector<double> values;

    bool empty() const { return values.empty(); }
    void add(double v) { values.push_back(v); }
    double best() const { return *std::min_element(values.begin(), values.end()); }
    // For rates, where other work only ever lowers the value.
    double highest() const { return *std::max_element(values.begin(), values.end()); }
    double median() const {
        std::vector<double> v = values;
        std::sort(v.begin(), v.end());
        const size_t n = v.size();
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
};

}  // namespace mproc_bench
