// Peer of test_cross_language.py: a C++ producer that puts raw byte messages into a named
// Queue made by Python.
//
//   queue_producer <queue name> <producer id> <count>
//
// Puts <count> messages "p<id>-<seq>-<filler>" (the filler's length and letters depend on
// seq, so messages have many sizes; the test rebuilds every one). Prints the sum (mod 2^64)
// of the FNV-1a hashes of the messages it put, in decimal, so that the consumer can check
// the bytes it got. Exit status: 0 done, 1 an mproc call failed, 2 bad arguments.
#include <mproc/mproc.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::uint64_t fnv1a(const std::string &s) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// The message a producer puts as its seq-th: the test in Python builds the same bytes.
std::string message(long id, long seq) {
    std::string m = "p" + std::to_string(id) + "-" + std::to_string(seq) + "-";
    const long filler = (seq * 7) % 97;
    for (long k = 0; k < filler; ++k)
        m += static_cast<char>('a' + (seq + k) % 26);
    return m;
}

int fail(const char *what) {
    std::fprintf(stderr, "queue_producer: %s: %s\n", what, mproc_last_error());
    return 1;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: queue_producer <queue name> <producer id> <count>\n");
        return 2;
    }
    const long id = std::strtol(argv[2], nullptr, 10);
    const long count = std::strtol(argv[3], nullptr, 10);
    mproc_queue_t *queue = nullptr;
    if (mproc_queue_open(argv[1], &queue) != MPROC_OK) return fail("open");
    std::uint64_t checksum = 0;
    for (long seq = 0; seq < count; ++seq) {
        const std::string m = message(id, seq);
        // Generous timeout: the queue is small on purpose, consumers make room.
        if (mproc_queue_put(queue, m.data(), m.size(), 60.0) != MPROC_OK) {
            mproc_queue_close(queue);
            return fail("put");
        }
        checksum += fnv1a(m);
    }
    std::printf("%" PRIu64 "\n", checksum);
    if (mproc_queue_close(queue) != MPROC_OK) return fail("close");
    return 0;
}
