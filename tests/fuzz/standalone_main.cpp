// The fuzz driver where libFuzzer is not used (GCC, or any build of `make test`): runs
// every file of the corpus, then mutates them (bit flips, byte sets, inserts, erases,
// splices) with a seeded PRNG for a bounded time. Inputs that give a (call, status) pair
// never seen before join the corpus in memory.
//
//   mproc_fuzz_segments --corpus DIR [--seconds N] [--seed S] [--crash-file PATH] [FILE...]
//
// FILEs given alone are run once each (reproducing a finding). On a crash, an abort (a
// violated invariant) or a hang (an input running over --hang-seconds), the driver prints
// the seed and iteration, writes the input to the crash file and prints it in hex.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MPROC_FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MPROC_FUZZ_ASAN 1
#endif
#ifdef MPROC_FUZZ_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

constexpr std::size_t kMaxLen = 512;

// What the signal handlers report: set before each input runs.
struct Current {
    const std::uint8_t *data = nullptr;
    std::size_t size = 0;
    unsigned long long seed = 0;
    unsigned long long iteration = 0;
    char crash_file[512] = "fuzz-crash-input.bin";
};
Current current;

void put(const char *s) {
    ssize_t ignored = ::write(2, s, std::strlen(s));
    (void)ignored;
}

void put_number(unsigned long long n) {
    char buf[32];
    int i = sizeof buf;
    buf[--i] = '\0';
    do {
        buf[--i] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0 && i > 0);
    put(buf + i);
}

// Async-signal-safe: write() only.
void dump_current(const char *why) {
    static bool dumped = false;
    if (dumped) return;
    dumped = true;
    put("\nmproc fuzz: ");
    put(why);
    put(" at seed ");
    put_number(current.seed);
    put(" iteration ");
    put_number(current.iteration);
    put(" (input of ");
    put_number(current.size);
    put(" bytes)\n");
    int fd = ::open(current.crash_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t ignored = ::write(fd, current.data, current.size);
        (void)ignored;
        ::close(fd);
        put("mproc fuzz: input written to ");
        put(current.crash_file);
        put("\n");
    }
    put("mproc fuzz: input hex: ");
    static const char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < current.size; ++i) {
        char pair[2] = {digits[current.data[i] >> 4], digits[current.data[i] & 15]};
        ssize_t ignored = ::write(2, pair, 2);
        (void)ignored;
    }
    put("\n");
}

void on_signal(int sig) {
    dump_current(sig == SIGALRM ? "hang (input ran past --hang-seconds)" : "crash");
    ::signal(sig == SIGALRM ? SIGABRT : sig, SIG_DFL);
    ::raise(sig == SIGALRM ? SIGABRT : sig);
}

#ifdef MPROC_FUZZ_ASAN
void on_sanitizer_death() {
    dump_current("sanitizer report");
}
#endif

void install_handlers() {
    for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGALRM}) {
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_NODEFER;
        ::sigaction(sig, &sa, nullptr);
    }
#ifdef MPROC_FUZZ_ASAN
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
}

std::vector<std::uint8_t> read_file(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::vector<std::string> corpus_files(const std::string &dir) {
    std::vector<std::string> files;
    DIR *d = ::opendir(dir.c_str());
    if (d == nullptr) return files;
    while (dirent *e = ::readdir(d)) {
        if (e->d_name[0] != '.') files.push_back(dir + "/" + e->d_name);
    }
    ::closedir(d);
    std::sort(files.begin(), files.end());  // a fixed order: runs repeat exactly
    return files;
}

unsigned hang_seconds = 10;

void run_one(const std::vector<std::uint8_t> &input) {
    current.data = input.data();
    current.size = input.size();
    ::alarm(hang_seconds);
    LLVMFuzzerTestOneInput(input.data(), input.size());
    ::alarm(0);
}

// One to eight mutations of `input`; `corpus` gives splice partners.
void mutate(std::vector<std::uint8_t> &input, const std::vector<std::vector<std::uint8_t>> &corpus,
            std::mt19937_64 &rng) {
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const std::size_t rounds = 1 + pick(8);
    for (std::size_t r = 0; r < rounds; ++r) {
        if (input.empty()) input.push_back(0);
        const std::size_t at = pick(input.size());
        switch (pick(7)) {
            case 0:
                input[at] ^= static_cast<std::uint8_t>(1u << pick(8));
                break;
            case 1:
                input[at] = static_cast<std::uint8_t>(rng());
                break;
            case 2: {
                static const std::uint8_t edges[] = {0, 1, 2, 3, 4, 0x3f, 0x40, 0x7f, 0x80, 0xff};
                input[at] = edges[pick(sizeof edges)];
                break;
            }
            case 3:
                if (input.size() < kMaxLen) {
                    input.insert(input.begin() + static_cast<long>(at), 1 + pick(8),
                                 static_cast<std::uint8_t>(rng()));
                }
                break;
            case 4:
                if (input.size() > 1) {
                    const std::size_t n = std::min(input.size() - at, 1 + pick(8));
                    input.erase(input.begin() + static_cast<long>(at),
                                input.begin() + static_cast<long>(at + n));
                }
                break;
            case 5: {
                // Splice: the tail of another entry from `at` on (the same kind byte kept).
                const auto &other = corpus[pick(corpus.size())];
                if (other.size() > 1) {
                    const std::size_t from = 1 + pick(other.size() - 1);
                    input.resize(std::max<std::size_t>(at, 1));
                    input.insert(input.end(), other.begin() + static_cast<long>(from), other.end());
                }
                break;
            }
            default: {
                // Repeat a chunk: calls again, with the same arguments.
                const std::size_t n = std::min(input.size() - at, 1 + pick(16));
                std::vector<std::uint8_t> chunk(input.begin() + static_cast<long>(at),
                                                input.begin() + static_cast<long>(at + n));
                input.insert(input.begin() + static_cast<long>(at), chunk.begin(), chunk.end());
                break;
            }
        }
        if (input.size() > kMaxLen) input.resize(kMaxLen);
    }
}

int usage() {
    std::fprintf(stderr,
                 "usage: mproc_fuzz_segments --corpus DIR [--seconds N] [--seed S] "
                 "[--hang-seconds N] [--crash-file PATH] [FILE...]\n");
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    std::string corpus_dir;
    double seconds = 10;
    unsigned long long seed = 1;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
        const char *v = nullptr;
        if (arg == "--corpus" && (v = value())) {
            corpus_dir = v;
        } else if (arg == "--seconds" && (v = value())) {
            seconds = std::atof(v);
        } else if (arg == "--seed" && (v = value())) {
            seed = std::strtoull(v, nullptr, 0);
        } else if (arg == "--hang-seconds" && (v = value())) {
            hang_seconds = static_cast<unsigned>(std::atoi(v));
        } else if (arg == "--crash-file" && (v = value())) {
            std::snprintf(current.crash_file, sizeof current.crash_file, "%s", v);
        } else if (arg.rfind("--", 0) == 0) {
            return usage();
        } else {
            files.push_back(arg);
        }
    }
    install_handlers();
    current.seed = seed;

    if (!files.empty()) {
        for (const std::string &f : files) {
            std::vector<std::uint8_t> input = read_file(f);
            run_one(input);
            ++current.iteration;
        }
        std::printf("ran %zu inputs\n", files.size());
        return 0;
    }
    if (corpus_dir.empty()) return usage();

    std::vector<std::vector<std::uint8_t>> corpus;
    for (const std::string &f : corpus_files(corpus_dir))
        corpus.push_back(read_file(f));
    if (corpus.empty()) {
        std::fprintf(stderr, "mproc fuzz: no inputs in %s\n", corpus_dir.c_str());
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();
    for (const auto &input : corpus) {
        run_one(input);
        ++current.iteration;
    }
    const std::size_t seeds = corpus.size();
    std::mt19937_64 rng(seed);
    const auto end = start + std::chrono::duration<double>(seconds);
    std::size_t mutated = 0;
    while (std::chrono::steady_clock::now() < end) {
        std::vector<std::uint8_t> input = corpus[static_cast<std::size_t>(rng() % corpus.size())];
        mutate(input, corpus, rng);
        const std::uint64_t before = mproc_fuzz::new_outcomes;
        run_one(input);
        ++current.iteration;
        ++mutated;
        if (mproc_fuzz::new_outcomes != before && corpus.size() < 4096) {
            corpus.push_back(std::move(input));
        }
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "mproc fuzz: seed %llu: %llu inputs (%zu corpus, %zu mutated) in %.1f s, %.0f/s; "
        "%zu inputs kept for new outcomes, %llu (call, status) outcomes seen\n",
        seed, current.iteration, seeds, mutated, took,
        static_cast<double>(current.iteration) / took, corpus.size() - seeds,
        static_cast<unsigned long long>(mproc_fuzz::new_outcomes));
    return 0;
}
