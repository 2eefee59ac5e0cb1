// The root types below repeat those of container/dict.cpp and container/list.cpp (which
// keep them private): only their layout matters here, and only the size field of the
// container is read. They must stay the same types as there; the dict and list tests of
// inspect_test.cpp check the counts they give.
#include "inspect/container_items.hpp"

#include <boost/interprocess/containers/vector.hpp>
#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/member.hpp>
#include <boost/multi_index/sequenced_index.hpp>
#include <boost/multi_index_container.hpp>

#include <cstddef>
#include <string_view>

#include "container/shm_string.hpp"

namespace mproc::core::inspect {

namespace {

using container::Allocator;
using container::ShmString;
namespace mi = boost::multi_index;

// As dict.cpp's Entry, KeyHash and KeyEqual: the functors are empty, so only their
// emptiness matters to the layout; they are never called here.
struct Entry {
    ShmString key;
    mutable ShmString value;
};
struct KeyHash {
    std::size_t operator()(const ShmString &) const noexcept { return 0; }
};
struct KeyEqual {
    bool operator()(const ShmString &, const ShmString &) const noexcept { return false; }
};
using DictRoot = mi::multi_index_container<
    Entry,
    mi::indexed_by<mi::hashed_unique<mi::member<Entry, ShmString, &Entry::key>, KeyHash, KeyEqual>,
                   mi::sequenced<>>,
    Allocator<Entry>>;

// As list.cpp's Items.
using ListRoot = container::bip::vector<ShmString, Allocator<ShmString>>;

template <typename Root>
bool root_size(const BoundedView &view, std::uint64_t root_at, std::uint64_t *items) noexcept {
    const void *p = view.at(root_at, sizeof(Root));
    if (p == nullptr || reinterpret_cast<std::uintptr_t>(p) % alignof(Root) != 0) return false;
    // size() returns a member: no offset pointer is followed.
    *items = static_cast<const Root *>(p)->size();
    return true;
}

}  // namespace

bool container_items(const BoundedView &view, shm::Kind kind, std::uint64_t root_at,
                     std::uint64_t *items) noexcept {
    if (kind == shm::Kind::kDict) return root_size<DictRoot>(view, root_at, items);
    if (kind == shm::Kind::kList) return root_size<ListRoot>(view, root_at, items);
    return false;
}

}  // namespace mproc::core::inspect
