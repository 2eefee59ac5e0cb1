#include "ledger.hpp"

#include <sys/mman.h>

#include <cstdarg>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <string>

namespace soak {

namespace {

constexpr std::size_t kWordsPerRecord = kMaxSeq / 64;

std::size_t round_up(std::size_t n, std::size_t to) {
    return (n + to - 1) / to * to;
}

}  // namespace

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(kMaxSeq % 64 == 0);

SharedLedger::SharedLedger(std::uint32_t max_records) : max_records_(max_records) {
    const std::size_t ledger_bytes = round_up(sizeof(Ledger), 64);
    const std::size_t record_bytes = round_up(sizeof(ProducerRecord) * max_records, 4096);
    const std::size_t bitmap_bytes = kWordsPerRecord * sizeof(std::uint64_t) * max_records;
    bytes_ = ledger_bytes + record_bytes + bitmap_bytes;
    base_ = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base_ == MAP_FAILED) {
        base_ = nullptr;
        throw std::runtime_error("soak: cannot map " + std::to_string(bytes_) +
                                 " bytes of shared ledger");
    }
    auto *bytes = static_cast<unsigned char *>(base_);
    ledger_ = new (bytes) Ledger();
    records_ = reinterpret_cast<ProducerRecord *>(bytes + ledger_bytes);
    for (std::uint32_t r = 0; r < max_records; ++r)
        new (&records_[r]) ProducerRecord();
    // The bitmap is used as the zeroed lock-free atomics that fresh anonymous memory holds,
    // without constructing them: constructing would touch (and commit) every page.
    bits_ = reinterpret_cast<std::atomic<std::uint64_t> *>(bytes + ledger_bytes + record_bytes);
}

SharedLedger::~SharedLedger() {
    if (base_ != nullptr) munmap(base_, bytes_);
}

std::atomic<std::uint64_t> *SharedLedger::word_of(std::uint32_t record, std::uint32_t seq,
                                                  std::uint64_t *bit) const {
    const std::uint32_t index = seq - 1;  // seq 1 .. kMaxSeq
    *bit = std::uint64_t{1} << (index % 64);
    return &bits_[std::size_t{record} * kWordsPerRecord + index / 64];
}

bool SharedLedger::mark(std::uint32_t record, std::uint32_t seq) const {
    std::uint64_t bit = 0;
    std::atomic<std::uint64_t> *word = word_of(record, seq, &bit);
    return (word->fetch_or(bit, std::memory_order_acq_rel) & bit) == 0;
}

bool SharedLedger::marked(std::uint32_t record, std::uint32_t seq) const {
    std::uint64_t bit = 0;
    return (word_of(record, seq, &bit)->load(std::memory_order_acquire) & bit) != 0;
}

std::uint64_t SharedLedger::count_marked(std::uint32_t record, std::uint32_t last) const {
    std::uint64_t n = 0;
    for (std::uint32_t seq = 1; seq <= last;) {
        std::uint64_t bit = 0;
        const std::uint64_t word = word_of(record, seq, &bit)->load(std::memory_order_acquire);
        if (bit == 1 && last - seq >= 63) {  // a whole word
            n += static_cast<std::uint64_t>(__builtin_popcountll(word));
            seq += 64;
        } else {
            n += (word & bit) != 0 ? 1 : 0;
            ++seq;
        }
    }
    return n;
}

void log_error(Ledger &ledger, const char *format, ...) {
    const std::uint32_t slot = ledger.error_count.fetch_add(1, std::memory_order_relaxed);
    if (slot >= kErrorSlots) return;
    va_list args;
    va_start(args, format);
    std::vsnprintf(ledger.errors[slot], kErrorText, format, args);
    va_end(args);
}

}  // namespace soak
