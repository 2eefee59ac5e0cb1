// Section A of mproc_queue_bench: throughput of P producer processes sending to C consumer
// processes over one transport, in messages per second.
//
// Every message is `size` bytes, and its first 8 bytes are a tag: 1..n for the data a
// producer sends, 0 for the stop marker it sends after its last message. A consumer takes
// messages until it sees a stop marker. With P == C this is exact for either kind of
// transport: over one shared MPMC queue each consumer takes exactly one of the P stops, and
// every data message is queued before its producer's stop, so it has been taken once both
// stops have; over one channel per producer / consumer pair each consumer sees its own
// producer's stop. (Over a shared queue the consumer that takes the first stop leaves early
// and the other drains what is left alone; the producers finish close together, so that
// tail is short.) The consumers add up what they took and the tags' sum: a lost or doubled
// message fails the run.
//
// The clock runs from the first producer leaving the start barrier to the last consumer
// taking its stop; the children's start-up and attaching by name are not counted.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "bench_clock.hpp"
#include "bench_pingpong.hpp"
#include "bench_process.hpp"
#include "peers_queue_channels.hpp"

namespace mproc_bench {

// One measurement's shape.
struct StreamShape {
    int pairs = 1;           // producers, and as many consumers
    size_t size = 64;        // bytes per message, tag included (at least 8)
    long messages = 0;       // in all, split evenly between the producers
    size_t capacity = 1024;  // messages a queue holds, where the transport has a capacity
};

enum class Role { producer, consumer };

class StreamPeer {
  public:
    virtual ~StreamPeer() = default;
    // Parent: creates the transport for `shape`. False (message on stderr) if it cannot run.
    virtual bool prepare(const StreamShape &shape) = 0;
    // Child: attaches as producer or consumer number `index` (0 .. pairs - 1).
    virtual bool attach(Role role, int index) = 0;
    virtual bool send(const void *data, size_t len) = 0;
    virtual bool recv(void *buf, size_t cap, size_t *len) = 0;
    // Child: releases what attach() took.
    virtual void detach() {}
};

// One mproc Queue that every producer and consumer opens by name.
class MprocStreamPeer final : public StreamPeer {
  public:
    explicit MprocStreamPeer(std::string name) : q_(std::move(name)) {}
    bool prepare(const StreamShape &s) override { return q_.create(s.capacity, s.size); }
    bool attach(Role, int) override { return q_.open(); }
    bool send(const void *d, size_t n) override { return q_.send(d, n); }
    bool recv(void *b, size_t c, size_t *n) override { return q_.recv(b, c, n); }
    void detach() override { q_.close(); }

  private:
    MprocQueueChannel q_;
};

// One Boost message_queue of the same capacity and maximum message size, opened by name.
class BoostStreamPeer final : public StreamPeer {
  public:
    explicit BoostStreamPeer(std::string name) : q_(std::move(name)) {}
    bool prepare(const StreamShape &s) override { return q_.create(s.capacity, s.size); }
    bool attach(Role, int) override { return q_.open(); }
    bool send(const void *d, size_t n) override { return q_.send(d, n); }
    bool recv(void *b, size_t c, size_t *n) override { return q_.recv(b, c, n); }
    void detach() override { q_.close(); }

  private:
    BoostQueueChannel q_;
};

// A socket is point to point: one socketpair per producer / consumer pair, producer i
// writing end 0 of pair i and consumer i reading end 1. The capacity is the kernel's socket
// buffer, not `capacity` messages.
class SocketStreamPeer final : public StreamPeer {
  public:
    bool prepare(const StreamShape &s) override {
        pairs_.clear();
        for (int i = 0; i < s.pairs; ++i) {
            pairs_.push_back(std::make_unique<SocketPair>());
            if (!pairs_.back()->create()) return false;
        }
        return true;
    }
    bool attach(Role role, int index) override {
        end_.reset(pairs_.at(static_cast<size_t>(index))->fd(role == Role::producer ? 0 : 1));
        return true;
    }
    bool send(const void *d, size_t n) override { return end_.send(d, n); }
    bool recv(void *b, size_t c, size_t *n) override { return end_.recv(b, c, n); }

  private:
    std::vector<std::unique_ptr<SocketPair>> pairs_;
    FramedSocket end_;
};

// What the children of one run share.
struct StreamControl {
    static constexpr int kMaxPairs = 8;
    std::atomic<uint32_t> arrived{0};  // the start barrier
    std::atomic<int64_t> start_ns[kMaxPairs];
    std::atomic<int64_t> end_ns[kMaxPairs];
    std::atomic<uint64_t> taken[kMaxPairs];
    std::atomic<uint64_t> tag_sum[kMaxPairs];
};

// Every child waits here until all 2 * pairs have attached, sleeping 50 us between looks
// (the children may outnumber the CPUs), for at most 10 s.
inline bool stream_barrier(StreamControl &ctl, uint32_t parties) {
    ctl.arrived.fetch_add(1, std::memory_order_acq_rel);
    const int64_t deadline = now_ns() + 10000000000LL;
    while (ctl.arrived.load(std::memory_order_acquire) < parties) {
        if (now_ns() > deadline) {
            std::fprintf(stderr, "stream: not every participant attached within 10 s\n");
            return false;
        }
        usleep(50);
    }
    return true;
}

// One run of `peer` (already prepared for `shape`): `shape.pairs` producer and consumer
// children; with `cpus` given, participant i (producers first) is pinned to cpus[i]. Returns
// messages per second, or a negative value with `why` set. Every child is reaped.
inline double run_stream(StreamPeer &peer, const StreamShape &shape, const std::vector<int> &cpus,
                         double deadline_s, std::string &why) {
    const int pairs = shape.pairs;
    if (pairs < 1 || pairs > StreamControl::kMaxPairs || shape.size < 8 || shape.messages < pairs) {
        why = "bad shape";
        return -1;
    }
    SharedMapping mapping;
    if (!mapping.map(sizeof(StreamControl))) {
        why = "mmap failed";
        return -1;
    }
    StreamControl *ctl = new (mapping.get()) StreamControl;
    for (int i = 0; i < StreamControl::kMaxPairs; ++i) {
        ctl->start_ns[i].store(0);
        ctl->end_ns[i].store(0);
        ctl->taken[i].store(0);
        ctl->tag_sum[i].store(0);
    }
    const uint64_t per_producer = static_cast<uint64_t>(shape.messages / pairs);
    const uint32_t parties = static_cast<uint32_t>(2 * pairs);

    auto producer = [&](int index) -> int {
        if (!peer.attach(Role::producer, index)) return 1;
        std::vector<unsigned char> msg(shape.size, 0xa5);
        bool ok = stream_barrier(*ctl, parties);
        ctl->start_ns[index].store(now_ns(), std::memory_order_relaxed);
        for (uint64_t tag = 1; ok && tag <= per_producer; ++tag) {
            std::memcpy(msg.data(), &tag, sizeof tag);
            ok = peer.send(msg.data(), msg.size());
        }
        const uint64_t stop = 0;
        std::memcpy(msg.data(), &stop, sizeof stop);
        ok = ok && peer.send(msg.data(), msg.size());
        peer.detach();
        return ok ? 0 : 1;
    };
    auto consumer = [&](int index) -> int {
        if (!peer.attach(Role::consumer, index)) return 1;
        std::vector<unsigned char> buf(shape.size);
        bool ok = stream_barrier(*ctl, parties);
        uint64_t taken = 0, sum = 0;
        for (;;) {
            size_t len = 0;
            ok = ok && peer.recv(buf.data(), buf.size(), &len);
            if (ok && len != shape.size) {
                std::fprintf(stderr, "stream: a message of %zu bytes, expected %zu\n", len,
                             shape.size);
                ok = false;
            }
            if (!ok) break;
            uint64_t tag = 0;
            std::memcpy(&tag, buf.data(), sizeof tag);
            if (tag == 0) break;
            ++taken;
            sum += tag;
        }
        ctl->end_ns[index].store(now_ns(), std::memory_order_relaxed);
        ctl->taken[index].store(taken, std::memory_order_relaxed);
        ctl->tag_sum[index].store(sum, std::memory_order_relaxed);
        peer.detach();
        return ok ? 0 : 1;
    };

    std::vector<Child> children(static_cast<size_t>(parties));
    for (uint32_t i = 0; i < parties; ++i) {
        const int index = static_cast<int>(i) % pairs;
        const bool is_producer = static_cast<int>(i) < pairs;
        const int cpu = i < cpus.size() ? cpus[i] : -1;
        auto body = [&, index, is_producer]() {
            return is_producer ? producer(index) : consumer(index);
        };
        if (!start_child(children[i], body, cpu)) {
            // The ones started wait at the barrier for ever (well, 10 s): kill them now.
            for (uint32_t j = 0; j < i; ++j)
                kill(children[j].pid, SIGKILL);
            for (uint32_t j = 0; j < i; ++j)
                reap(children[j]);
            why = "fork failed";
            return -1;
        }
    }
    if (!wait_children(children, deadline_s, why)) return -1;

    int64_t first = 0, last = 0;
    uint64_t taken = 0, sum = 0;
    for (int i = 0; i < pairs; ++i) {
        const int64_t s = ctl->start_ns[i].load(), e = ctl->end_ns[i].load();
        if (i == 0 || s < first) first = s;
        if (i == 0 || e > last) last = e;
        taken += ctl->taken[i].load();
        sum += ctl->tag_sum[i].load();
    }
    const uint64_t want = per_producer * static_cast<uint64_t>(pairs);
    const uint64_t want_sum = per_producer * (per_producer + 1) / 2 * static_cast<uint64_t>(pairs);
    if (taken != want || sum != want_sum) {
        why = "lost or doubled messages: took " + std::to_string(taken) + " of " +
              std::to_string(want);
        return -1;
    }
    if (last <= first) {
        why = "no time measured";
        return -1;
    }
    return static_cast<double>(want) * 1e9 / static_cast<double>(last - first);
}

}  // namespace mproc_bench
