#include "container/list.hpp"

#include <boost/interprocess/containers/vector.hpp>

#include <algorithm>

#include "container/shm_string.hpp"

namespace mproc::core::container {

namespace {

using Items = bip::vector<ShmString, Allocator<ShmString>>;

Items &items_of(void *root) noexcept {
    return *static_cast<Items *>(root);
}

void *make_items(SegmentManager &manager) {
    return manager.construct<Items>(bip::anonymous_instance)(Allocator<ShmString>(&manager));
}

// Python's rules for an index into a sequence of n items: negative counts from the end.
// false when it is out of range.
bool resolve_index(std::int64_t index, std::size_t n, std::size_t *at) noexcept {
    const auto size = static_cast<std::int64_t>(n);
    if (index < 0) index += size;
    if (index < 0 || index >= size) return false;
    *at = static_cast<std::size_t>(index);
    return true;
}

// Python's clamping of a slice bound (and of list.insert's index) to [0, n].
std::size_t clamp_bound(std::int64_t bound, std::size_t n) noexcept {
    const auto size = static_cast<std::int64_t>(n);
    if (bound < 0) bound = std::max<std::int64_t>(bound + size, 0);
    return static_cast<std::size_t>(std::min(bound, size));
}

// Items are built in place at the end of the vector, never moved in from a temporary (as
// insert or emplace in the middle do): a short string's unused inline bytes would come
// from this process's stack, and the copies would differ in them. Harmless, but the two
// copies are meant to stay byte-identical. Moving items inside the heap (erase, rotate)
// moves heap bytes only, the same in both copies.
void append_item(Items &v, SegmentManager &manager, std::string_view item) {
    v.emplace_back(item.data(), item.size(), Allocator<char>(&manager));
}

// Moves the items from `from` to the end so that they start at `at`.
void rotate_into_place(Items &v, std::size_t at, std::size_t from) {
    std::rotate(v.begin() + static_cast<std::ptrdiff_t>(at),
                v.begin() + static_cast<std::ptrdiff_t>(from), v.end());
}

}  // namespace

SharedList SharedList::create(std::string_view name, const HeapSizes &sizes,
                              const shm::CreateOptions &options) {
    return SharedList(MirroredHeap::create(name, shm::Kind::kList, sizes, options, make_items));
}

SharedList SharedList::open(std::string_view name) {
    return SharedList(MirroredHeap::open(name, shm::Kind::kList));
}

void SharedList::unlink(std::string_view name) {
    MirroredHeap::unlink(name, shm::Kind::kList);
}

Status SharedList::append(std::string_view item, const sync::Deadline &deadline) {
    return heap_.write(deadline, [&](SegmentManager &manager, void *root, bool) {
        append_item(items_of(root), manager, item);
        return kOk;
    });
}

Status SharedList::extend(const std::string_view *items, std::size_t n,
                          const sync::Deadline &deadline) {
    if (n == 0) return heap_.read(deadline, [](void *) {});
    return heap_.write(deadline, [&](SegmentManager &manager, void *root, bool) {
        Items &v = items_of(root);
        v.reserve(v.size() + n);
        for (std::size_t i = 0; i < n; ++i) {
            append_item(v, manager, items[i]);
        }
        return kOk;
    });
}

Status SharedList::get(std::int64_t index, BytesOut out, const sync::Deadline &deadline) {
    Status found = kOk;
    Status s = heap_.read(deadline, [&](void *root) {
        const Items &v = items_of(root);
        std::size_t at;
        if (!resolve_index(index, v.size(), &at)) {
            found = kNotFound;
        } else {
            out(view(v[at]));
        }
    });
    return s != kOk ? s : found;
}

Status SharedList::set(std::int64_t index, std::string_view item, const sync::Deadline &deadline) {
    return heap_.write(deadline, [&](SegmentManager &, void *root, bool) {
        Items &v = items_of(root);
        std::size_t at;
        if (!resolve_index(index, v.size(), &at)) return kNotFound;
        v[at].assign(item.data(), item.data() + item.size());
        return kOk;
    });
}

Status SharedList::insert(std::int64_t index, std::string_view item,
                          const sync::Deadline &deadline) {
    return heap_.write(deadline, [&](SegmentManager &manager, void *root, bool) {
        Items &v = items_of(root);
        const std::size_t at = clamp_bound(index, v.size());
        append_item(v, manager, item);
        rotate_into_place(v, at, v.size() - 1);
        return kOk;
    });
}

Status SharedList::pop(std::int64_t index, BytesOut out, const sync::Deadline &deadline) {
    return heap_.write(deadline, [&](SegmentManager &, void *root, bool primary) {
        Items &v = items_of(root);
        std::size_t at;
        if (!resolve_index(index, v.size(), &at)) return kNotFound;
        if (primary && out) out(view(v[at]));
        v.erase(v.begin() + static_cast<std::ptrdiff_t>(at));
        return kOk;
    });
}

Status SharedList::size(std::size_t *n, const sync::Deadline &deadline) {
    return heap_.read(deadline, [&](void *root) { *n = items_of(root).size(); });
}

Status SharedList::slice(std::int64_t start, std::int64_t stop, BytesOut out,
                         const sync::Deadline &deadline) {
    return heap_.read(deadline, [&](void *root) {
        const Items &v = items_of(root);
        const std::size_t first = clamp_bound(start, v.size());
        const std::size_t last = std::max(first, clamp_bound(stop, v.size()));
        for (std::size_t i = first; i < last; ++i) {
            out(view(v[i]));
        }
    });
}

Status SharedList::set_slice(std::int64_t start, std::int64_t stop, const std::string_view *items,
                             std::size_t n, const sync::Deadline &deadline) {
    Status s = heap_.write(deadline, [&](SegmentManager &manager, void *root, bool) {
        Items &v = items_of(root);
        const std::size_t first = clamp_bound(start, v.size());
        const std::size_t last = std::max(first, clamp_bound(stop, v.size()));
        if (first == last && n == 0) return kExists;  // nothing to do
        const std::size_t common = std::min(last - first, n);
        // Overwrite the items both ranges share, then erase what is left of the old range
        // or add what is left of the new items.
        for (std::size_t i = 0; i < common; ++i) {
            v[first + i].assign(items[i].data(), items[i].data() + items[i].size());
        }
        if (last - first > n) {
            v.erase(v.begin() + static_cast<std::ptrdiff_t>(first + common),
                    v.begin() + static_cast<std::ptrdiff_t>(last));
        } else if (n > common) {
            const std::size_t old_size = v.size();
            v.reserve(old_size + (n - common));
            for (std::size_t i = common; i < n; ++i) {
                append_item(v, manager, items[i]);
            }
            rotate_into_place(v, first + common, old_size);
        }
        return kOk;
    });
    return s == kExists ? kOk : s;
}

}  // namespace mproc::core::container
