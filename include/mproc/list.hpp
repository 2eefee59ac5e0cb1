// mproc/list.hpp -- mproc::List, the shared list of multiprocessing's Manager kept in shared
// memory itself (no server): a sequence of byte strings with Python's indexes and slices.
#pragma once

#include <climits>
#include <cstddef>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mproc/container.hpp"
#include "mproc/error.hpp"
#include "mproc/lockable.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// A list of byte strings in POSIX shared memory, attachable by name from any process (and
// from C and Python's mproc.Manager().list()), like the list of a multiprocessing Manager.
// Indexes count from the end when negative (-1 is the last item); an index out of range
// throws not_found_error. Slices [start, stop) are clamped to the list as Python's are, so
// any start and stop are valid (List::end, LLONG_MAX, for "to the end").
//
// Every call is atomic; hold the list's lock (List is Lockable; or `auto hold = l.hold();`)
// to make several atomic together. Timeouts, crash safety, full_error, threads and
// ownership as for mproc::Dict.
class List : public detail::lockable<List, mproc_list_t, mproc_list_acquire, mproc_list_release> {
  public:
    // A slice bound meaning "to the end of the list".
    static constexpr long long end = LLONG_MAX;

    // Creates an empty list. Throws as Dict::create.
    static List create(std::string_view name, container_sizes sizes = container_sizes(),
                       permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), sizes, 0, perms);
    }

    // Creates an anonymous list (generated name, inherited by fork(), name removed when this
    // process closes it).
    static List create(container_sizes sizes = container_sizes()) {
        return make(nullptr, sizes, 0, permissions());
    }

    // Opens the list named `name`, creating it if there is none. Throws kind_error,
    // version_error.
    static List create_or_open(std::string_view name, container_sizes sizes = container_sizes(),
                               permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), sizes, MPROC_OPEN_EXISTING, perms);
    }

    // Opens an existing list. Throws not_found_error, kind_error, version_error.
    static List open(std::string_view name) {
        mproc_list_t *h = nullptr;
        detail::check(mproc_list_open(detail::c_name(name).c_str(), &h));
        return List(h);
    }

    // Removes the name. Throws not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_list_unlink(detail::c_name(name).c_str()));
    }

    List(List &&) noexcept = default;
    List &operator=(List &&) noexcept = default;
    ~List() = default;

    // l.append(item).
    void append(std::string_view item, timeout limit = forever) {
        detail::check(mproc_list_append(h_.get(), item.data(), item.size(), limit.seconds()));
    }

    // l.extend(items): appends every item of `items` (any range of things a
    // std::string_view is made from), all or nothing.
    template <class Range>
    void extend(const Range &items, timeout limit = forever) {
        const std::vector<mproc_bytes_t> b = detail::c_bytes_of(items);
        detail::check(mproc_list_extend(h_.get(), b.data(), b.size(), limit.seconds()));
    }
    void extend(std::initializer_list<std::string_view> items, timeout limit = forever) {
        extend<decltype(items)>(items, limit);
    }

    // l[index]. Throws not_found_error when out of range.
    std::string at(long long index, timeout limit = forever) const {
        detail::c_memory data;
        std::size_t len = 0;
        detail::check(mproc_list_get_alloc(h_.get(), index, data.out(), &len, limit.seconds()));
        return data.str(len);
    }
    std::string operator[](long long index) const { return at(index); }

    // l[index] = item. Throws not_found_error when out of range.
    void set(long long index, std::string_view item, timeout limit = forever) {
        detail::check(mproc_list_set(h_.get(), index, item.data(), item.size(), limit.seconds()));
    }

    // l.insert(index, item): before `index`, clamped to the list (any index is valid).
    void insert(long long index, std::string_view item, timeout limit = forever) {
        detail::check(
            mproc_list_insert(h_.get(), index, item.data(), item.size(), limit.seconds()));
    }

    // l.pop(index): removes the item and returns it. Throws not_found_error when out of
    // range or empty.
    std::string pop(long long index = -1, timeout limit = forever) {
        detail::c_memory data;
        std::size_t len = 0;
        detail::check(mproc_list_pop(h_.get(), index, data.out(), &len, limit.seconds()));
        return data.str(len);
    }

    // len(l).
    std::size_t size(timeout limit = forever) const {
        std::size_t n = 0;
        detail::check(mproc_list_len(h_.get(), &n, limit.seconds()));
        return n;
    }
    bool empty(timeout limit = forever) const { return size(limit) == 0; }

    // l[start:stop], a snapshot.
    std::vector<std::string> slice(long long start, long long stop = end,
                                   timeout limit = forever) const {
        detail::c_memory data;
        std::size_t len = 0, count = 0;
        detail::check(
            mproc_list_slice(h_.get(), start, stop, data.out(), &len, &count, limit.seconds()));
        return detail::records(data, len, count);
    }

    // list(l), a snapshot.
    std::vector<std::string> to_vector(timeout limit = forever) const {
        return slice(0, end, limit);
    }

    // l[start:stop] = items: replaces the clamped range by `items` (any range of things a
    // std::string_view is made from; it may have another length), all or nothing.
    template <class Range>
    void set_slice(long long start, long long stop, const Range &items, timeout limit = forever) {
        const std::vector<mproc_bytes_t> b = detail::c_bytes_of(items);
        detail::check(
            mproc_list_set_slice(h_.get(), start, stop, b.data(), b.size(), limit.seconds()));
    }
    void set_slice(long long start, long long stop, std::initializer_list<std::string_view> items,
                   timeout limit = forever) {
        set_slice<decltype(items)>(start, stop, items, limit);
    }

    // del l[start:stop].
    void erase(long long start, long long stop, timeout limit = forever) {
        detail::check(mproc_list_set_slice(h_.get(), start, stop, nullptr, 0, limit.seconds()));
    }

    // l.clear().
    void clear(timeout limit = forever) { erase(0, end, limit); }

    // The list's lock as a guard, as Dict::hold.
    [[nodiscard]] std::unique_lock<List> hold(timeout limit = forever) {
        if (acquire(limit) == acquire_result::timed_out) {
            detail::throw_error(MPROC_ETIMEDOUT, "list '" + name() + "': hold: timed out");
        }
        return std::unique_lock<List>(*this, std::adopt_lock);
    }

    // The list's memory now.
    container_memory memory(timeout limit = forever) const {
        container_memory m;
        detail::check(
            mproc_list_memory(h_.get(), &m.capacity, &m.max_size, &m.free, limit.seconds()));
        return m;
    }

    std::string name() const { return detail::read_name(mproc_list_name, h_.get()); }
    mproc_list_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on it in other threads throw closed_error.
    void close() { h_.close(); }

  private:
    explicit List(mproc_list_t *h) noexcept : h_(h) {}

    static List make(const char *name, container_sizes sizes, unsigned int flags,
                     permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_list_t *h = nullptr;
        detail::check(mproc_list_create(name, sizes.initial, sizes.max, &opts, &h));
        return List(h);
    }

    detail::unique_handle<mproc_list_t, mproc_list_close> h_;
};

}  // namespace mproc
