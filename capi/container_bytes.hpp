// Byte strings in and out of Dict and List: the checks of what the caller passes in
// (NULL with a length, C-string keys, the key limit) and what is handed out (a copy into
// the caller's buffer; or memory allocated with malloc, because mproc_free is free(): a
// copy, a snapshot of records).
//
// The output helpers run inside the containers' callbacks, under the lock, and may run
// inside a change (pop, popitem, setdefault). There they must not throw std::bad_alloc:
// MirroredHeap reads that as "the heap is full" and grows. They throw core::Error(kNoMemory)
// instead, which undoes the change, so a failed copy removes nothing. A change may also be
// tried again after growing, so the callbacks replace what an earlier try gave them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "error.hpp"
#include "handle.hpp"
#include "mproc/mproc.h"

namespace mproc::capi {

// One byte string passed in: data may be NULL only when len is 0.
inline bool valid_bytes(const void *data, std::size_t len) noexcept {
    return data != nullptr || len == 0;
}

inline std::string_view bytes_view(const void *data, std::size_t len) noexcept {
    return len == 0 ? std::string_view() : std::string_view(static_cast<const char *>(data), len);
}

// A key of the dict `dict_name` as the header defines it: key_len bytes, or a C string for
// MPROC_KEY_CSTR. Returns MPROC_OK and sets *out, or records the failure: EINVAL (NULL with
// a length, NULL C string), ETOOBIG (over MPROC_CONTAINER_MAX_KEY, with the limit in the
// message). `argument` names the parameter in the message ("key", "keys[3]").
inline int key_view(const char *function, const std::string &dict_name, const char *verb,
                    const std::string &argument, const void *key, std::size_t key_len,
                    std::string_view *out) noexcept {
    if (key_len == MPROC_KEY_CSTR) {
        if (key == nullptr) return null_argument(function, argument.c_str());
        key_len = std::strlen(static_cast<const char *>(key));
    } else if (!valid_bytes(key, key_len)) {
        return null_argument(function, argument.c_str());
    }
    if (key_len > MPROC_CONTAINER_MAX_KEY) {
        return guarded([&] {
            return fail(MPROC_ETOOBIG, "dict '" + dict_name + "': " + verb + ": " + argument +
                                           " of " + std::to_string(key_len) +
                                           " bytes is over MPROC_CONTAINER_MAX_KEY (" +
                                           std::to_string(MPROC_CONTAINER_MAX_KEY) + " bytes)");
        });
    }
    *out = bytes_view(key, key_len);
    return MPROC_OK;
}

// A key for a message: printable ASCII shown as is (quoted, at most 40 bytes), anything
// else as its length, so a binary key never garbles the message.
inline std::string describe_key(std::string_view key) {
    constexpr std::size_t kShown = 40;
    for (char c : key) {
        if (c < 0x20 || c > 0x7e) return "of " + std::to_string(key.size()) + " bytes";
    }
    if (key.size() > kShown) return "'" + std::string(key.substr(0, kShown)) + "...'";
    return "'" + std::string(key) + "'";
}

[[noreturn]] inline void throw_no_memory(std::size_t bytes) {
    throw core::Error(core::kNoMemory,
                      "out of memory for a copy of " + std::to_string(bytes) + " bytes");
}

// Memory malloc'd for the caller, freed unless handed over.
class Owned {
  public:
    Owned() noexcept = default;
    Owned(const Owned &) = delete;
    Owned &operator=(const Owned &) = delete;
    ~Owned() { std::free(p_); }

    // Becomes a copy of `bytes`, never NULL (an empty one is 1 byte), dropping what an
    // earlier try of the same change left here.
    void copy(std::string_view bytes) {
        void *p = std::malloc(bytes.empty() ? 1 : bytes.size());
        if (p == nullptr) throw_no_memory(bytes.size());
        if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
        std::free(p_);
        p_ = p;
        len_ = bytes.size();
    }

    std::size_t size() const noexcept { return len_; }

    // Hands the memory over to the caller: *data, and *len if len is not NULL.
    void release(void **data, std::size_t *len) noexcept {
        *data = p_;
        if (len != nullptr) *len = len_;
        p_ = nullptr;
        len_ = 0;
    }

  private:
    void *p_ = nullptr;
    std::size_t len_ = 0;
};

// The out-parameters of a get into the caller's buffer of `cap` bytes, checked before it
// starts: len, and buf unless cap is 0.
inline int check_buffer_out(const char *function, const void *buf, std::size_t cap,
                            const std::size_t *len) noexcept {
    if (len == nullptr) return null_argument(function, "len");
    if (buf == nullptr && cap > 0) return null_argument(function, "buf");
    return MPROC_OK;
}

// A value copied into the caller's buffer of `cap` bytes if it fits, and its size either
// way, so that a get into a buffer too small can say what it needs.
class BufferCopy {
  public:
    BufferCopy(void *buf, std::size_t cap) noexcept : buf_(buf), cap_(cap) {}

    void copy(std::string_view bytes) noexcept {
        size_ = bytes.size();
        if (!bytes.empty() && fits()) std::memcpy(buf_, bytes.data(), bytes.size());
    }

    std::size_t size() const noexcept { return size_; }
    bool fits() const noexcept { return size_ <= cap_; }

  private:
    void *buf_;
    std::size_t cap_;
    std::size_t size_ = 0;
};

// A snapshot being built: records of a uint64_t length (native byte order) and its bytes,
// in one malloc'd block. mproc_records_next reads them.
class Records {
  public:
    Records() noexcept = default;
    Records(const Records &) = delete;
    Records &operator=(const Records &) = delete;
    ~Records() { std::free(data_); }

    void add(std::string_view item) {
        const std::uint64_t n = item.size();
        reserve(sizeof n + item.size());
        std::memcpy(data_ + len_, &n, sizeof n);
        if (!item.empty()) std::memcpy(data_ + len_ + sizeof n, item.data(), item.size());
        len_ += sizeof n + item.size();
        ++count_;
    }

    // Hands the block over (NULL when there are no records).
    void release(void **data, std::size_t *len, std::size_t *count) noexcept {
        *data = data_;
        *len = len_;
        *count = count_;
        data_ = nullptr;
        len_ = cap_ = count_ = 0;
    }

  private:
    void reserve(std::size_t more) {
        if (cap_ - len_ >= more) return;
        std::size_t cap = cap_ == 0 ? 4096 : cap_;
        while (cap - len_ < more) {
            if (cap > SIZE_MAX / 2) throw_no_memory(len_ + more);
            cap *= 2;
        }
        void *p = std::realloc(data_, cap);
        if (p == nullptr) throw_no_memory(cap);
        data_ = static_cast<char *>(p);
        cap_ = cap;
    }

    char *data_ = nullptr;
    std::size_t len_ = 0;
    std::size_t cap_ = 0;
    std::size_t count_ = 0;
};

// The out-parameters of a snapshot call, checked before it starts.
inline int check_snapshot_out(const char *function, void **data, std::size_t *len,
                              std::size_t *count) noexcept {
    if (data == nullptr) return null_argument(function, "data");
    if (len == nullptr) return null_argument(function, "len");
    if (count == nullptr) return null_argument(function, "count");
    return MPROC_OK;
}

}  // namespace mproc::capi
