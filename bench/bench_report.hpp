// The report of a benchmark: numbers formatted alike, one row per peer with its best and
// median, the summary line with the ratios and targets, the load average the run had to
// share the machine with, and the measurements that failed.
#pragma once

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "bench_clock.hpp"
#include "bench_python.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {

// "12.3": three significant digits or so, whatever the magnitude.
inline std::string fmt(double v) {
    char buf[32];
    if (v < 10)
        std::snprintf(buf, sizeof buf, "%.2f", v);
    else if (v < 1000)
        std::snprintf(buf, sizeof buf, "%.1f", v);
    else
        std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

// A target as the issue states it: "1.5", "10".
inline std::string fmt_target(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// One peer's line in the table and its value in the summary line.
struct Row {
    std::string label;  // what exactly was measured
    std::string key;    // its short name in the summary line
    Samples samples;
    std::string missing;  // why there is no value ("skipped: ...", "failed: ..."), if none
    bool higher_is_better = false;  // a rate (messages/s) rather than a time

    bool has_value() const { return missing.empty() && !samples.empty(); }
    // The best repetition: the shortest time, or the highest rate.
    double best() const { return higher_is_better ? samples.highest() : samples.best(); }
    std::string value(const char *unit) const {
        if (!has_value()) return missing.empty() ? "n/a" : missing;
        return fmt(best()) + " " + unit;
    }
};

inline void print_row(const Row &r, const char *unit, int width = 66) {
    if (r.has_value()) {
        std::printf("  %-*s %8s %s  [median %s, %zu reps]\n", width, r.label.c_str(),
                    fmt(r.best()).c_str(), unit, fmt(r.samples.median()).c_str(),
                    r.samples.values.size());
    } else {
        std::printf("  %-*s %s\n", width, r.label.c_str(), r.value(unit).c_str());
    }
}

inline std::string summary(const std::vector<const Row *> &rows, const char *unit) {
    std::string s;
    for (const Row *r : rows) {
        if (!s.empty()) s += " | ";
        s += r->key + " " + r->value(unit);
    }
    return s;
}

inline Row python_row(std::string label, std::string key, const PythonResult &p) {
    Row r{std::move(label), std::move(key), p.samples, ""};
    if (p.status == PythonResult::Status::missing)
        r.missing = "skipped (" + p.why + ")";
    else if (p.status == PythonResult::Status::failed)
        r.missing = "failed (" + p.why + ")";
    return r;
}

inline std::string ratio_line(const Row &num, const Row &den) {
    if (!num.has_value() || !den.has_value()) return num.key + "/" + den.key + " = n/a";
    return num.key + "/" + den.key + " = " + fmt(num.best() / den.best()) + "x";
}

// The ratio against its target, `op` ">=" or "<=": "mproc/boost = 4.2x (target >= 3x: met)".
inline std::string ratio_verdict(const Row &num, const Row &den, const char *op, double target) {
    const std::string head = ratio_line(num, den);
    if (!num.has_value() || !den.has_value()) return head;
    const double ratio = num.best() / den.best();
    const bool met = std::strcmp(op, ">=") == 0 ? ratio >= target : ratio <= target;
    return head + " (target " + op + " " + fmt_target(target) + "x: " + (met ? "met" : "MISSED") +
           ")";
}

// The 1-minute load average, or "?". Printed at the start and the end: on a small machine any
// other runnable process distorts every number here (spins most of all), and the reader
// should know whether the run had the machine to itself.
inline std::string load_average() {
    std::FILE *f = std::fopen("/proc/loadavg", "r");
    if (f == nullptr) return "?";
    double one = 0;
    const bool ok = std::fscanf(f, "%lf", &one) == 1;
    std::fclose(f);
    return ok ? fmt(one) : "?";
}

// The measurements that failed, each a line of text; bench_main lists them at the end of the
// run, and any of them makes the program's exit status 1.
inline std::vector<std::string> g_failures;

// A failed C ABI call: "mproc_process_start: MPROC_ESYSTEM (fork: ...)".
inline std::string api_error(const char *function, int rc) {
    std::string s = std::string(function) + ": " + mproc_errname(rc);
    const char *msg = mproc_last_error();
    if (msg != nullptr && *msg != '\0') s += std::string(" (") + msg + ")";
    return s;
}

}  // namespace mproc_bench
