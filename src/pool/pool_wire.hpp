// The process pool's messages: what the pool puts in a worker's inbox (a chunk of tasks,
// or "stop") and what workers put in the shared result queue (one result per task, a
// failed initializer, "bye"), plus the fence the pool puts behind a dead worker's results.
// And the worker's configuration, which a spawned worker receives as its bytes argument.
//
// Every message starts with a format version and a type byte; integers are little-endian
// (the host's order: both ends are the same machine) and fixed-width. Decoding checks
// every length against the bytes it has and throws Error(kInvalid) on anything malformed:
// a message from a confused or hostile process must never crash the pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "task/task.hpp"

namespace mproc::core::pool::wire {

inline constexpr std::uint8_t kVersion = 1;

// Bytes a chunk or a result adds to the encoded task or result it carries, at most: the
// queues are made this much bigger than max_message.
inline constexpr std::size_t kChunkHeader = 16;
inline constexpr std::size_t kChunkItemHeader = 4;
inline constexpr std::size_t kResultHeader = 64;

enum class Type : std::uint8_t {
    kChunk = 1,       // pool -> worker: tasks to run, in order
    kStop = 2,        // pool -> worker: exit once idle
    kResult = 3,      // worker -> pool: one task's outcome
    kInitFailed = 4,  // worker -> pool: the initializer failed (the worker exits)
    kBye = 5,         // worker -> pool: exiting (stopped, or max_tasks_per_child reached)
    kFence = 6,       // pool -> pool: every message queued before it has been read
    kResults = 7,     // remote worker -> pool: several kResult messages in one
    kChunks = 8,      // pool -> remote worker: several kChunk messages in one
};

// The type of a message (kInvalid if it has no valid header).
Type type_of(std::string_view message);

// ---- chunks
// The size of a chunk message holding tasks of these encoded sizes.
std::size_t chunk_size(const std::vector<std::string_view> &tasks);
// Writes the chunk into out[0 .. chunk_size(tasks)).
void encode_chunk(std::uint64_t id, const std::vector<std::string_view> &tasks, void *out);
struct ChunkView {
    std::uint64_t id = 0;
    std::vector<std::string_view> tasks;  // point into the message
};
ChunkView decode_chunk(std::string_view message);

std::string encode_stop();

// ---- results
struct ResultMessage {
    std::uint64_t chunk = 0;
    std::uint32_t item = 0;
    std::uint32_t run_us = 0;  // how long the task ran, in microseconds (saturated)
    Status status = kOk;
    std::string message;  // when status != kOk
    task::Result result;  // when status == kOk
};
// Encodes into `out` (reused between calls to spare allocations).
void encode_result(const ResultMessage &result, std::string *out);
ResultMessage decode_result(std::string_view message);
// The encoded size of a task result alone (what max_message limits).
std::size_t result_payload_size(const task::Result &result);

// ---- batches: a remote pool sends the chunks for one rank, and a remote worker the results
// that are ready, together (remote_pool.hpp), since every message over MPI costs tens of
// microseconds. `type` is kResults (of kResult messages) or kChunks (of kChunk messages).
// Starts an empty batch in `out`.
void begin_batch(Type type, std::string *out);
// Appends one message to a batch begun so.
void append_to_batch(std::string_view message, std::string *out);
// The messages of a batch of `type` (pointing into it); each still needs decoding.
std::vector<std::string_view> decode_batch(Type type, std::string_view message);

// ---- worker notices: kInitFailed, kBye, and the pool's own kFence. `serial` names the
// worker (every started worker has its own).
struct Notice {
    Type type = Type::kBye;
    std::uint64_t serial = 0;
    Status status = kOk;  // kInitFailed
    std::string message;  // kInitFailed
};
std::string encode_notice(const Notice &notice);
Notice decode_notice(std::string_view message);

// ---- the worker's configuration
struct WorkerConfig {
    std::uint64_t serial = 0;  // this worker's number in the pool
    std::uint32_t slot = 0;    // its index in the status array
    std::string inbox;         // queue names
    std::string results;
    std::string status;           // the status array's name
    std::string initializer;      // Task::encode(), or empty for none
    std::uint64_t max_tasks = 0;  // 0: no limit
    std::uint64_t max_message = 0;
};
std::string encode_config(const WorkerConfig &config);
WorkerConfig decode_config(std::string_view bytes);

}  // namespace mproc::core::pool::wire
