// mproc/shared_value.hpp -- mproc::Value<T> and mproc::Array<T>, typed shared memory like
// multiprocessing.Value and multiprocessing.Array, with an optional lock of their own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/lockable.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {
namespace detail {

// The Python type code of item type T, or 0 when T has none. 'l' / 'L' are 64-bit in the
// C ABI, so `long` maps to them only where it is 64 bits wide.
template <class T>
struct typecode_of : std::integral_constant<char, 0> {};
template <>
struct typecode_of<char> : std::integral_constant<char, 'c'> {};
template <>
struct typecode_of<signed char> : std::integral_constant<char, 'b'> {};
template <>
struct typecode_of<unsigned char> : std::integral_constant<char, 'B'> {};
template <>
struct typecode_of<short> : std::integral_constant<char, 'h'> {};
template <>
struct typecode_of<unsigned short> : std::integral_constant<char, 'H'> {};
template <>
struct typecode_of<int> : std::integral_constant<char, 'i'> {};
template <>
struct typecode_of<unsigned int> : std::integral_constant<char, 'I'> {};
template <>
struct typecode_of<long> : std::integral_constant<char, sizeof(long) == 8 ? 'l' : 0> {};
template <>
struct typecode_of<unsigned long>
    : std::integral_constant<char, sizeof(unsigned long) == 8 ? 'L' : 0> {};
template <>
struct typecode_of<long long> : std::integral_constant<char, 'q'> {};
template <>
struct typecode_of<unsigned long long> : std::integral_constant<char, 'Q'> {};
template <>
struct typecode_of<float> : std::integral_constant<char, 'f'> {};
template <>
struct typecode_of<double> : std::integral_constant<char, 'd'> {};
template <>
struct typecode_of<wchar_t> : std::integral_constant<char, sizeof(wchar_t) == 4 ? 'u' : 0> {};

// Whether the atomic calls (fetch_add, compare_exchange) accept T: the integer type codes,
// which exclude 'c' (char) and 'u' (wchar_t), as in the C ABI.
template <class T>
inline constexpr bool is_atomic_item = std::is_integral_v<T> && !std::is_same_v<T, char> &&
                                       !std::is_same_v<T, wchar_t> && typecode_of<T>::value != 0;

// Whether an object of type code `actual` holds items of type code `expected`: the same
// code, or 'l'/'q' and 'L'/'Q', which are the same 64-bit integers.
constexpr bool same_layout(char actual, char expected) noexcept {
    auto norm = [](char c) { return c == 'l' ? 'q' : c == 'L' ? 'Q' : c; };
    return norm(actual) == norm(expected);
}

// Throws kind_error unless the object `name` of type code `actual` holds T items.
inline void check_typecode(const char *kind, const std::string &name, char actual, char expected) {
    if (!same_layout(actual, expected)) {
        throw_error(MPROC_EKIND, std::string(kind) + " '" + name + "' holds type code '" + actual +
                                     "', not '" + expected + "'");
    }
}

}  // namespace detail

// One item of type T in POSIX shared memory, attachable by name from any process (and from
// Python's mproc bindings), like multiprocessing.Value. T is one of char, signed/unsigned
// char, short, int, long (if 64-bit), long long (each signed or unsigned), float, double,
// wchar_t; any other T fails to compile. open() checks the stored type code.
//
// get() / set() take no lock, as in Python; fetch_add() and compare_exchange() (integer T)
// are atomic. A Value created with_lock carries an RLock, so Value is Lockable:
// std::lock_guard<mproc::Value<int>> makes a read-modify-write of several calls atomic. On
// a raw Value (with_lock = false) the lock calls throw invalid_argument_error. Move-only;
// the destructor closes the handle.
template <class T>
class Value
    : public detail::lockable<Value<T>, mproc_value_t, mproc_value_acquire, mproc_value_release> {
  public:
    static_assert(detail::typecode_of<T>::value != 0,
                  "mproc::Value<T>: T has no Python type code (see mproc/shared_value.hpp)");

    // The Python type code of T ('i' for int...).
    static constexpr char typecode = detail::typecode_of<T>::value;

    // Creates a Value set to `init`, carrying a lock unless with_lock is false. Throws
    // exists_error, invalid_argument_error, permission_error, system_error.
    static Value create(std::string_view name, T init = T(), bool with_lock = true,
                        permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), init, with_lock, 0, perms);
    }

    // Creates an anonymous Value (generated name, inherited by fork(), name removed when
    // this process closes it).
    static Value create(T init = T(), bool with_lock = true) {
        return make(nullptr, init, with_lock, 0, permissions());
    }

    // Opens the Value named `name`, creating it with `init` if there is none. Throws
    // kind_error if it holds another type.
    static Value create_or_open(std::string_view name, T init = T(), bool with_lock = true,
                                permissions perms = permissions()) {
        return checked(
            make(detail::c_name(name).c_str(), init, with_lock, MPROC_OPEN_EXISTING, perms));
    }

    // Opens an existing Value. Throws not_found_error, kind_error (another kind of object,
    // or a Value of another type), version_error.
    static Value open(std::string_view name) {
        mproc_value_t *h = nullptr;
        detail::check(mproc_value_open(detail::c_name(name).c_str(), &h));
        return checked(Value(h));
    }

    // Removes the name. Throws not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_value_unlink(detail::c_name(name).c_str()));
    }

    Value(Value &&) noexcept = default;
    Value &operator=(Value &&) noexcept = default;
    ~Value() = default;

    // Reads / writes the item (no lock taken).
    T get() const {
        T v{};
        detail::check(mproc_value_get(h_.get(), &v));
        return v;
    }
    void set(T v) { detail::check(mproc_value_set(h_.get(), &v)); }

    // The item in shared memory, for direct unsynchronised access.
    T *data() {
        void *p = nullptr;
        detail::check(mproc_value_data(h_.get(), &p));
        return static_cast<T *>(p);
    }

    // Atomically adds `delta` (wrapping as unsigned arithmetic does) and returns the value
    // before. Integer T only.
    T fetch_add(T delta) {
        static_assert(detail::is_atomic_item<T>, "fetch_add needs an integer item type");
        T previous{};
        detail::check(mproc_value_add(h_.get(), &delta, &previous));
        return previous;
    }

    // Atomically sets the item to `desired` if it equals `expected` and returns true; else
    // stores the current value in `expected` and returns false. Integer T only.
    bool compare_exchange(T &expected, T desired) {
        static_assert(detail::is_atomic_item<T>, "compare_exchange needs an integer item type");
        int swapped = 0;
        detail::check(mproc_value_compare_exchange(h_.get(), &expected, &desired, &swapped));
        return swapped != 0;
    }

    std::string name() const { return detail::read_name(mproc_value_name, h_.get()); }
    mproc_value_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on its lock in other threads throw closed_error.
    void close() { h_.close(); }

  private:
    explicit Value(mproc_value_t *h) noexcept : h_(h) {}

    static Value make(const char *name, T init, bool with_lock, unsigned int flags,
                      permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_value_t *h = nullptr;
        detail::check(mproc_value_create(name, typecode, &init, with_lock, &opts, &h));
        return Value(h);
    }

    // On a throw `v` closes the handle it was given.
    static Value checked(Value v) {
        char code = 0;
        detail::check(mproc_value_type(v.handle(), &code, nullptr));
        detail::check_typecode("value", v.name(), code, typecode);
        return v;
    }

    detail::unique_handle<mproc_value_t, mproc_value_close> h_;
};

// A fixed-length array of T items in POSIX shared memory, like multiprocessing.Array, with
// the same item types, lock and access rules as Value<T>. Indexes are checked by the
// library (invalid_argument_error when out of range). Move-only; the destructor closes the
// handle.
template <class T>
class Array
    : public detail::lockable<Array<T>, mproc_array_t, mproc_array_acquire, mproc_array_release> {
  public:
    static_assert(detail::typecode_of<T>::value != 0,
                  "mproc::Array<T>: T has no Python type code (see mproc/shared_value.hpp)");

    // The Python type code of T.
    static constexpr char typecode = detail::typecode_of<T>::value;

    // Creates an array of `length` (>= 1) zero items. Throws invalid_argument_error for a
    // zero length, too_big_error over 2^40 bytes, exists_error, permission_error.
    static Array create(std::string_view name, std::size_t length, bool with_lock = true,
                        permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), length, nullptr, with_lock, 0, perms);
    }

    // Creates an anonymous array of `length` zero items.
    static Array create(std::size_t length, bool with_lock = true) {
        return make(nullptr, length, nullptr, with_lock, 0, permissions());
    }

    // Creates an array holding a copy of `init` (its length is init.size(), >= 1). A name
    // of its own so that create(name, {5}) can never mean "five zeros" or "one five".
    static Array create_from(std::string_view name, const std::vector<T> &init,
                             bool with_lock = true, permissions perms = permissions()) {
        return make(detail::c_name(name).c_str(), init.size(), init.data(), with_lock, 0, perms);
    }

    // Creates an anonymous array holding a copy of `init`.
    static Array create_from(const std::vector<T> &init, bool with_lock = true) {
        return make(nullptr, init.size(), init.data(), with_lock, 0, permissions());
    }

    // Opens the array named `name`, creating it with `length` zeros if there is none (an
    // existing array keeps its length). Throws kind_error if it holds another type.
    static Array create_or_open(std::string_view name, std::size_t length, bool with_lock = true,
                                permissions perms = permissions()) {
        return checked(make(detail::c_name(name).c_str(), length, nullptr, with_lock,
                            MPROC_OPEN_EXISTING, perms));
    }

    // Opens an existing array. Throws not_found_error, kind_error (another kind of object,
    // or an array of another type), version_error.
    static Array open(std::string_view name) {
        mproc_array_t *h = nullptr;
        detail::check(mproc_array_open(detail::c_name(name).c_str(), &h));
        return checked(Array(h));
    }

    // Removes the name. Throws not_found_error, kind_error.
    static void unlink(std::string_view name) {
        detail::check(mproc_array_unlink(detail::c_name(name).c_str()));
    }

    Array(Array &&) noexcept = default;
    Array &operator=(Array &&) noexcept = default;
    ~Array() = default;

    // The number of items, fixed at creation.
    std::size_t size() const {
        std::size_t n = 0;
        detail::check(mproc_array_length(h_.get(), &n));
        return n;
    }

    // Item `index` (no lock taken). operator[] reads only: write with set().
    T get(std::size_t index) const {
        T v{};
        detail::check(mproc_array_get(h_.get(), index, &v));
        return v;
    }
    T operator[](std::size_t index) const { return get(index); }
    void set(std::size_t index, T v) { detail::check(mproc_array_set(h_.get(), index, &v)); }

    // Items [start, stop) copied out. Throws invalid_argument_error unless
    // start <= stop <= size().
    std::vector<T> get_slice(std::size_t start, std::size_t stop) const {
        std::vector<T> out(stop > start ? stop - start : 0);
        detail::check(mproc_array_get_slice(h_.get(), start, stop, out.data()));
        return out;
    }

    // Copies `items` into [start, start + items.size()).
    void set_slice(std::size_t start, const std::vector<T> &items) {
        detail::check(mproc_array_set_slice(h_.get(), start, start + items.size(), items.data()));
    }

    // All items copied out.
    std::vector<T> to_vector() const { return get_slice(0, size()); }

    // Item 0 in shared memory, for direct unsynchronised access to all size() items.
    T *data() {
        void *p = nullptr;
        detail::check(mproc_array_data(h_.get(), &p));
        return static_cast<T *>(p);
    }

    // As Value::fetch_add / compare_exchange, on item `index`. Integer T only.
    T fetch_add(std::size_t index, T delta) {
        static_assert(detail::is_atomic_item<T>, "fetch_add needs an integer item type");
        T previous{};
        detail::check(mproc_array_add(h_.get(), index, &delta, &previous));
        return previous;
    }
    bool compare_exchange(std::size_t index, T &expected, T desired) {
        static_assert(detail::is_atomic_item<T>, "compare_exchange needs an integer item type");
        int swapped = 0;
        detail::check(mproc_array_compare_exchange(h_.get(), index, &expected, &desired, &swapped));
        return swapped != 0;
    }

    std::string name() const { return detail::read_name(mproc_array_name, h_.get()); }
    mproc_array_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the handle now; calls blocked on its lock in other threads throw closed_error.
    void close() { h_.close(); }

  private:
    explicit Array(mproc_array_t *h) noexcept : h_(h) {}

    static Array make(const char *name, std::size_t length, const T *init, bool with_lock,
                      unsigned int flags, permissions perms) {
        const mproc_options_t opts = detail::make_options(flags, perms);
        mproc_array_t *h = nullptr;
        detail::check(mproc_array_create(name, typecode, length, init, with_lock, &opts, &h));
        return Array(h);
    }

    // On a throw `a` closes the handle it was given.
    static Array checked(Array a) {
        char code = 0;
        detail::check(mproc_array_type(a.handle(), &code, nullptr));
        detail::check_typecode("array", a.name(), code, typecode);
        return a;
    }

    detail::unique_handle<mproc_array_t, mproc_array_close> h_;
};

}  // namespace mproc
