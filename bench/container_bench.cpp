// mproc_container_bench: mproc's shared Dict against the dict of Python's
// multiprocessing.Manager() (a server process that every call goes through) and against a
// native peer, measured side by side in one run:
//
//   A. 100,000 set + get pairs from 2 processes, 50,000 each: d[key] = value, then
//      d[key], on keys "k0".."k999" (pair i uses key i mod 1000) and 16-byte values
//      ("p0-v000000000042"), both processes on the same keys. Timed from the moment both
//      processes are ready (started, dict opened, keys built) and released together, to
//      the last one done. Rate: thousands of pairs per second. Peers:
//        - mproc: mproc_dict_set + mproc_dict_get through the C ABI (each call takes the
//          dict's lock and writes both crash-safe copies);
//        - Boost.Interprocess: a boost::unordered_map of shared-memory strings in a
//          managed_shared_memory segment, each call under one interprocess_mutex (no crash
//          safety: the fast native peer, a ratio without a target);
//        - python3: multiprocessing.Manager().dict(), the same work from 2 fork-context
//          processes. Target: mproc at least 50x Manager's rate.
//      Every repetition starts from a fresh, empty dict.
//   B. One process alone, uncontended: ns per mproc_dict_set (the keys already there) and
//      per mproc_dict_get, on the same keys and values.
//
// This is a measurement, not a test: targets are reported, not enforced; the exit status
// is non-zero only when a measurement failed or for a bad command line. `--quick` does
// 1/25 of the work (a CI smoke run of a few seconds).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <boost/interprocess/allocators/allocator.hpp>
#include <boost/interprocess/containers/string.hpp>
#include <boost/interprocess/managed_shared_memory.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <boost/unordered_map.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench_clock.hpp"
#include "bench_main.hpp"
#include "bench_process.hpp"
#include "bench_python.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {
namespace {

constexpr double kManagerTarget = 50.0;  // mproc / Manager().dict(), at least
constexpr double kTimeoutS = 30.0;       // of every mproc call: only a hang reaches it
constexpr std::size_t kValueLen = 16;

struct Config {
    long pairs = 100000;  // A: in all, half from each process
    int keys = 1000;
    int reps = 5;            // A, mproc and Boost: interleaved repetitions
    int py_reps = 2;         // A, Python: each takes seconds
    long solo_ops = 200000;  // B: sets, then as many gets, per repetition
    int solo_reps = 5;
    double run_deadline_s = 60.0;  // one pair of processes
    double python_deadline_s = 300.0;

    void make_quick() {
        pairs /= 25;
        reps = 2;
        py_reps = 1;
        solo_ops /= 25;
        solo_reps = 2;
        run_deadline_s = 20.0;
        python_deadline_s = 60.0;
    }
};

// The keys and one process's values; built before the clock runs, as Python's are.
struct Workload {
    std::vector<std::string> keys, values;

    Workload(int nkeys, int process) {
        char buf[32];
        for (int j = 0; j < nkeys; ++j) {
            keys.push_back("k" + std::to_string(j));
            std::snprintf(buf, sizeof buf, "p%d-v%012d", process, j);
            values.emplace_back(buf);
        }
    }
    const std::string &key(long i) const { return keys[static_cast<std::size_t>(i) % keys.size()]; }
    const std::string &value(long i) const {
        return values[static_cast<std::size_t>(i) % values.size()];
    }
};

// ---- A. Two processes ------------------------------------------------------------------

// Two forked processes that get ready, are released together and record when they are
// done: the parent's clock runs from the release to the later of the two ends. Both use
// CLOCK_MONOTONIC, which is one clock for every process.
class ProcessPair {
  public:
    // prepare(id) runs before the clock (open the object, build the keys); work(id) is
    // timed. Each returns 0 for success. Returns the seconds from release to the last end,
    // or -1 with `why` set.
    static double run(const std::function<int(int)> &prepare, const std::function<int(int)> &work,
                      double deadline_s, std::string &why) {
        auto *ends =
            static_cast<int64_t *>(mmap(nullptr, 2 * sizeof(int64_t), PROT_READ | PROT_WRITE,
                                        MAP_SHARED | MAP_ANONYMOUS, -1, 0));
        if (ends == MAP_FAILED) {
            why = "mmap failed";
            return -1;
        }
        int ready[2], gate[2];
        if (pipe(ready) != 0) {
            munmap(ends, 2 * sizeof(int64_t));
            why = "pipe failed";
            return -1;
        }
        if (pipe(gate) != 0) {
            close(ready[0]);
            close(ready[1]);
            munmap(ends, 2 * sizeof(int64_t));
            why = "pipe failed";
            return -1;
        }
        std::vector<Child> children(2);
        bool started = true;
        for (int id = 0; id < 2 && started; ++id) {
            started = start_child(
                children[static_cast<std::size_t>(id)],
                [&, id]() {
                    // Only the parent may hold the gate's write end: its close is the start.
                    close(gate[1]);
                    close(ready[0]);
                    if (prepare(id) != 0) return 1;
                    char c = 1;
                    if (write(ready[1], &c, 1) != 1) return 1;
                    if (read(gate[0], &c, 1) != 0) return 1;  // EOF: released
                    const int rc = work(id);
                    ends[id] = now_ns();
                    return rc;
                },
                -1);
        }
        close(ready[1]);
        close(gate[0]);
        // Both ready (a child that fails first closes its end of `ready` early, and the
        // deadline bounds a hang), then release both at once.
        int got = 0;
        const int64_t ready_deadline = now_ns() + static_cast<int64_t>(deadline_s * 1e9);
        while (started && got < 2) {
            const int64_t left_ms = (ready_deadline - now_ns()) / 1000000;
            if (left_ms <= 0) break;
            pollfd p{ready[0], POLLIN, 0};
            const int n = poll(&p, 1, static_cast<int>(left_ms));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            char c;
            if (read(ready[0], &c, 1) != 1) break;  // EOF: a child failed before its byte
            ++got;
        }
        const int64_t t0 = now_ns();
        close(gate[1]);
        close(ready[0]);
        for (Child &c : children) {
            if (got < 2 && c.pid > 0) kill(c.pid, SIGKILL);
        }
        std::vector<Child> live;
        for (Child &c : children) {
            if (c.pid > 0) live.push_back(c);
        }
        const bool ok = wait_children(live, deadline_s, why);
        const int64_t end = std::max(ends[0], ends[1]);
        munmap(ends, 2 * sizeof(int64_t));
        if (!started) {
            why = "fork failed";
            return -1;
        }
        if (got < 2) {
            why = "a process did not get ready";
            return -1;
        }
        if (!ok) return -1;
        return static_cast<double>(end - t0) / 1e9;
    }
};

// Thousands of pairs per second, or -1 (row.missing set).
double rate_or_fail(Row &row, double seconds, long pairs, const std::string &why) {
    if (seconds <= 0) {
        row.missing = "failed (" + why + ")";
        return -1;
    }
    return static_cast<double>(pairs) / seconds / 1e3;
}

// One repetition of the mproc peer on a fresh dict.
void mproc_pair_rep(const Config &cfg, const std::string &name, Row &row) {
    mproc_dict_unlink(name.c_str());
    mproc_dict_t *dict = nullptr;
    int rc = mproc_dict_create(name.c_str(), 0, 0, nullptr, &dict);
    if (rc != MPROC_OK) {
        row.missing = "failed (" + api_error("mproc_dict_create", rc) + ")";
        return;
    }
    const long per = cfg.pairs / 2;
    mproc_dict_t *mine = nullptr;
    std::optional<Workload> load;  // built in each child
    std::string why;
    const double s = ProcessPair::run(
        [&](int id) {
            load.emplace(cfg.keys, id);
            const int orc = mproc_dict_open(name.c_str(), &mine);
            if (orc != MPROC_OK) std::fprintf(stderr, "%s\n", api_error("open", orc).c_str());
            return orc == MPROC_OK ? 0 : 1;
        },
        [&](int) {
            char buf[64];
            for (long i = 0; i < per; ++i) {
                const std::string &k = load->key(i), &v = load->value(i);
                int r = mproc_dict_set(mine, k.data(), k.size(), v.data(), v.size(), kTimeoutS);
                std::size_t len = 0;
                if (r == MPROC_OK)
                    r = mproc_dict_get(mine, k.data(), k.size(), buf, sizeof buf, &len, kTimeoutS);
                if (r != MPROC_OK || len != kValueLen) {
                    std::fprintf(
                        stderr, "mproc dict pair %ld: %s (len %zu)\n", i,
                        r != MPROC_OK ? api_error("set/get", r).c_str() : "wrong value size", len);
                    return 1;
                }
            }
            return 0;
        },
        cfg.run_deadline_s, why);
    std::size_t n = 0;
    rc = mproc_dict_len(dict, &n, kTimeoutS);
    mproc_dict_close(dict);
    mproc_dict_unlink(name.c_str());
    const double rate = rate_or_fail(row, s, cfg.pairs, why);
    if (rate < 0) return;
    const std::size_t want = static_cast<std::size_t>(std::min<long>(cfg.keys, per));
    if (rc != MPROC_OK || n != want) {
        row.missing = "failed (the dict holds " + std::to_string(n) + " keys, expected " +
                      std::to_string(want) + ")";
        return;
    }
    row.samples.add(rate);
}

// The native peer: the same map, in a Boost.Interprocess segment, under one mutex.
namespace bip = boost::interprocess;
using Segment = bip::managed_shared_memory::segment_manager;
using ShmString = bip::basic_string<char, std::char_traits<char>, bip::allocator<char, Segment>>;

// Hashes and compares stored strings and the caller's string_view alike, so a lookup
// never builds a key in shared memory (as mproc's does not).
struct BytesHash {
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    std::size_t operator()(const ShmString &s) const {
        return (*this)(std::string_view(s.data(), s.size()));
    }
};
struct BytesEqual {
    static std::string_view view(std::string_view s) { return s; }
    static std::string_view view(const ShmString &s) { return {s.data(), s.size()}; }
    template <class A, class B>
    bool operator()(const A &a, const B &b) const {
        return view(a) == view(b);
    }
};
using ShmMap = boost::unordered_map<ShmString, ShmString, BytesHash, BytesEqual,
                                    bip::allocator<std::pair<const ShmString, ShmString>, Segment>>;

struct BoostDict {
    bip::interprocess_mutex mutex;
    ShmMap map;
    explicit BoostDict(Segment *m) : map(0, BytesHash{}, BytesEqual{}, ShmMap::allocator_type(m)) {}

    void set(bip::managed_shared_memory &seg, std::string_view k, std::string_view v) {
        bip::scoped_lock<bip::interprocess_mutex> hold(mutex);
        auto it = map.find(k, BytesHash{}, BytesEqual{});
        if (it != map.end()) {
            it->second.assign(v.data(), v.size());
        } else {
            const bip::allocator<char, Segment> a(seg.get_segment_manager());
            map.emplace(ShmString(k.data(), k.size(), a), ShmString(v.data(), v.size(), a));
        }
    }
    // Copies the value into buf; its size, or -1 if absent or too big.
    long get(std::string_view k, char *buf, std::size_t cap) {
        bip::scoped_lock<bip::interprocess_mutex> hold(mutex);
        auto it = map.find(k, BytesHash{}, BytesEqual{});
        if (it == map.end() || it->second.size() > cap) return -1;
        std::memcpy(buf, it->second.data(), it->second.size());
        return static_cast<long>(it->second.size());
    }
};

void boost_pair_rep(const Config &cfg, const std::string &name, Row &row) {
    bip::shared_memory_object::remove(name.c_str());
    std::size_t keys_in_map = 0;
    double s = -1;
    std::string why;
    try {
        bip::managed_shared_memory seg(bip::create_only, name.c_str(), 8u << 20);
        BoostDict *d = seg.construct<BoostDict>("dict")(seg.get_segment_manager());
        const long per = cfg.pairs / 2;
        std::unique_ptr<bip::managed_shared_memory> mine;
        BoostDict *theirs = nullptr;
        std::optional<Workload> load;  // built in each child
        s = ProcessPair::run(
            [&](int id) {
                load.emplace(cfg.keys, id);
                mine = std::make_unique<bip::managed_shared_memory>(bip::open_only, name.c_str());
                theirs = mine->find<BoostDict>("dict").first;
                return theirs != nullptr ? 0 : 1;
            },
            [&](int) {
                char buf[64];
                for (long i = 0; i < per; ++i) {
                    const std::string &k = load->key(i), &v = load->value(i);
                    theirs->set(*mine, k, v);
                    if (theirs->get(k, buf, sizeof buf) != static_cast<long>(kValueLen)) {
                        std::fprintf(stderr, "boost map pair %ld: wrong value size\n", i);
                        return 1;
                    }
                }
                return 0;
            },
            cfg.run_deadline_s, why);
        keys_in_map = d->map.size();
    } catch (const std::exception &e) {
        why = std::string("boost: ") + e.what();
        s = -1;
    }
    bip::shared_memory_object::remove(name.c_str());
    const double rate = rate_or_fail(row, s, cfg.pairs, why);
    if (rate < 0) return;
    const std::size_t want = static_cast<std::size_t>(std::min<long>(cfg.keys, cfg.pairs / 2));
    if (keys_in_map != want) {
        row.missing = "failed (the map holds " + std::to_string(keys_in_map) + " keys)";
        return;
    }
    row.samples.add(rate);
}

// argv: pairs per process, repetitions, keys. Prints thousands of pairs per second: the
// same work, keys and values as the C++ peers, from 2 fork-context processes released
// together after connecting to the manager; every repetition on a fresh dict.
constexpr const char *kPythonManagerScript = R"PY(
import multiprocessing as mp, sys, time
per, reps, nkeys = (int(a) for a in sys.argv[1:4])
ctx = mp.get_context("fork")

def work(d, pid, ready, gate, ends):
    keys = ["k%d" % j for j in range(nkeys)]
    vals = ["p%d-v%012d" % (pid, j) for j in range(nkeys)]
    d.get("warm-up")  # this process's connection to the manager, made before the clock
    ready.release()
    if not gate.wait(60):
        sys.exit(1)
    for i in range(per):
        k = keys[i % nkeys]
        d[k] = vals[i % nkeys]
        if len(d[k]) != 16:
            sys.exit(1)
    ends[pid] = time.monotonic_ns()

out = []
with ctx.Manager() as manager:
    for _ in range(reps):
        d = manager.dict()
        ready, gate = ctx.Semaphore(0), ctx.Event()
        ends = ctx.Array("q", 2, lock=False)
        ps = [ctx.Process(target=work, args=(d, p, ready, gate, ends)) for p in range(2)]
        for p in ps:
            p.start()
        try:
            for _ in ps:
                if not ready.acquire(timeout=60):
                    raise SystemExit("python manager dict: a process did not get ready")
            t0 = time.monotonic_ns()
            gate.set()
            for p in ps:
                p.join(240)
        finally:
            for p in ps:
                if p.is_alive():
                    p.kill()
                    p.join()
        if any(p.exitcode != 0 for p in ps):
            raise SystemExit("python manager dict: a process failed")
        if len(d) != min(nkeys, per):
            raise SystemExit("python manager dict: wrong number of keys")
        out.append(2 * per / ((max(ends) - t0) / 1e9) / 1e3)
print("RESULT", *out)
)PY";

void note_failure(const Row &r) {
    if (!r.missing.empty()) g_failures.push_back(r.key + ": " + r.missing);
}

void section_pairs(const Config &cfg, const std::string &prefix) {
    Row mproc{"mproc dict (C ABI), set + get", "mproc", {}, "", true};
    Row boost{
        "boost unordered_map in managed_shared_memory + interprocess_mutex", "boost", {}, "", true};
    for (int rep = 0; rep < cfg.reps; ++rep) {
        if (mproc.missing.empty()) mproc_pair_rep(cfg, prefix + "dict", mproc);
        if (boost.missing.empty()) boost_pair_rep(cfg, prefix + "boost", boost);
    }
    Row py = python_row("python multiprocessing Manager().dict(), fork", "Manager",
                        run_python(kPythonManagerScript, {cfg.pairs / 2, cfg.py_reps, cfg.keys},
                                   cfg.python_deadline_s));
    py.higher_is_better = true;
    std::printf(
        "\nA. %ld set+get pairs from 2 processes (%ld each), keys k0..k%d, %zu-byte values,\n"
        "   thousands of pairs per second, best of %d (Python: %d) runs on a fresh dict:\n",
        cfg.pairs, cfg.pairs / 2, cfg.keys - 1, kValueLen, cfg.reps, cfg.py_reps);
    for (const Row *r : {&mproc, &boost, &py})
        print_row(*r, "k/s");
    auto value = [](const Row &r) { return r.has_value() ? fmt(r.best()) + " k/s" : r.value(""); };
    const std::string verdict = ratio_verdict(mproc, py, ">=", kManagerTarget);
    std::printf(
        "dict %ld set+get pairs, 2 processes: mproc %s | multiprocessing "
        "Manager().dict() %s -> %s\n",
        cfg.pairs, value(mproc).c_str(), value(py).c_str(), verdict.c_str());
    std::printf(
        "dict %ld set+get pairs, 2 processes: mproc %s | boost map + "
        "interprocess_mutex %s -> %s\n",
        cfg.pairs, value(mproc).c_str(), value(boost).c_str(), ratio_line(mproc, boost).c_str());
    std::fflush(stdout);
    for (const Row *r : {&mproc, &boost, &py})
        note_failure(*r);
}

// ---- B. One process, uncontended -----------------------------------------------------

void section_solo(const Config &cfg, const std::string &prefix) {
    Row set{"mproc_dict_set, existing key", "set", {}, ""};
    Row get{"mproc_dict_get", "get", {}, ""};
    const std::string name = prefix + "solo";
    mproc_dict_unlink(name.c_str());
    mproc_dict_t *dict = nullptr;
    int rc = mproc_dict_create(name.c_str(), 0, 0, nullptr, &dict);
    const Workload load(cfg.keys, 0);
    // The keys are inserted once, untimed: B times the steady state of A's loop.
    for (long i = 0; rc == MPROC_OK && i < cfg.keys; ++i)
        rc = mproc_dict_set(dict, load.key(i).data(), load.key(i).size(), load.value(i).data(),
                            kValueLen, kTimeoutS);
    std::size_t len = 0;
    char buf[64];
    bool bad_len = false;
    for (int rep = 0; rc == MPROC_OK && !bad_len && rep < cfg.solo_reps; ++rep) {
        int64_t t0 = now_ns();
        for (long i = 0; rc == MPROC_OK && i < cfg.solo_ops; ++i) {
            const std::string &k = load.key(i), &v = load.value(i);
            rc = mproc_dict_set(dict, k.data(), k.size(), v.data(), v.size(), kTimeoutS);
        }
        int64_t t1 = now_ns();
        set.samples.add(static_cast<double>(t1 - t0) / static_cast<double>(cfg.solo_ops));
        t0 = now_ns();
        for (long i = 0; rc == MPROC_OK && i < cfg.solo_ops; ++i) {
            const std::string &k = load.key(i);
            rc = mproc_dict_get(dict, k.data(), k.size(), buf, sizeof buf, &len, kTimeoutS);
            if (rc == MPROC_OK && len != kValueLen) bad_len = true;
            if (bad_len) break;
        }
        t1 = now_ns();
        get.samples.add(static_cast<double>(t1 - t0) / static_cast<double>(cfg.solo_ops));
    }
    if (rc != MPROC_OK) {
        set.missing = get.missing = "failed (" + api_error("mproc_dict_create/set/get", rc) + ")";
    } else if (bad_len) {
        set.missing = get.missing = "failed (mproc_dict_get: a value of " + std::to_string(len) +
                                    " bytes, expected " + std::to_string(kValueLen) + ")";
    }
    if (dict != nullptr) mproc_dict_close(dict);
    mproc_dict_unlink(name.c_str());
    std::printf("\nB. One process, uncontended, %d keys, %ld calls per run, best of %d:\n",
                cfg.keys, cfg.solo_ops, cfg.solo_reps);
    print_row(set, "ns");
    print_row(get, "ns");
    std::printf("dict uncontended, 1 process: %s\n", summary({&set, &get}, "ns").c_str());
    std::fflush(stdout);
    note_failure(set);
    note_failure(get);
}

constexpr BenchProgram kProgram{
    "mproc container bench", "mproc-cbench",
    "  Measures mproc's shared Dict: set+get pairs from 2 processes against Python's\n"
    "  multiprocessing.Manager().dict() and a Boost.Interprocess map under a mutex, and\n"
    "  one process's uncontended set and get.\n",
    "1/25 of the work (smoke run)"};

void run_sections(const Config &cfg, const std::string &prefix) {
    section_pairs(cfg, prefix);
    section_solo(cfg, prefix);
}

}  // namespace
}  // namespace mproc_bench

int main(int argc, char **argv) {
    return mproc_bench::bench_main(argc, argv, mproc_bench::kProgram, mproc_bench::run_sections);
}
