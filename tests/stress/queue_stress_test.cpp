// Queue stress: 4 producer processes x 4 consumer processes move 1,000,000 messages
// (MPROC_STRESS_MESSAGES overrides) through one small queue; every message is received
// exactly once (a shared counter per message) and intact (a checksum over its bytes).
// The thread variant runs the same traffic between threads, for TSan.
#include <gtest/gtest.h>
#include <mproc/mproc.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr int kProducers = 4;
constexpr int kConsumers = 4;

std::uint64_t total_messages() {
    const char *text = std::getenv("MPROC_STRESS_MESSAGES");
    long n = text != nullptr ? std::atol(text) : 0;
    return n > 0 ? static_cast<std::uint64_t>(n) : 1000000;
}

struct Message {
    std::uint32_t producer;
    std::uint32_t seq;
    std::uint64_t payload[5];
    std::uint64_t checksum;
};

std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

Message make(std::uint32_t producer, std::uint32_t seq) {
    Message m{producer, seq, {}, 0};
    std::uint64_t sum = 0;
    for (int i = 0; i < 5; ++i) {
        m.payload[i] = mix((std::uint64_t{producer} << 40) ^ (std::uint64_t{seq} << 8) ^ i);
        sum += m.payload[i];
    }
    m.checksum = sum ^ seq;
    return m;
}

bool intact(const Message &m) {
    std::uint64_t sum = 0;
    for (int i = 0; i < 5; ++i) {
        if (m.payload[i] !=
            mix((std::uint64_t{m.producer} << 40) ^ (std::uint64_t{m.seq} << 8) ^ i)) {
            return false;
        }
        sum += m.payload[i];
    }
    return m.checksum == (sum ^ m.seq);
}

// Shared by every party: one receipt counter per message, and the tally of failures.
struct Tally {
    std::atomic<std::uint64_t> received;
    std::atomic<std::uint64_t> failures;
    std::atomic<std::uint8_t> *receipts;  // per_producer * kProducers counters
};

int produce(mproc_queue_t *queue, std::uint32_t producer, std::uint32_t count, Tally *tally) {
    for (std::uint32_t seq = 0; seq < count; ++seq) {
        Message m = make(producer, seq);
        if (mproc_queue_put(queue, &m, sizeof m, 30.0) != MPROC_OK) {
            tally->failures++;
            return 1;
        }
    }
    return 0;
}

int consume(mproc_queue_t *queue, std::uint64_t total, std::uint32_t per_producer, Tally *tally) {
    for (;;) {
        if (tally->received.load() >= total) return 0;
        Message m{};
        std::size_t len = 0;
        int rc = mproc_queue_get(queue, &m, sizeof m, &len, 0.05);
        if (rc == MPROC_EEMPTY) continue;  // re-check whether everything has arrived
        if (rc != MPROC_OK || len != sizeof m || !intact(m) || m.producer >= kProducers ||
            m.seq >= per_producer) {
            tally->failures++;
            return 1;
        }
        tally->receipts[std::uint64_t{m.producer} * per_producer + m.seq]++;
        tally->received++;
    }
}

void *shared_zeroed(std::size_t bytes) {
    void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

void check_receipts(const Tally &tally, std::uint64_t total) {
    EXPECT_EQ(tally.failures.load(), 0u);
    EXPECT_EQ(tally.received.load(), total);
    std::uint64_t not_once = 0;
    for (std::uint64_t i = 0; i < total; ++i) {
        if (tally.receipts[i].load() != 1) not_once++;
    }
    EXPECT_EQ(not_once, 0u) << "messages received other than exactly once";
}

}  // namespace

TEST(QueueStress, FourProducerAndFourConsumerProcessesDeliverEveryMessageOnce) {
#if defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "processes: not under TSan (the thread variant runs there)";
#endif
    const std::uint32_t per_producer = static_cast<std::uint32_t>(total_messages() / kProducers);
    const std::uint64_t total = std::uint64_t{per_producer} * kProducers;
    auto *tally = static_cast<Tally *>(shared_zeroed(sizeof(Tally)));
    ASSERT_NE(tally, nullptr);
    tally->receipts = static_cast<std::atomic<std::uint8_t> *>(shared_zeroed(total));
    ASSERT_NE(tally->receipts, nullptr);
    mproc_queue_t *queue = nullptr;
    ASSERT_EQ(mproc_queue_create(nullptr, 256, sizeof(Message), nullptr, &queue), MPROC_OK);

    std::vector<pid_t> children;
    for (int c = 0; c < kConsumers; ++c) {
        pid_t pid = fork();
        if (pid == 0) _exit(consume(queue, total, per_producer, tally));
        children.push_back(pid);
    }
    for (int p = 0; p < kProducers; ++p) {
        pid_t pid = fork();
        if (pid == 0) _exit(produce(queue, static_cast<std::uint32_t>(p), per_producer, tally));
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    check_receipts(*tally, total);
    EXPECT_EQ(mproc_queue_close(queue), MPROC_OK);
    munmap(tally->receipts, total);
    munmap(tally, sizeof(Tally));
}

TEST(QueueStress, FourProducerAndFourConsumerThreadsDeliverEveryMessageOnce) {
    // Fewer messages: this variant is for TSan, which is slow.
    const std::uint32_t per_producer =
        static_cast<std::uint32_t>(total_messages() / kProducers / 5);
    const std::uint64_t total = std::uint64_t{per_producer} * kProducers;
    std::vector<std::atomic<std::uint8_t>> receipts(total);
    Tally tally{};
    tally.receipts = receipts.data();
    mproc_queue_t *queue = nullptr;
    ASSERT_EQ(mproc_queue_create(nullptr, 64, sizeof(Message), nullptr, &queue), MPROC_OK);
    std::vector<std::thread> threads;
    for (int c = 0; c < kConsumers; ++c) {
        threads.emplace_back([&] { consume(queue, total, per_producer, &tally); });
    }
    for (int p = 0; p < kProducers; ++p) {
        threads.emplace_back(
            [&, p] { produce(queue, static_cast<std::uint32_t>(p), per_producer, &tally); });
    }
    for (auto &thread : threads)
        thread.join();
    check_receipts(tally, total);
    EXPECT_EQ(mproc_queue_close(queue), MPROC_OK);
}
