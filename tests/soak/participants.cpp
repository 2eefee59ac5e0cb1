#include "participants.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace soak {

namespace {

using namespace std::chrono_literals;

// Long enough for the pool driver's final map and join on a loaded machine; everyone
// else notices the stop flag within a second.
constexpr auto kStopBound = 120s;

std::string describe(int status) {
    if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// The parent pid of `pid` from /proc/<pid>/stat, or -1 (gone, or a zombie: not worth a
// kill).
pid_t live_parent_of(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    std::FILE *f = std::fopen(path, "r");
    if (f == nullptr) return -1;
    char buf[512];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char *close_paren = std::strrchr(buf, ')');  // the command may hold spaces
    char state = 0;
    int ppid = -1;
    if (close_paren == nullptr || std::sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2) {
        return -1;
    }
    return state == 'Z' || state == 'X' ? -1 : ppid;
}

}  // namespace

const char *role_name(int role) {
    switch (role) {
        case kProducer:
            return "producer";
        case kConsumer:
            return "consumer";
        case kLocker:
            return "locker";
        case kPoolWorker:
            return "pool worker";
        default:
            return "pool driver";
    }
}

Participants::Participants(const SharedLedger &shared, const Names &names, const Options &options)
    : shared_(shared), names_(names), options_(options) {}

Participants::~Participants() {
    for (const Child &c : children_) {
        kill(c.pid, SIGKILL);
        wait_for(c.pid);
    }
}

void Participants::start_all() {
    start(kRoles, 0);  // the pool driver first: its workers exist before the chaos starts
    for (int k = 0; k < options_.producers; ++k)
        start(kProducer, k);
    for (int k = 0; k < options_.consumers; ++k)
        start(kConsumer, k);
    for (int k = 0; k < options_.lockers; ++k)
        start(kLocker, k);
}

void Participants::start(int role, int slot) {
    if (role == kRoles && options_.pool_workers == 0) return;
    Ledger &ledger = shared_.ledger();
    Child child{0, role, slot, 0};
    if (role == kProducer) {
        const std::uint32_t record = ledger.records_used.load(std::memory_order_relaxed);
        if (record >= shared_.max_records()) {
            ++stats_.producers_retired;
            return;
        }
        shared_.record(record).slot.store(static_cast<std::uint32_t>(slot));
        ledger.records_used.store(record + 1, std::memory_order_release);
        child.record = record;
    }
    const std::uint64_t seed = options_.seed * 1000003u + ++incarnation_;
    const pid_t parent = getpid();
    std::fflush(nullptr);  // or the child's exit would not, but its buffer is a copy
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("soak: fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Die with the parent, whatever kills it.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(3);
        int code = 2;
        switch (role) {
            case kProducer:
                code = run_producer(shared_, names_, child.record);
                break;
            case kConsumer:
                code = run_consumer(shared_, names_, slot);
                break;
            case kLocker:
                code = run_locker(shared_, names_, slot, seed);
                break;
            default:
                code = run_pool_driver(shared_, options_.pool_workers, seed);
                break;
        }
        _exit(code);  // never unwind into the parent's main (its guards unlink the objects)
    }
    child.pid = pid;
    if (role == kRoles) ledger.pool.driver_pid.store(pid, std::memory_order_release);
    children_.push_back(child);
}

void Participants::ended(const Child &child, int status, bool stopping) {
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    // A producer ends by itself when its record runs out of sequence numbers; anyone ends
    // cleanly once stopping. Anything else is a failure.
    if (!clean || (!stopping && child.role != kProducer)) {
        ++stats_.unexpected_exits;
        log_error(shared_.ledger(), "%s %d (pid %d) ended by itself: %s", role_name(child.role),
                  child.slot, static_cast<int>(child.pid), describe(status).c_str());
    }
    if (stopping || child.role == kRoles) return;  // the pool driver is not replaced
    start(child.role, child.slot);
    ++stats_.restarts;
}

// The pool workers the chaos may kill: live children of the driver, also those still
// starting (the pool replaces a worker killed before it is ready), unless
// --spare-young-workers keeps to those in its list for kWorkerAge.
std::vector<pid_t> Participants::pool_worker_pids() {
    constexpr auto kWorkerAge = 1s;
    const PoolLedger &p = shared_.ledger().pool;
    const pid_t driver = p.driver_pid.load(std::memory_order_acquire);
    const auto now = std::chrono::steady_clock::now();
    std::vector<pid_t> pids;
    std::map<pid_t, std::chrono::steady_clock::time_point> seen;
    const std::uint32_t n = p.npids.load(std::memory_order_acquire);
    for (std::uint32_t k = 0; k < n && k < kMaxPoolPids; ++k) {
        const pid_t pid = p.pids[k].load(std::memory_order_relaxed);
        // Only a live child of the driver: a worker replaced meanwhile may have given its
        // pid to some other process.
        if (pid <= 0 || live_parent_of(pid) != driver) continue;
        const auto it = worker_seen_.find(pid);
        const auto first = it == worker_seen_.end() ? now : it->second;
        seen.emplace(pid, first);
        if (!options_.spare_young_workers || now - first >= kWorkerAge) pids.push_back(pid);
    }
    if (n > 0) worker_seen_.swap(seen);  // 0: being rewritten, keep what we know
    return pids;
}

void Participants::chaos_step(std::mt19937_64 &rng) {
    std::vector<std::size_t> by_role[kRoles];
    for (std::size_t k = 0; k < children_.size(); ++k) {
        const Child &c = children_[k];
        if (c.role == kRoles) continue;
        // A producer is killed only if it can be replaced.
        if (c.role == kProducer && shared_.ledger().records_used.load() >= shared_.max_records())
            continue;
        by_role[c.role].push_back(k);
    }
    const std::vector<pid_t> workers = pool_worker_pids();
    std::vector<int> roles;
    for (int r = 0; r < kRoles; ++r)
        if (!by_role[r].empty() || (r == kPoolWorker && !workers.empty())) roles.push_back(r);
    if (roles.empty()) return;
    const int role = roles[rng() % roles.size()];
    if (role == kPoolWorker) {
        if (kill(workers[rng() % workers.size()], SIGKILL) == 0) ++stats_.kills[kPoolWorker];
        return;  // the pool reaps and replaces it
    }
    const std::size_t index = by_role[role][rng() % by_role[role].size()];
    const Child child = children_[index];
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index));
    if (role == kProducer) shared_.record(child.record).killed.store(1);
    kill(child.pid, SIGKILL);
    const int status = wait_for(child.pid);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        ++stats_.kills[role];
        start(role, child.slot);
        ++stats_.restarts;
    } else {
        ended(child, status, false);  // it had ended by itself just before
    }
}

void Participants::reap_exited() {
    int status = 0;
    pid_t pid = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (std::size_t k = 0; k < children_.size(); ++k) {
            if (children_[k].pid != pid) continue;
            const Child child = children_[k];
            children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(k));
            ended(child, status, false);
            break;
        }
    }
}

void Participants::stop() {
    shared_.ledger().stop.store(1, std::memory_order_release);
    const auto deadline = std::chrono::steady_clock::now() + kStopBound;
    while (!children_.empty() && std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            std::this_thread::sleep_for(10ms);
            continue;
        }
        for (std::size_t k = 0; k < children_.size(); ++k) {
            if (children_[k].pid != pid) continue;
            const Child child = children_[k];
            children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(k));
            ended(child, status, true);
            break;
        }
    }
    // Stragglers: a hang, so a failure, and a kill like the chaos's for the accounting.
    for (const Child &c : children_) {
        if (c.role == kProducer) shared_.record(c.record).killed.store(1);
        kill(c.pid, SIGKILL);
        wait_for(c.pid);
        log_error(shared_.ledger(), "%s %d (pid %d) did not stop within %lld s", role_name(c.role),
                  c.slot, static_cast<int>(c.pid), static_cast<long long>(kStopBound.count()));
        if (c.role == kRoles) {
            ++stats_.driver_straggler;
        } else {
            ++stats_.stragglers[c.role];
            ++stats_.kills[c.role];
        }
    }
    children_.clear();
}

}  // namespace soak
