// mproc/dict.hpp -- mproc::Dict, the shared dict of multiprocessing's Manager kept in shared
// memory itself (no server): byte-string keys and values in insertion order.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mproc/container.hpp"
#include "mproc/error.hpp"
#include "mproc/lockable.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// A dict of byte strings in POSIX shared memory, attachable by name from any process (and
// from C and Python's mproc.Manager().dict()), like the dict of a multiprocessing Manager.
// Keys and values are any bytes (NULs included; a key of at most MPROC_CONTAINER_MAX_KEY
// bytes, else too_big_error); the order is insertion order, as in Python: setting an
// existing key keeps its place.
//
// Every call is atomic: another process sees the dict before or after it. To make several
// calls atomic together, hold the dict's lock: Dict is Lockable, so
//     std::lock_guard<mproc::Dict> hold(d);
//     d.set("n", std::to_string(std::stoi(d.at("n")) + 1));
// is an atomic increment (the calls inside take the same lock again, recursively); so is
// `auto hold = d.hold();`. A process killed in a call
// leaves the dict as it was before or after that call; acquire() reports owner_died when
// it takes the lock of a group whose owner died.
//
// Each call takes a timeout for its wait on the lock (default forever): timeout_error when
// it passes. A change that does not fit at the dict's max size throws full_error and
// changes nothing. Move-only; the destructor closes the handle; safe from many threads.
class Dict : public detail::lockable<Dict, mproc_dict_t, mproc_dict_acquire, mproc_dict_release> {
  public:
    using item = std::pair<std::string, std::string>;

    // Creates an empty dict. Throws exists_error, invalid_argument_error (initial > max),
    // too_big_error (max over MPROC_CONTAINER_MAX_SIZE or under 16 KiB), permission_error,
    // out_of_memory_error, system_error.
    static Dict create(std::string_view name, container_sizes sizes = container_sizes(),
                       permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), sizes, 0, perms);
    }

    // Creates an anonymous dict (generated name, inherited by fork(), name removed when this
    // process closes it).
    static Dict create(container_sizes sizes = container_sizes()) {
        return make(nullptr, sizes, 0, permissions());
    }

    // Opens the dict named `name`, creating it if there is none (an existing dict keeps its
    // sizes). Throws kind_error, version_error.
    static Dict create_or_open(std::string_view name, container_sizes sizes = container_sizes(),
                               permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), sizes, MPROC_OPEN_EXISTING, perms);
    }

    // Opens an existing dict. Throws not_found_error, kind_error (the name holds another
    // kind of object), version_error.
    static Dict open(std::string_view name) {
        mproc_dict_t *h = nullptr;
        detail::check(mproc_dict_open(detail::c_name(name).c_str(), &h));
        return Dict(h);
    }

    // Removes the name; processes that have the dict open keep using it. Throws
    // not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_dict_unlink(detail::c_name(name).c_str()));
    }

    Dict(Dict &&) noexcept = default;
    Dict &operator=(Dict &&) noexcept = default;
    ~Dict() = default;

    // d[key] = value.
    void set(std::string_view key, std::string_view value, timeout limit = forever) {
        detail::check(mproc_dict_set(h_.get(), key.data(), key.size(), value.data(), value.size(),
                                     limit.seconds()));
    }

    // d.get(key): the value, or std::nullopt if there is no such key.
    std::optional<std::string> get(std::string_view key, timeout limit = forever) const {
        detail::c_memory value;
        std::size_t len = 0;
        const int rc = mproc_dict_get_alloc(h_.get(), key.data(), key.size(), value.out(), &len,
                                            limit.seconds());
        if (rc == MPROC_ENOTFOUND) return std::nullopt;
        detail::check(rc);
        return value.str(len);
    }

    // d[key]: the value; throws not_found_error if there is no such key.
    std::string at(std::string_view key, timeout limit = forever) const {
        detail::c_memory value;
        std::size_t len = 0;
        detail::check(mproc_dict_get_alloc(h_.get(), key.data(), key.size(), value.out(), &len,
                                           limit.seconds()));
        return value.str(len);
    }

    // key in d.
    bool contains(std::string_view key, timeout limit = forever) const {
        int found = 0;
        detail::check(
            mproc_dict_contains(h_.get(), key.data(), key.size(), &found, limit.seconds()));
        return found != 0;
    }

    // d.setdefault(key, value): inserts the key with `value` if it is absent; returns the
    // key's value either way.
    std::string setdefault(std::string_view key, std::string_view value, timeout limit = forever) {
        detail::c_memory current;
        std::size_t len = 0;
        detail::check(mproc_dict_setdefault(h_.get(), key.data(), key.size(), value.data(),
                                            value.size(), current.out(), &len, nullptr,
                                            limit.seconds()));
        return current.str(len);
    }

    // As setdefault(), but says only whether it inserted.
    bool insert(std::string_view key, std::string_view value, timeout limit = forever) {
        int inserted = 0;
        detail::check(mproc_dict_setdefault(h_.get(), key.data(), key.size(), value.data(),
                                            value.size(), nullptr, nullptr, &inserted,
                                            limit.seconds()));
        return inserted != 0;
    }

    // d.pop(key, None): removes the key and returns its value, or std::nullopt if there was
    // no such key.
    std::optional<std::string> pop(std::string_view key, timeout limit = forever) {
        detail::c_memory value;
        std::size_t len = 0;
        const int rc =
            mproc_dict_pop(h_.get(), key.data(), key.size(), value.out(), &len, limit.seconds());
        if (rc == MPROC_ENOTFOUND) return std::nullopt;
        detail::check(rc);
        return value.str(len);
    }

    // del d[key]: true if the key was there.
    bool erase(std::string_view key, timeout limit = forever) {
        const int rc = mproc_dict_delete(h_.get(), key.data(), key.size(), limit.seconds());
        if (rc == MPROC_ENOTFOUND) return false;
        detail::check(rc);
        return true;
    }

    // d.popitem(): removes the most recently inserted key and returns it with its value, or
    // std::nullopt if the dict is empty.
    std::optional<item> popitem(timeout limit = forever) {
        detail::c_memory key, value;
        std::size_t key_len = 0, value_len = 0;
        const int rc = mproc_dict_popitem(h_.get(), key.out(), &key_len, value.out(), &value_len,
                                          limit.seconds());
        if (rc == MPROC_EEMPTY) return std::nullopt;
        detail::check(rc);
        return item(key.str(key_len), value.str(value_len));
    }

    // len(d).
    std::size_t size(timeout limit = forever) const {
        std::size_t n = 0;
        detail::check(mproc_dict_len(h_.get(), &n, limit.seconds()));
        return n;
    }
    bool empty(timeout limit = forever) const { return size(limit) == 0; }

    // d.clear().
    void clear(timeout limit = forever) {
        detail::check(mproc_dict_clear(h_.get(), limit.seconds()));
    }

    // d.update(items): sets every (key, value) pair of `items` in order, all or nothing.
    // `items` is any range of pairs of things a std::string_view is made from (a std::map,
    // a std::vector<std::pair<std::string, std::string>>...).
    template <class Pairs>
    void update(const Pairs &items, timeout limit = forever) {
        std::vector<mproc_bytes_t> keys, values;
        for (const auto &kv : items) {
            keys.push_back(detail::c_bytes(std::string_view(kv.first)));
            values.push_back(detail::c_bytes(std::string_view(kv.second)));
        }
        detail::check(
            mproc_dict_update(h_.get(), keys.data(), values.data(), keys.size(), limit.seconds()));
    }
    void update(std::initializer_list<std::pair<std::string_view, std::string_view>> items,
                timeout limit = forever) {
        update<decltype(items)>(items, limit);
    }

    // A snapshot of the keys, in insertion order.
    std::vector<std::string> keys(timeout limit = forever) const {
        detail::c_memory data;
        std::size_t len = 0, count = 0;
        detail::check(mproc_dict_keys(h_.get(), data.out(), &len, &count, limit.seconds()));
        return detail::records(data, len, count);
    }

    // A snapshot of the (key, value) pairs, in insertion order.
    std::vector<item> items(timeout limit = forever) const {
        detail::c_memory data;
        std::size_t len = 0, count = 0;
        detail::check(mproc_dict_items(h_.get(), data.out(), &len, &count, limit.seconds()));
        std::vector<item> out;
        out.reserve(count / 2);
        bool is_key = true;
        detail::for_each_record(data, len, [&](std::string_view record) {
            if (is_key) {
                out.emplace_back(std::string(record), std::string());
            } else {
                out.back().second.assign(record);
            }
            is_key = !is_key;
        });
        return out;
    }

    // The dict's lock, held until the returned guard is destroyed: `auto hold = d.hold();`
    // makes the calls that follow atomic together. A lock taken over from a dead owner
    // counts as held (the dict is consistent; the dead owner's group may be half done).
    // The guard refers to this object: do not move the Dict while it is held. Throws
    // timeout_error if the lock is not taken within `limit`, closed_error.
    [[nodiscard]] std::unique_lock<Dict> hold(timeout limit = forever) {
        if (acquire(limit) == acquire_result::timed_out) {
            detail::throw_error(MPROC_ETIMEDOUT, "dict '" + name() + "': hold: timed out");
        }
        return std::unique_lock<Dict>(*this, std::adopt_lock);
    }

    // The dict's memory now.
    container_memory memory(timeout limit = forever) const {
        container_memory m;
        detail::check(
            mproc_dict_memory(h_.get(), &m.capacity, &m.max_size, &m.free, limit.seconds()));
        return m;
    }

    std::string name() const { return detail::read_name(mproc_dict_name, h_.get()); }
    mproc_dict_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on it in other threads throw closed_error.
    void close() { h_.close(); }

  private:
    explicit Dict(mproc_dict_t *h) noexcept : h_(h) {}

    static Dict make(const char *name, container_sizes sizes, unsigned int flags,
                     permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_dict_t *h = nullptr;
        detail::check(mproc_dict_create(name, sizes.initial, sizes.max, &opts, &h));
        return Dict(h);
    }

    detail::unique_handle<mproc_dict_t, mproc_dict_close> h_;
};

}  // namespace mproc
