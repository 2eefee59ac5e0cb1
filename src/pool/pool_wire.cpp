#include "pool/pool_wire.hpp"

#include <cstring>
#include <limits>

namespace mproc::core::pool::wire {

namespace {

// Appends fixed-width values to a string.
class Writer {
  public:
    explicit Writer(std::string *out) : out_(out) {}
    template <typename T>
    void put(T value) {
        char bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));
        out_->append(bytes, sizeof(T));
    }
    void put_bytes(std::string_view bytes) {
        put(static_cast<std::uint32_t>(bytes.size()));
        out_->append(bytes.data(), bytes.size());
    }

  private:
    std::string *out_;
};

// Reads fixed-width values, checking each against what is left.
class Reader {
  public:
    Reader(std::string_view bytes, const char *what) : rest_(bytes), what_(what) {}
    template <typename T>
    T get(const char *field) {
        if (rest_.size() < sizeof(T)) throw malformed(field, "truncated");
        T value;
        std::memcpy(&value, rest_.data(), sizeof(T));
        rest_.remove_prefix(sizeof(T));
        return value;
    }
    std::string_view get_bytes(const char *field) {
        const std::uint32_t len = get<std::uint32_t>(field);
        if (rest_.size() < len) throw malformed(field, "length beyond the message");
        std::string_view out = rest_.substr(0, len);
        rest_.remove_prefix(len);
        return out;
    }
    void header(Type type) {
        const auto version = get<std::uint8_t>("version");
        if (version != kVersion) {
            throw malformed("version", "format " + std::to_string(version) + ", this build reads " +
                                           std::to_string(kVersion));
        }
        if (get<std::uint8_t>("type") != static_cast<std::uint8_t>(type)) {
            throw malformed("type", "not this kind of message");
        }
    }
    void end() {
        if (!rest_.empty()) throw malformed("end", "trailing bytes");
    }
    bool done() const noexcept { return rest_.empty(); }
    Error malformed(const char *field, const std::string &why) const {
        return Error(kInvalid,
                     std::string("process pool: malformed ") + what_ + ": " + field + ": " + why);
    }

  private:
    std::string_view rest_;
    const char *what_;
};

void put_header(Writer &w, Type type) {
    w.put(kVersion);
    w.put(static_cast<std::uint8_t>(type));
}

bool valid_status(std::int32_t status) {
    return status <= 0 && status >= kCorrupt;
}

}  // namespace

Type type_of(std::string_view message) {
    if (message.size() < 2 || static_cast<std::uint8_t>(message[0]) != kVersion) {
        throw Error(kInvalid, "process pool: malformed message: no valid header");
    }
    const auto type = static_cast<std::uint8_t>(message[1]);
    if (type < static_cast<std::uint8_t>(Type::kChunk) ||
        type > static_cast<std::uint8_t>(Type::kChunks)) {
        throw Error(kInvalid,
                    "process pool: malformed message: unknown type " + std::to_string(type));
    }
    return static_cast<Type>(type);
}

// ---- chunks: version, type, 2 spare bytes, u32 count, u64 id, then (u32 len, bytes)*.

std::size_t chunk_size(const std::vector<std::string_view> &tasks) {
    std::size_t size = kChunkHeader;
    for (std::string_view t : tasks)
        size += kChunkItemHeader + t.size();
    return size;
}

void encode_chunk(std::uint64_t id, const std::vector<std::string_view> &tasks, void *out) {
    // Written straight into the inbox slot the pool reserved: no intermediate string.
    auto *p = static_cast<unsigned char *>(out);
    p[0] = kVersion;
    p[1] = static_cast<unsigned char>(Type::kChunk);
    p[2] = p[3] = 0;
    const auto count = static_cast<std::uint32_t>(tasks.size());
    std::memcpy(p + 4, &count, 4);
    std::memcpy(p + 8, &id, 8);
    p += kChunkHeader;
    for (std::string_view t : tasks) {
        const auto len = static_cast<std::uint32_t>(t.size());
        std::memcpy(p, &len, 4);
        std::memcpy(p + 4, t.data(), t.size());
        p += kChunkItemHeader + t.size();
    }
}

ChunkView decode_chunk(std::string_view message) {
    Reader in(message, "chunk");
    in.header(Type::kChunk);
    in.get<std::uint16_t>("spare");
    const auto count = in.get<std::uint32_t>("count");
    ChunkView chunk;
    chunk.id = in.get<std::uint64_t>("id");
    // Each task takes at least its length word: a count beyond that is a lie.
    if (count > message.size() / kChunkItemHeader) throw in.malformed("count", "too large");
    chunk.tasks.reserve(count);
    for (std::uint32_t k = 0; k < count; ++k)
        chunk.tasks.push_back(in.get_bytes("task"));
    in.end();
    return chunk;
}

std::string encode_stop() {
    std::string out;
    Writer w(&out);
    put_header(w, Type::kStop);
    return out;
}

// ---- results: version, type, u8 result type, u8 null, i32 status, u32 item, u32 run_us,
// u64 chunk, then either the message (status != ok) or i64 i, u64 u, f64 d, bytes.

std::size_t result_payload_size(const task::Result &result) {
    return 1 + 1 + 8 + 8 + 8 + 4 + result.bytes.size();
}

void encode_result(const ResultMessage &r, std::string *out) {
    out->clear();
    Writer w(out);
    put_header(w, Type::kResult);
    w.put(static_cast<std::uint8_t>(r.result.type));
    w.put(static_cast<std::uint8_t>(r.result.null ? 1 : 0));
    w.put(static_cast<std::int32_t>(r.status));
    w.put(r.item);
    w.put(r.run_us);
    w.put(r.chunk);
    if (r.status != kOk) {
        w.put_bytes(r.message);
        return;
    }
    w.put(static_cast<std::int64_t>(r.result.i));
    w.put(static_cast<std::uint64_t>(r.result.u));
    w.put(r.result.d);
    w.put_bytes(r.result.bytes);
}

ResultMessage decode_result(std::string_view message) {
    Reader in(message, "result");
    in.header(Type::kResult);
    ResultMessage r;
    r.result.type = static_cast<char>(in.get<std::uint8_t>("result type"));
    const auto null = in.get<std::uint8_t>("null flag");
    if (null > 1) throw in.malformed("null flag", "not 0 or 1");
    r.result.null = null != 0;
    const auto status = in.get<std::int32_t>("status");
    if (!valid_status(status)) throw in.malformed("status", "unknown code");
    r.status = static_cast<Status>(status);
    r.item = in.get<std::uint32_t>("item");
    r.run_us = in.get<std::uint32_t>("run_us");
    r.chunk = in.get<std::uint64_t>("chunk");
    if (r.status != kOk) {
        r.message = std::string(in.get_bytes("message"));
    } else {
        r.result.i = static_cast<long long>(in.get<std::int64_t>("i"));
        r.result.u = static_cast<unsigned long long>(in.get<std::uint64_t>("u"));
        r.result.d = in.get<double>("d");
        r.result.bytes = std::string(in.get_bytes("bytes"));
    }
    in.end();
    return r;
}

// ---- batches: version, type, then (u32 len, message)*.

void begin_batch(Type type, std::string *out) {
    out->clear();
    Writer w(out);
    put_header(w, type);
}

void append_to_batch(std::string_view message, std::string *out) {
    Writer(out).put_bytes(message);
}

std::vector<std::string_view> decode_batch(Type type, std::string_view message) {
    Reader in(message, "batch");
    in.header(type);
    std::vector<std::string_view> messages;
    while (!in.done())
        messages.push_back(in.get_bytes("message"));
    return messages;
}

// ---- notices: version, type, 2 spare bytes, i32 status, u64 serial, message.

std::string encode_notice(const Notice &notice) {
    std::string out;
    Writer w(&out);
    put_header(w, notice.type);
    w.put(std::uint16_t{0});
    w.put(static_cast<std::int32_t>(notice.status));
    w.put(notice.serial);
    w.put_bytes(notice.message);
    return out;
}

Notice decode_notice(std::string_view message) {
    const Type type = type_of(message);
    if (type != Type::kInitFailed && type != Type::kBye && type != Type::kFence) {
        throw Error(kInvalid, "process pool: malformed notice: wrong type");
    }
    Reader in(message, "notice");
    in.header(type);
    in.get<std::uint16_t>("spare");
    Notice notice;
    notice.type = type;
    const auto status = in.get<std::int32_t>("status");
    if (!valid_status(status)) throw in.malformed("status", "unknown code");
    notice.status = static_cast<Status>(status);
    notice.serial = in.get<std::uint64_t>("serial");
    notice.message = std::string(in.get_bytes("message"));
    in.end();
    return notice;
}

// ---- the worker's configuration: a magic word, then the fields in order.

namespace {
constexpr std::uint32_t kConfigMagic = 0x4d50574bu;  // "MPWK"
}

std::string encode_config(const WorkerConfig &c) {
    std::string out;
    Writer w(&out);
    w.put(kConfigMagic);
    w.put(kVersion);
    w.put(c.serial);
    w.put(c.slot);
    w.put_bytes(c.inbox);
    w.put_bytes(c.results);
    w.put_bytes(c.status);
    w.put_bytes(c.initializer);
    w.put(c.max_tasks);
    w.put(c.max_message);
    return out;
}

WorkerConfig decode_config(std::string_view bytes) {
    Reader in(bytes, "worker configuration");
    if (in.get<std::uint32_t>("magic") != kConfigMagic) {
        throw in.malformed("magic", "not a pool worker's configuration");
    }
    if (in.get<std::uint8_t>("version") != kVersion) {
        throw in.malformed("version", "another format version");
    }
    WorkerConfig c;
    c.serial = in.get<std::uint64_t>("serial");
    c.slot = in.get<std::uint32_t>("slot");
    c.inbox = std::string(in.get_bytes("inbox"));
    c.results = std::string(in.get_bytes("results"));
    c.status = std::string(in.get_bytes("status"));
    c.initializer = std::string(in.get_bytes("initializer"));
    c.max_tasks = in.get<std::uint64_t>("max_tasks");
    c.max_message = in.get<std::uint64_t>("max_message");
    in.end();
    if (c.inbox.empty() || c.results.empty() || c.status.empty()) {
        throw in.malformed("names", "empty");
    }
    return c;
}

}  // namespace mproc::core::pool::wire
