// The participants of the soak, each run in a forked child by the parent (soak.cpp): they
// return the child's exit code (0: stopped when asked; 2: an unexpected error, logged in
// the ledger) and the parent _exit()s with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ledger.hpp"

namespace soak {

// The named objects of one run.
struct Names {
    std::string queue;
    std::string lock;
    std::string counter;  // a 2-item Array: value, ~value
};

inline bool stopped(const Ledger &ledger) {
    return ledger.stop.load(std::memory_order_acquire) != 0;
}

// Puts the messages of `record`, seq 1 .. kMaxSeq, until the stop flag.
int run_producer(const SharedLedger &shared, const Names &names, std::uint32_t record);

// Takes messages until the stop flag, accounting each in consumers[slot].
int run_consumer(const SharedLedger &shared, const Names &names, int slot);

// Accounts one message taken from the queue (a consumer's, or the parent's final drain).
void take_message(const SharedLedger &shared, ConsumerSlot &me, const unsigned char *msg,
                  std::size_t len);

// Increments the counter under the lock until the stop flag, accounting in lockers[slot].
int run_locker(const SharedLedger &shared, const Names &names, int slot, std::uint64_t seed);

// With the lock held: checks that the counter (value, ~value) is whole, repairs it if not
// (counting in `me`), and returns its value.
std::uint64_t check_counter(std::uint64_t *counter, bool owner_died, LockerSlot &me);

// Runs a process pool of `workers` and feeds it checksum tasks until the stop flag, then
// checks it with a final map; publishes the worker pids for the chaos in ledger.pool.
int run_pool_driver(const SharedLedger &shared, int workers, std::uint64_t seed);

}  // namespace soak

// The pool's task, called by reference ("mproc_soak_checksum", "Q(yI)") from the soak
// program's own exported symbols: fnv1a64 of the bytes, mixed `rounds` more times so that
// a task takes long enough to be killed in the middle.
extern "C" __attribute__((visibility("default"))) std::uint64_t mproc_soak_checksum(
    const void *data, std::size_t len, unsigned int rounds);
