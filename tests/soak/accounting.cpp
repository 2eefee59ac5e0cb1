// The end of the soak: what every ledger says, balanced against the kills, the bitmap of
// received messages and the objects' own counters (mproc_object_inspect).
//
// The slack in each balance, and why:
//  - messages: a consumer killed between its get and marking the message in the bitmap
//    loses that one message, so (sent but never received) <= consumer kills; beyond that
//    they are LOST. A producer killed between a put and recording it leaves its record
//    with attempt == last_ok + 1: that message is "possibly sent" and is accounted neither
//    as sent nor as missing (it counts as delivered if its bit is set).
//  - lock counter: a locker killed after its commit store but before recording the
//    increment leaves the counter one ahead of the ledgers (a kill between the two stores
//    is rolled back by the next owner), so 0 <= counter - increments <= locker kills.
//  - lock owner_dead: the library counts a takeover inside acquire, before it returns; a
//    locker killed between that and recording its recovery leaves the counter one ahead,
//    so 0 <= owner_dead - recoveries <= locker kills.
//  - queue positions (inspect's puts and gets): every put that claimed a slot, successful
//    or cut by a kill, so 0 <= puts - (sent + the final round trip) <= producer kills;
//    after the drain every claimed position has been taken or skipped, so gets == puts.
#include <cinttypes>
#include <string>

#include "final.hpp"

namespace soak {

namespace {

struct QueueTotals {
    std::uint64_t sent = 0;                // puts that returned OK and were recorded
    std::uint64_t possibly_sent = 0;       // killed between put and recording
    std::uint64_t possibly_delivered = 0;  // ... and received
    std::uint64_t marked = 0;              // distinct messages received
    std::uint64_t missing = 0;             // sent, never received
    std::uint64_t inconsistent = 0;        // records whose attempt / last_ok make no sense
    std::uint64_t received = 0, duplicates = 0, corrupt = 0, never_sent = 0;
};

QueueTotals queue_totals(const SharedLedger &shared) {
    QueueTotals t;
    const Ledger &ledger = shared.ledger();
    const std::uint32_t used = ledger.records_used.load();
    for (std::uint32_t r = 0; r < used; ++r) {
        const ProducerRecord &rec = shared.record(r);
        const std::uint64_t last = rec.last_ok.load();
        const std::uint64_t attempt = rec.attempt.load();
        const bool killed = rec.killed.load() != 0;
        const auto last32 = static_cast<std::uint32_t>(last);
        const std::uint64_t got = shared.count_marked(r, last32);
        t.sent += last;
        t.marked += got;
        t.missing += last - got;
        const bool after_last = last < kMaxSeq && shared.marked(r, last32 + 1);
        if (attempt == last + 1 && killed) {
            ++t.possibly_sent;
            if (after_last) {
                ++t.possibly_delivered;
                ++t.marked;
            }
        } else if (attempt != last || after_last) {
            ++t.inconsistent;
        }
    }
    for (int k = 0; k <= kMaxRole; ++k) {
        const ConsumerSlot &c = ledger.consumers[k];
        t.received += c.received.load();
        t.duplicates += c.duplicates.load();
        t.corrupt += c.corrupt.load();
        t.never_sent += c.never_sent.load();
    }
    return t;
}

struct LockTotals {
    std::uint64_t increments = 0, recoveries = 0, torn_repaired = 0, torn_unexplained = 0,
                  timeouts = 0;
};

LockTotals lock_totals(const Ledger &ledger) {
    LockTotals t;
    for (int k = 0; k <= kMaxRole; ++k) {
        const LockerSlot &s = ledger.lockers[k];
        t.increments += s.increments.load();
        t.recoveries += s.recoveries.load();
        t.torn_repaired += s.torn_repaired.load();
        t.torn_unexplained += s.torn_unexplained.load();
        t.timeouts += s.timeouts.load();
    }
    return t;
}

std::string num(std::uint64_t v) {
    return std::to_string(v);
}

long long ll(std::uint64_t v) {
    return static_cast<long long>(v);
}

// low <= v <= high, said in words.
void check_range(Report &r, const std::string &name, long long v, long long low, long long high,
                 const std::string &what) {
    r.check(name, v >= low && v <= high,
            what + " = " + std::to_string(v) + ", expected " + std::to_string(low) + " .. " +
                std::to_string(high));
}

void report_queue(const SharedLedger &shared, const RunStats &s, const FinalState &f, Report &r) {
    const QueueTotals q = queue_totals(shared);
    const std::uint64_t ckills = s.kills[kConsumer], pkills = s.kills[kProducer];
    const std::uint64_t in_hands = q.missing < ckills ? q.missing : ckills;
    r.value("queue", "sent (put returned OK)", ll(q.sent));
    r.value("queue", "possibly sent (producer killed)", ll(q.possibly_sent));
    r.value("queue", "possibly sent, delivered", ll(q.possibly_delivered));
    r.value("queue", "received (distinct)", ll(q.marked));
    r.value("queue", "received (consumer ledgers)", ll(q.received));
    r.value("queue", "left in the queue at the stop", ll(f.drained));
    r.value("queue", "lost in killed consumers' hands", ll(in_hands));
    r.value("queue", "LOST", ll(q.missing - in_hands));
    r.value("queue", "duplicates", ll(q.duplicates));
    r.value("queue", "corrupt", ll(q.corrupt));
    r.value("queue", "received before sent", ll(q.never_sent));
    r.check("messages flowed", q.sent > 0, num(q.sent) + " sent");
    r.check("no message LOST", q.missing <= ckills,
            num(q.missing) + " missing, at most " + num(ckills) +
                " (one per consumer kill) may be lost in hand");
    r.check("no duplicate", q.duplicates == 0, num(q.duplicates) + " duplicates");
    r.check("no corrupt message", q.corrupt == 0, num(q.corrupt) + " corrupt");
    r.check("nothing received unsent", q.never_sent == 0 && q.inconsistent == 0,
            num(q.never_sent) + " before their put, " + num(q.inconsistent) +
                " inconsistent producer records");
    check_range(r, "consumer ledgers vs bitmap", ll(q.marked - q.received), 0, ll(ckills),
                "distinct received - consumer-recorded");
    r.check("queue works after the run", f.queue_ok, "put / get round trip after the drain");
    if (!f.queue_inspected) return;
    const mproc_object_info_t &i = f.queue_info;
    r.value("queue counters", "puts (positions claimed)", ll(i.puts));
    r.value("queue counters", "gets (positions taken)", ll(i.gets));
    r.value("queue counters", "depth", ll(i.depth));
    r.value("queue counters", "owner_dead", ll(i.owner_dead));
    r.value("queue counters", "waits", ll(i.waits));
    r.value("queue counters", "timeouts", ll(i.timeouts));
    const std::uint64_t confirmed = q.sent + 1;  // + the final round trip
    check_range(r, "queue puts counter", ll(i.puts - confirmed), ll(q.possibly_delivered),
                ll(pkills), "puts - (sent + 1 round trip)");
    r.check("queue drained (counters)", i.gets == i.puts && i.depth == 0,
            "gets " + num(i.gets) + ", puts " + num(i.puts) + ", depth " + num(i.depth));
    check_range(r, "queue gets counter", ll(i.gets - (q.marked + 1)), 0, ll(ckills + pkills),
                "gets - (distinct received + 1 round trip)");
    check_range(r, "queue owner_dead counter", ll(i.owner_dead), 0, ll(ckills + pkills),
                "takeovers of a dead producer's or consumer's slot");
}

void report_lock(const Ledger &ledger, const RunStats &s, const FinalState &f, Report &r) {
    const LockTotals t = lock_totals(ledger);
    const std::uint64_t lkills = s.kills[kLocker];
    r.value("lock", "increments (recorded)", ll(t.increments));
    r.value("lock", "counter at the end", ll(f.counter));
    r.value("lock", "counter - increments", ll(f.counter - t.increments));
    r.value("lock", "recoveries (owner died)", ll(t.recoveries));
    r.value("lock", "torn counters repaired", ll(t.torn_repaired));
    r.value("lock", "torn without a dead owner", ll(t.torn_unexplained));
    r.value("lock", "acquire timeouts", ll(t.timeouts));
    r.check("lock works after the run", f.lock_ok, "acquire, counter check, release");
    r.check("locks were taken", t.increments > 0, num(t.increments) + " increments");
    check_range(r, "counter balances", ll(f.counter - t.increments), 0, ll(lkills),
                "counter - recorded increments");
    r.check("no torn counter without a death", t.torn_unexplained == 0,
            num(t.torn_unexplained) + " torn after a normal acquire");
    r.check("no lock timeout", t.timeouts == 0, num(t.timeouts) + " acquires timed out (10 s)");
    check_range(r, "recoveries <= locker kills", ll(t.recoveries), ll(t.torn_repaired), ll(lkills),
                "recoveries (at least the torn repairs)");
    if (!f.lock_inspected) return;
    const mproc_object_info_t &i = f.lock_info;
    r.value("lock counters", "owner_dead", ll(i.owner_dead));
    r.value("lock counters", "waits", ll(i.waits));
    r.value("lock counters", "timeouts", ll(i.timeouts));
    // Modulo 2^32, as the header keeps it.
    const auto ahead = static_cast<std::uint32_t>(i.owner_dead - t.recoveries);
    check_range(r, "lock owner_dead counter", ahead, 0, ll(lkills),
                "owner_dead - recoveries seen by the lockers");
    r.check("lock free at the end", i.holder_pid == 0, "holder pid " + num(i.holder_pid));
}

void report_pool(const Ledger &ledger, const Options &o, const RunStats &s, Report &r) {
    const PoolLedger &p = ledger.pool;
    if (o.pool_workers == 0) return;
    r.value("pool", "tasks ok", ll(p.tasks_ok.load()));
    r.value("pool", "tasks failed by a kill (EBROKEN)", ll(p.failed_by_kill.load()));
    r.value("pool", "tasks wrong", ll(p.wrong.load()));
    r.value("pool", "tasks failed otherwise", ll(p.other_errors.load()));
    r.value("pool", "tasks hung", ll(p.hung.load()));
    r.value("pool", "final map ok", ll(p.final_ok.load()));
    r.value("pool", "workers at the end", ll(p.final_workers.load()));
    r.check("pool tasks ran", p.tasks_ok.load() > 0, num(p.tasks_ok.load()) + " ok");
    r.check("no wrong pool result", p.wrong.load() == 0 && p.other_errors.load() == 0,
            num(p.wrong.load()) + " wrong, " + num(p.other_errors.load()) + " other errors");
    r.check("no pool task hung", p.hung.load() == 0, num(p.hung.load()) + " hung");
    check_range(r, "pool failures <= kills", ll(p.failed_by_kill.load()), 0,
                ll(s.kills[kPoolWorker]), "tasks failed by EBROKEN");
    r.check("pool works after the run",
            p.finished.load() == 1 && p.final_tasks.load() > 0 &&
                p.final_ok.load() == p.final_tasks.load() &&
                p.final_workers.load() == o.pool_workers,
            num(p.final_ok.load()) + "/" + num(p.final_tasks.load()) + " final tasks ok, " +
                num(p.final_workers.load()) + "/" + std::to_string(o.pool_workers) + " workers");
}

}  // namespace

void build_report(const SharedLedger &shared, const Options &o, const RunStats &s,
                  double chaos_seconds, double total_seconds, const FinalState &f, Report &r) {
    const Ledger &ledger = shared.ledger();
    r.value("run", "seconds of chaos", chaos_seconds);
    r.value("run", "seconds with the stop and checks", total_seconds);
    r.value("run", "seed", ll(o.seed));
    r.text("run", "participants",
           std::to_string(o.producers) + " producers, " + std::to_string(o.consumers) +
               " consumers, " + std::to_string(o.lockers) + " lockers, " +
               std::to_string(o.pool_workers) + " pool workers");
    std::uint64_t total = 0;
    for (int k = 0; k < kRoles; ++k) {
        r.value("kills", role_name(k), ll(s.kills[k]));
        total += s.kills[k];
    }
    r.value("kills", "total", ll(total));
    std::uint64_t stragglers = s.driver_straggler;
    for (int k = 0; k < kRoles; ++k)
        stragglers += s.stragglers[k];
    r.value("kills", "restarts", ll(s.restarts));
    r.value("kills", "stragglers (killed at the stop)", ll(stragglers));
    r.value("kills", "producer records used", ll(ledger.records_used.load()));
    r.value("kills", "producers retired (no record left)", ll(s.producers_retired));
    r.check("chaos killed", total > 0, num(total) + " kills");
    r.check("no participant died by itself", s.unexpected_exits == 0,
            num(s.unexpected_exits) + " unexpected exits");
    r.check("everyone stopped when asked", stragglers == 0, num(stragglers) + " stragglers");
    report_queue(shared, s, f, r);
    if (o.lockers > 0) report_lock(ledger, s, f, r);
    report_pool(ledger, o, s, r);
    if (!f.inspect_available) {
        r.text("inspect", "mproc_object_inspect", "not in this library: counter checks skipped");
    }
    r.check("final operations", f.problems.empty(),
            f.problems.empty() ? "none failed" : f.problems);
    const std::uint32_t errors = ledger.error_count.load();
    for (std::uint32_t k = 0; k < errors && k < kErrorSlots; ++k)
        r.text("errors", "#" + std::to_string(k + 1), ledger.errors[k]);
    r.check("no error logged", errors == 0, num(errors) + " errors");
}

}  // namespace soak
