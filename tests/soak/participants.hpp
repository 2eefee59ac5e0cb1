// The parent's side of the soak: forks the participants, kills random ones (the chaos),
// starts replacements, and stops everyone at the end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "ledger.hpp"
#include "roles.hpp"

namespace soak {

// What the chaos kills. The pool driver is not a target: it owns the pool, whose workers
// are.
enum Role { kProducer, kConsumer, kLocker, kPoolWorker, kRoles };
const char *role_name(int role);

struct Options {
    double seconds = 60;
    std::uint64_t seed = 0;
    int producers = 2;
    int consumers = 2;
    int lockers = 2;
    int pool_workers = 2;
    bool json = false;
    // Kill only pool workers that have been up for a second (see pool_worker_pids).
    bool spare_young_workers = false;
};

struct RunStats {
    std::uint64_t kills[kRoles] = {};       // SIGKILLs by the chaos, stragglers included
    std::uint64_t stragglers[kRoles] = {};  // still running after the stop deadline
    std::uint64_t driver_straggler = 0;
    std::uint64_t unexpected_exits = 0;  // a participant that died by itself, or failed
    std::uint64_t restarts = 0;
    std::uint64_t producers_retired = 0;  // not replaced: no producer record left
};

class Participants {
  public:
    Participants(const SharedLedger &shared, const Names &names, const Options &options);
    ~Participants();  // kills and reaps whoever is left (failure paths)
    Participants(const Participants &) = delete;
    Participants &operator=(const Participants &) = delete;

    void start_all();
    // SIGKILLs one random participant (of a random role that has one) and replaces it.
    void chaos_step(std::mt19937_64 &rng);
    // Reaps children that ended by themselves and replaces them.
    void reap_exited();
    // Sets the stop flag and waits (bounded) for everyone; stragglers are killed.
    void stop();

    const RunStats &stats() const { return stats_; }

  private:
    struct Child {
        pid_t pid;
        int role;  // a Role, or kRoles for the pool driver
        int slot;
        std::uint32_t record;  // producers
    };

    void start(int role, int slot);
    void ended(const Child &child, int status, bool stopping);
    std::vector<pid_t> pool_worker_pids();

    const SharedLedger &shared_;
    const Names &names_;
    const Options &options_;
    std::vector<Child> children_;
    std::uint64_t incarnation_ = 0;
    // When each pool worker pid was first seen in the driver's list.
    std::map<pid_t, std::chrono::steady_clock::time_point> worker_seen_;
    RunStats stats_;
};

}  // namespace soak
