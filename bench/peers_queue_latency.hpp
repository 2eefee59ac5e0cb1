// Section B of mproc_queue_bench: the round trip of a 64-byte message between two processes.
// The peers are PingPongPeers (bench_pingpong.hpp) whose signal sends a message and whose
// wait receives one: A sends on "ping" and receives on "pong", B the reverse, and
// run_ping_pong() times A's rounds.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "bench_pingpong.hpp"
#include "peers_queue_channels.hpp"

namespace mproc_bench {

constexpr size_t kPingSize = 64;

// Sends and receives 64-byte messages, and checks that what comes back is 64 bytes.
class MessagePingPongPeer : public PingPongPeer {
  protected:
    unsigned char out_[kPingSize] = {};
    unsigned char in_[kPingSize] = {};

    static bool check_length(size_t len) {
        if (len == kPingSize) return true;
        std::fprintf(stderr, "ping-pong: a message of %zu bytes, expected %zu\n", len, kPingSize);
        return false;
    }
};

// Two mproc Queues, ping and pong, opened by name in each child.
class MprocQueuePingPong final : public MessagePingPongPeer {
  public:
    MprocQueuePingPong(const std::string &prefix, size_t capacity)
        : ping_(prefix + "ping"), pong_(prefix + "pong"), capacity_(capacity) {}
    bool prepare() override {
        return ping_.create(capacity_, kPingSize) && pong_.create(capacity_, kPingSize);
    }
    bool attach() override { return ping_.open() && pong_.open(); }
    bool signal(Side side) override {
        return (side == Side::a ? ping_ : pong_).send(out_, sizeof out_);
    }
    bool wait(Side side) override {
        size_t len = 0;
        return (side == Side::a ? pong_ : ping_).recv(in_, sizeof in_, &len) && check_length(len);
    }
    void detach() override {
        ping_.close();
        pong_.close();
    }

  private:
    MprocQueueChannel ping_, pong_;
    size_t capacity_;
};

// Two Boost message_queues, ping and pong, opened by name in each child.
class BoostQueuePingPong final : public MessagePingPongPeer {
  public:
    BoostQueuePingPong(const std::string &prefix, size_t capacity)
        : ping_(prefix + "ping"), pong_(prefix + "pong"), capacity_(capacity) {}
    bool prepare() override {
        return ping_.create(capacity_, kPingSize) && pong_.create(capacity_, kPingSize);
    }
    bool attach() override { return ping_.open() && pong_.open(); }
    bool signal(Side side) override {
        return (side == Side::a ? ping_ : pong_).send(out_, sizeof out_);
    }
    bool wait(Side side) override {
        size_t len = 0;
        return (side == Side::a ? pong_ : ping_).recv(in_, sizeof in_, &len) && check_length(len);
    }
    void detach() override {
        ping_.close();
        pong_.close();
    }

  private:
    BoostQueueChannel ping_, pong_;
    size_t capacity_;
};

// One socketpair, both directions: A on end 0, B on end 1 (blocking reads, no spinning).
class SocketPingPong final : public MessagePingPongPeer {
  public:
    bool prepare() override { return pair_.create(); }
    bool signal(Side side) override {
        socket_for(side);
        return end_.send(out_, sizeof out_);
    }
    bool wait(Side side) override {
        socket_for(side);
        size_t len = 0;
        return end_.recv(in_, sizeof in_, &len) && check_length(len);
    }

  private:
    // A child plays one side for its whole life; its end is chosen at its first call.
    void socket_for(Side side) {
        if (!chosen_) end_.reset(pair_.fd(side == Side::a ? 0 : 1));
        chosen_ = true;
    }
    SocketPair pair_;
    FramedSocket end_;
    bool chosen_ = false;
};

// The floor: the 64 bytes copied into a shared mapping, then a sequence number released;
// the other side busy-waits for the number and copies the bytes out. No system call, no
// sleeping: a round trip is a few cache-line transfers between cores. Only meaningful with
// A and B on different CPUs (the driver pins them and skips this peer on one CPU); every
// spin is bounded (spin_until_equal).
class MessageSpinPeer final : public MessagePingPongPeer {
  public:
    bool prepare() override {
        if (!mapping_.map(sizeof(State))) return false;
        state_ = new (mapping_.get()) State;
        return true;
    }
    // seq_ counts rounds in each child, in step as in SpinPeer (peers_wakeup.hpp). A writes
    // the ping lane only after B has answered, by which time B has copied the last ping out.
    bool signal(Side side) override {
        Lane &lane = side == Side::a ? state_->ping : state_->pong;
        std::memcpy(lane.data, out_, kPingSize);
        lane.seq.store(side == Side::a ? ++seq_ : seq_, std::memory_order_release);
        return true;
    }
    bool wait(Side side) override {
        Lane &lane = side == Side::a ? state_->pong : state_->ping;
        if (!spin_until_equal(lane.seq, side == Side::a ? seq_ : ++seq_)) return false;
        std::memcpy(in_, lane.data, kPingSize);
        return true;
    }

  private:
    struct Lane {
        alignas(64) std::atomic<uint64_t> seq{0};
        alignas(64) unsigned char data[kPingSize] = {};
    };
    struct State {
        Lane ping;
        Lane pong;
    };

    SharedMapping mapping_;
    State *state_ = nullptr;
    uint64_t seq_ = 0;
};

}  // namespace mproc_bench
