// mproc_mpi_pool_bench: the per-task cost of a process pool whose workers are MPI ranks,
// against the local process pool and Python's multiprocessing.Pool, in one run:
//
//   - mproc, MPI pool (backend MPROC_BACKEND_MPI), 2 worker ranks started with
//     MPI_Comm_spawn on this host (dynamic start);
//   - mproc, local spawn pool, 2 workers;
//   - python3, fork context, Pool(2).map(abs, range(n)).
//
// The task is libc's abs through a task reference "i(i)" (library NULL), the only kind an
// MPI pool runs; it costs nanoseconds, so the time per task is the pool's own overhead:
// for the MPI pool, a message each way between the pool and a rank per chunk, and the
// rank's hand-off to its local mproc-worker. Each of chunksize 1, 10, 100 and automatic
// (n / (4 * processes)) is measured; the last section shows how the overhead falls with
// the chunksize. Pools are started once and warmed up per chunksize outside the timing; a
// repetition is one map of n tasks from submission to the last result read (bench_pool.hpp).
//
// Run as root on a small machine, Open MPI refuses to start (root) or to place 2 ranks on
// fewer cores: this program sets OMPI_ALLOW_RUN_AS_ROOT, OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
// and OMPI_MCA_rmaps_base_oversubscribe to 1 unless they are set already. Without the MPI
// backend (mproc_pool_backend_available says), the MPI rows say "skipped" and the rest runs.
//
// `--quick` does about 1/10 of the work (a CI smoke run).
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "bench_main.hpp"
#include "bench_pool.hpp"
#include "bench_python.hpp"
#include "bench_report.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {
namespace {

constexpr int kWorkers = 2;
constexpr double kMapTimeoutS = 300;
constexpr double kJoinTimeoutS = 60;
constexpr std::size_t kChunksizes[] = {1, 10, 100, 0};  // 0: automatic

struct Config {
    long tasks = 20000;
    int reps = 5;
    double python_deadline_s = 300.0;

    void make_quick() {
        tasks = 2000;
        reps = 3;
        python_deadline_s = 120.0;
    }
};

std::string chunk_name(std::size_t chunksize) {
    return chunksize == 0 ? "automatic" : std::to_string(chunksize);
}

// One chunksize's rows: the two mproc pools and Python.
struct Measured {
    Row mpi, local, python;
};

const char *const kMpiLabel = "mproc MPI pool, 2 ranks (dynamic start, this host)";
const char *const kLocalLabel = "mproc local spawn pool, 2 workers";

// Before the MPI pool exists: Open MPI reads these when the plugin initialises MPI.
void allow_root_and_oversubscribe() {
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
}

bool start_pool(PoolPeer &p, int backend, long n) {
    mproc_pool_options_t o;
    mproc_pool_options_init(&o);
    o.processes = kWorkers;
    if (backend == MPROC_BACKEND_MPI)
        o.backend = MPROC_BACKEND_MPI;
    else
        o.start_method = MPROC_START_SPAWN;
    return p.setup(o, PoolTasks::abs_reference, n);
}

// Warm-up map, then cfg.reps interleaved maps of each live pool into its row; a pool that
// fails once is out for the rest of the run (its row says why).
void measure_pools(const Config &cfg, std::size_t chunksize, PoolPeer &mpi, PoolPeer &local,
                   Measured &m) {
    PoolPeer *peers[] = {&mpi, &local};
    Row *rows[] = {&m.mpi, &m.local};
    for (PoolPeer *p : peers)
        if (p->row.missing.empty()) p->map_once(chunksize, kMapTimeoutS);
    for (int rep = 0; rep < cfg.reps; ++rep) {
        for (int i = 0; i < 2; ++i) {
            if (!peers[i]->row.missing.empty()) continue;
            const double us = peers[i]->map_once(chunksize, kMapTimeoutS);
            if (us >= 0) rows[i]->samples.add(us);
        }
    }
    for (int i = 0; i < 2; ++i)
        if (!peers[i]->row.missing.empty()) rows[i]->missing = peers[i]->row.missing;
}

// A row's value in a summary line: the best time, or only "skipped" / "failed" (the table
// above and the list of failures at the end say why).
std::string us(const Row &r) {
    if (r.has_value()) return fmt(r.best()) + " us/task";
    return r.missing.rfind("skipped", 0) == 0 ? "skipped" : r.missing.empty() ? "n/a" : "failed";
}

void print_section(const Config &cfg, std::size_t chunksize, const Measured &m,
                   const char *letter) {
    const std::string mode = chunk_name(chunksize);
    std::printf(
        "\n%s. Pool map of %ld trivial tasks (abs \"i(i)\", library NULL), chunksize %s, %d "
        "workers each, us per task:\n   best of %d maps (+1 untimed first) each\n",
        letter, cfg.tasks, mode.c_str(), kWorkers, cfg.reps);
    for (const Row *r : {&m.mpi, &m.local, &m.python})
        print_row(*r, "us/task");
    std::printf("mpi pool map chunksize %s: mpi %s | local %s | python %s -> %s, %s\n",
                mode.c_str(), us(m.mpi).c_str(), us(m.local).c_str(), us(m.python).c_str(),
                ratio_line(m.mpi, m.local).c_str(), ratio_line(m.python, m.mpi).c_str());
    std::fflush(stdout);
}

// The overhead against the chunksize: one line per peer, then how much chunking saves.
void print_overhead(const std::vector<Measured> &all, const char *letter) {
    std::printf(
        "\n%s. Per-task overhead against chunksize (best us/task; abs itself costs "
        "nanoseconds):\n  %-52s",
        letter, "chunksize");
    for (std::size_t c : kChunksizes)
        std::printf(" %10s", chunk_name(c).c_str());
    std::printf("\n");
    const char *names[] = {"mproc MPI pool, 2 ranks", "mproc local spawn pool, 2 workers",
                           "python fork Pool(2).map"};
    int k = 0;
    for (Row Measured::*which : {&Measured::mpi, &Measured::local, &Measured::python}) {
        std::printf("  %-52s", names[k++]);
        for (const Measured &m : all) {
            const Row &r = m.*which;
            std::printf(" %10s", r.has_value() ? fmt(r.best()).c_str() : "n/a");
        }
        std::printf("\n");
    }
    for (Row Measured::*which : {&Measured::mpi, &Measured::local, &Measured::python}) {
        std::string line;
        for (std::size_t i = 0; i < all.size(); ++i) {
            const Row &r = all[i].*which;
            if (!line.empty()) line += " | ";
            line += chunk_name(kChunksizes[i]) + " " + us(r);
        }
        const Row &one = all.front().*which;
        const Row &hundred = all[2].*which;
        if (one.missing.rfind("skipped", 0) == 0) {
            std::printf("%s per-task overhead by chunksize: skipped\n", one.key.c_str());
            continue;
        }
        std::printf("%s per-task overhead by chunksize: %s -> chunksize 1/100 = %s\n",
                    one.key.c_str(), line.c_str(),
                    one.has_value() && hundred.has_value()
                        ? (fmt(one.best() / hundred.best()) + "x").c_str()
                        : "n/a");
    }
    std::fflush(stdout);
}

void note_failure(const Row &r) {
    if (r.missing.rfind("failed", 0) == 0) g_failures.push_back(r.key + ": " + r.missing);
}

constexpr BenchProgram kProgram{
    "mproc MPI pool bench", "mproc-mpibench",
    "  Measures the per-task cost of an MPI process pool's map (2 ranks, dynamic start on\n"
    "  this host) against the local spawn pool and Python's multiprocessing.Pool.map, for\n"
    "  chunksize 1, 10, 100 and automatic.\n",
    "about 1/10 of the tasks (smoke run)"};

void run_sections(const Config &cfg, const std::string &) {
    PoolPeer local{Row{kLocalLabel, "local", {}, ""}};
    PoolPeer mpi{Row{kMpiLabel, "mpi", {}, ""}};
    start_pool(local, MPROC_BACKEND_LOCAL, cfg.tasks);
    if (mproc_pool_backend_available(MPROC_BACKEND_MPI)) {
        allow_root_and_oversubscribe();
        start_pool(mpi, MPROC_BACKEND_MPI, cfg.tasks);
    } else {
        mpi.row.missing = "skipped (no MPI backend)";
        std::printf(
            "\nMPI pool: skipped: mproc_pool_backend_available(MPROC_BACKEND_MPI) = 0 (no "
            "libmproc_mpi.so next to libmproc: configure with -DMPROC_WITH_MPI=ON)\n");
    }

    std::vector<Measured> all;
    const char *letters[] = {"A", "B", "C", "D"};
    for (std::size_t i = 0; i < std::size(kChunksizes); ++i) {
        const std::size_t chunksize = kChunksizes[i];
        Measured m{Row{kMpiLabel, "mpi", {}, ""}, Row{kLocalLabel, "local", {}, ""}, Row{}};
        measure_pools(cfg, chunksize, mpi, local, m);
        m.python = python_row(
            "python fork Pool(2).map(abs, range(n)), chunksize " + chunk_name(chunksize), "python",
            run_python(kPythonPoolMapScript,
                       {cfg.tasks, cfg.reps, kWorkers, static_cast<long>(chunksize)},
                       cfg.python_deadline_s));
        print_section(cfg, chunksize, m, letters[i]);
        all.push_back(m);
    }
    print_overhead(all, "E");

    // A clean stop (an unjoined MPI pool would be terminated: its ranks killed).
    for (PoolPeer *p : {&mpi, &local})
        if (p->row.missing.empty() && !p->stop(kJoinTimeoutS))
            g_failures.push_back(p->row.key + ": " + api_error("mproc_pool_join", MPROC_ETIMEDOUT));
    for (const Measured &m : all)
        for (const Row *r : {&m.mpi, &m.local, &m.python})
            note_failure(*r);
}

}  // namespace
}  // namespace mproc_bench

int main(int argc, char **argv) {
    return mproc_bench::bench_main(argc, argv, mproc_bench::kProgram, mproc_bench::run_sections);
}
