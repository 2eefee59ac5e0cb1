#include "container/dict.hpp"

#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/member.hpp>
#include <boost/multi_index/sequenced_index.hpp>
#include <boost/multi_index_container.hpp>

#include <cstdint>
#include <iterator>
#include <string>

#include "container/shm_string.hpp"

namespace mproc::core::container {

namespace {

namespace mi = boost::multi_index;

struct Entry {
    Entry(std::string_view k, std::string_view v, const Allocator<char> &alloc)
        : key(k.data(), k.size(), alloc), value(v.data(), v.size(), alloc) {}
    ShmString key;
    // Not part of the index's key, so it may change in place (the key's place stays).
    mutable ShmString value;
};

// FNV-1a, 64 bits: fixed, unseeded and the same in every process and every build, as it
// must be for a table that several processes read (std::hash promises neither).
struct KeyHash {
    std::size_t operator()(std::string_view s) const noexcept {
        std::uint64_t h = 0xcbf29ce484222325ull;
        for (unsigned char c : s) {
            h ^= c;
            h *= 0x100000001b3ull;
        }
        return static_cast<std::size_t>(h);
    }
    std::size_t operator()(const ShmString &s) const noexcept { return (*this)(view(s)); }
};

struct KeyEqual {
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
    bool operator()(const ShmString &a, const ShmString &b) const noexcept {
        return view(a) == view(b);
    }
    bool operator()(std::string_view a, const ShmString &b) const noexcept { return a == view(b); }
    bool operator()(const ShmString &a, std::string_view b) const noexcept { return view(a) == b; }
};

// Keys hashed for lookup, and a sequence for Python's insertion order.
using Table = mi::multi_index_container<
    Entry,
    mi::indexed_by<mi::hashed_unique<mi::member<Entry, ShmString, &Entry::key>, KeyHash, KeyEqual>,
                   mi::sequenced<>>,
    Allocator<Entry>>;

Table &table(void *root) noexcept {
    return *static_cast<Table *>(root);
}

Table::iterator find(Table &t, std::string_view key) {
    return t.find(key, KeyHash{}, KeyEqual{});
}

void put(Table &t, SegmentManager &manager, std::string_view key, std::string_view value) {
    auto it = find(t, key);
    if (it != t.end()) {
        it->value.assign(value.data(), value.data() + value.size());
    } else {
        t.emplace(key, value, Allocator<char>(&manager));
    }
}

void *make_table(SegmentManager &manager) {
    return manager.construct<Table>(bip::anonymous_instance)(Table::ctor_args_list(),
                                                             Allocator<Entry>(&manager));
}

}  // namespace

SharedDict SharedDict::create(std::string_view name, const HeapSizes &sizes,
                              const shm::CreateOptions &options) {
    return SharedDict(MirroredHeap::create(name, shm::Kind::kDict, sizes, options, make_table));
}

SharedDict SharedDict::open(std::string_view name) {
    return SharedDict(MirroredHeap::open(name, shm::Kind::kDict));
}

void SharedDict::unlink(std::string_view name) {
    MirroredHeap::unlink(name, shm::Kind::kDict);
}

void SharedDict::check_key(std::string_view key, const char *verb) const {
    if (key.size() > kMaxKey) {
        throw Error(kTooBig, "dict '" + name() + "': " + verb + ": a key of " +
                                 std::to_string(key.size()) + " bytes is over the limit of " +
                                 std::to_string(kMaxKey));
    }
}

Status SharedDict::set(std::string_view key, std::string_view value,
                       const sync::Deadline &deadline) {
    check_key(key, "set");
    return heap_.write(deadline, [&](SegmentManager &manager, void *root, bool) {
        put(table(root), manager, key, value);
        return kOk;
    });
}

Status SharedDict::get(std::string_view key, BytesOut out, const sync::Deadline &deadline) {
    check_key(key, "get");
    Status found = kOk;
    Status s = heap_.read(deadline, [&](void *root) {
        Table &t = table(root);
        auto it = find(t, key);
        if (it == t.end()) {
            found = kNotFound;
        } else {
            out(view(it->value));
        }
    });
    return s != kOk ? s : found;
}

Status SharedDict::contains(std::string_view key, bool *found, const sync::Deadline &deadline) {
    check_key(key, "contains");
    return heap_.read(deadline, [&](void *root) {
        Table &t = table(root);
        *found = find(t, key) != t.end();
    });
}

Status SharedDict::setdefault(std::string_view key, std::string_view value, bool *inserted,
                              BytesOut out, const sync::Deadline &deadline) {
    check_key(key, "setdefault");
    Status s = heap_.write(deadline, [&](SegmentManager &manager, void *root, bool primary) {
        Table &t = table(root);
        auto it = find(t, key);
        if (it != t.end()) {
            if (out) out(view(it->value));
            return kExists;  // nothing changed: copy B is left alone
        }
        t.emplace(key, value, Allocator<char>(&manager));
        if (primary && out) out(value);
        return kOk;
    });
    if (s == kOk || s == kExists) {
        if (inserted != nullptr) *inserted = s == kOk;
        return kOk;
    }
    return s;
}

Status SharedDict::pop(std::string_view key, BytesOut out, const sync::Deadline &deadline) {
    check_key(key, "pop");
    return heap_.write(deadline, [&](SegmentManager &, void *root, bool primary) {
        Table &t = table(root);
        auto it = find(t, key);
        if (it == t.end()) return kNotFound;
        if (primary && out) out(view(it->value));
        t.erase(it);
        return kOk;
    });
}

Status SharedDict::popitem(ItemOut out, const sync::Deadline &deadline) {
    return heap_.write(deadline, [&](SegmentManager &, void *root, bool primary) {
        auto &order = table(root).get<1>();
        if (order.empty()) return kEmpty;
        auto last = std::prev(order.end());
        if (primary && out) out(view(last->key), view(last->value));
        order.erase(last);
        return kOk;
    });
}

Status SharedDict::size(std::size_t *n, const sync::Deadline &deadline) {
    return heap_.read(deadline, [&](void *root) { *n = table(root).size(); });
}

Status SharedDict::clear(const sync::Deadline &deadline) {
    return heap_.write(deadline, [&](SegmentManager &, void *root, bool) {
        table(root).clear();
        return kOk;
    });
}

Status SharedDict::update(const Item *items, std::size_t n, const sync::Deadline &deadline) {
    for (std::size_t i = 0; i < n; ++i) {
        check_key(items[i].first, "update");
    }
    if (n == 0) return heap_.read(deadline, [](void *) {});
    return heap_.write(deadline, [&](SegmentManager &manager, void *root, bool) {
        Table &t = table(root);
        for (std::size_t i = 0; i < n; ++i) {
            put(t, manager, items[i].first, items[i].second);
        }
        return kOk;
    });
}

Status SharedDict::for_each(ItemOut out, const sync::Deadline &deadline) {
    return heap_.read(deadline, [&](void *root) {
        for (const Entry &e : table(root).get<1>()) {
            out(view(e.key), view(e.value));
        }
    });
}

}  // namespace mproc::core::container
