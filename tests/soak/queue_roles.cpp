// Producers and consumers of the soak's queue.
#include <mproc/queue.hpp>

#include <exception>

#include "message.hpp"
#include "roles.hpp"

namespace soak {

int run_producer(const SharedLedger &shared, const Names &names, std::uint32_t record) {
    Ledger &ledger = shared.ledger();
    ProducerRecord &rec = shared.record(record);
    try {
        mproc::Queue queue = mproc::Queue::open(names.queue);
        unsigned char buf[kMaxMessage];
        for (std::uint32_t seq = 1; seq <= kMaxSeq && !stopped(ledger); ++seq) {
            const std::size_t len = make_message(record, seq, buf);
            rec.attempt.store(seq, std::memory_order_seq_cst);
            // A bounded wait, so that a full queue does not hide the stop flag.
            bool sent = false;
            while (!sent && !stopped(ledger)) {
                sent = queue.try_put(buf, len, std::chrono::milliseconds(500));
            }
            if (!sent) break;  // stopped while the queue was full: this one was not put
            rec.last_ok.store(seq, std::memory_order_seq_cst);
        }
        // Ended on its own: nothing is possibly sent.
        rec.attempt.store(rec.last_ok.load(std::memory_order_relaxed), std::memory_order_seq_cst);
        return 0;
    } catch (const std::exception &e) {
        log_error(ledger, "producer record %u: %s", record, e.what());
        return 2;
    }
}

void take_message(const SharedLedger &shared, ConsumerSlot &me, const unsigned char *msg,
                  std::size_t len) {
    Ledger &ledger = shared.ledger();
    MessageHeader header{};
    const bool intact = verify_message(msg, len, &header) == Verdict::kIntact;
    // The producer stored records_used before it was forked, and attempt before its put.
    if (!intact || header.record >= ledger.records_used.load(std::memory_order_acquire) ||
        header.seq > kMaxSeq) {
        if (me.corrupt.fetch_add(1, std::memory_order_relaxed) < 3) {
            log_error(ledger, "corrupt message: %zu bytes, record %u, seq %u", len, header.record,
                      header.seq);
        }
        return;
    }
    if (header.seq > shared.record(header.record).attempt.load(std::memory_order_seq_cst)) {
        if (me.never_sent.fetch_add(1, std::memory_order_relaxed) < 3) {
            log_error(ledger, "message record %u seq %u received before its put began",
                      header.record, header.seq);
        }
        return;
    }
    if (shared.mark(header.record, header.seq)) {
        me.received.fetch_add(1, std::memory_order_relaxed);
    } else if (me.duplicates.fetch_add(1, std::memory_order_relaxed) < 3) {
        log_error(ledger, "duplicate message: record %u seq %u", header.record, header.seq);
    }
}

int run_consumer(const SharedLedger &shared, const Names &names, int slot) {
    Ledger &ledger = shared.ledger();
    ConsumerSlot &me = ledger.consumers[slot];
    try {
        mproc::Queue queue = mproc::Queue::open(names.queue);
        unsigned char buf[kMaxMessage];
        while (!stopped(ledger)) {
            std::size_t len = 0;
            const int rc = mproc_queue_get(queue.handle(), buf, sizeof buf, &len, 0.2);
            if (rc == MPROC_EEMPTY) continue;
            mproc::detail::check(rc);
            take_message(shared, me, buf, len);
        }
        return 0;
    } catch (const std::exception &e) {
        log_error(ledger, "consumer %d: %s", slot, e.what());
        return 2;
    }
}

}  // namespace soak
