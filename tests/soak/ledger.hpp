// The soak's ledger: what every participant has done, in MAP_SHARED memory mapped before
// the first fork, so that it survives the SIGKILL of whoever wrote it. Each field is
// written by one participant only (or by the parent between two of its incarnations) and
// read by the parent at the end; the bitmap of received messages is shared by every
// consumer, which is what lets a duplicate across consumers be seen.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace soak {

// Sequence numbers per producer incarnation: a producer that reaches it exits and the
// parent starts a fresh incarnation (a fresh record) in its place.
inline constexpr std::uint32_t kMaxSeq = 1u << 18;
inline constexpr int kMaxRole = 32;      // producers, consumers, lockers each
inline constexpr int kMaxPoolPids = 64;  // pool workers
inline constexpr int kErrorSlots = 16;
inline constexpr std::size_t kErrorText = 240;

// One producer incarnation. attempt is stored before a put and last_ok after it returned
// MPROC_OK, so a producer killed in between leaves attempt == last_ok + 1: that message
// was possibly sent. A producer that ends on its own sets attempt back to last_ok.
struct ProducerRecord {
    std::atomic<std::uint64_t> attempt;
    std::atomic<std::uint64_t> last_ok;
    std::atomic<std::uint32_t> killed;  // set by the parent just before its SIGKILL
    std::atomic<std::uint32_t> slot;    // which producer slot ran it
};

struct ConsumerSlot {
    std::atomic<std::uint64_t> received;    // intact messages taken (bit newly set)
    std::atomic<std::uint64_t> duplicates;  // intact messages whose bit was already set
    std::atomic<std::uint64_t> corrupt;     // failed verify_message
    std::atomic<std::uint64_t> never_sent;  // intact, but seq > its producer's attempt
};

struct LockerSlot {
    std::atomic<std::uint64_t> increments;        // committed counter increments
    std::atomic<std::uint64_t> recoveries;        // acquires that returned owner-died
    std::atomic<std::uint64_t> torn_repaired;     // torn counter found after owner-died
    std::atomic<std::uint64_t> torn_unexplained;  // torn counter after a normal acquire
    std::atomic<std::uint64_t> timeouts;          // acquires that timed out
};

struct PoolLedger {
    std::atomic<pid_t> driver_pid;
    std::atomic<std::uint32_t> npids;  // 0 while the pids are being rewritten
    std::atomic<pid_t> pids[kMaxPoolPids];
    std::atomic<std::uint64_t> tasks_ok;
    std::atomic<std::uint64_t> failed_by_kill;  // MPROC_EBROKEN: the worker died
    std::atomic<std::uint64_t> wrong;           // a result that is not the checksum
    std::atomic<std::uint64_t> other_errors;    // any other error code
    std::atomic<std::uint64_t> hung;            // a future not done within its bound
    std::atomic<std::uint32_t> final_tasks;     // the final map after the run
    std::atomic<std::uint32_t> final_ok;
    std::atomic<std::int32_t> final_workers;  // worker pids alive after the final map
    std::atomic<std::uint32_t> finished;      // the driver got to its end
};

struct Ledger {
    std::atomic<std::uint32_t> stop;
    std::atomic<std::uint32_t> records_used;  // producer records handed out so far
    ConsumerSlot consumers[kMaxRole + 1];     // the last one: the parent's final drain
    LockerSlot lockers[kMaxRole + 1];         // the last one: the parent's final check
    PoolLedger pool;
    std::atomic<std::uint32_t> error_count;
    char errors[kErrorSlots][kErrorText];
};

// The whole shared area: the ledger, then max_records producer records, then one bitmap
// of kMaxSeq bits per record. Mapped MAP_NORESERVE: only the pages that are written cost
// memory, so the bound on records can be generous.
class SharedLedger {
  public:
    explicit SharedLedger(std::uint32_t max_records);
    ~SharedLedger();
    SharedLedger(const SharedLedger &) = delete;
    SharedLedger &operator=(const SharedLedger &) = delete;

    Ledger &ledger() const { return *ledger_; }
    ProducerRecord &record(std::uint32_t r) const { return records_[r]; }
    std::uint32_t max_records() const { return max_records_; }

    // Marks (record, seq) received; false if it was marked already (a duplicate).
    bool mark(std::uint32_t record, std::uint32_t seq) const;
    bool marked(std::uint32_t record, std::uint32_t seq) const;
    // How many of seq 1 .. last are marked.
    std::uint64_t count_marked(std::uint32_t record, std::uint32_t last) const;

  private:
    std::atomic<std::uint64_t> *word_of(std::uint32_t record, std::uint32_t seq,
                                        std::uint64_t *bit) const;

    void *base_ = nullptr;
    std::size_t bytes_ = 0;
    std::uint32_t max_records_ = 0;
    Ledger *ledger_ = nullptr;
    ProducerRecord *records_ = nullptr;
    std::atomic<std::uint64_t> *bits_ = nullptr;
};

// Appends a line to the ledger's error log (the first kErrorSlots are kept); any process.
void log_error(Ledger &ledger, const char *format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace soak
