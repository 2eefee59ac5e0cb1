#include "container/mirrored_heap.hpp"

#include <sys/mman.h>

#include <boost/interprocess/exceptions.hpp>
#include <boost/version.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

#include "shm/create_or_open.hpp"
#include "shm/object_counters.hpp"

namespace mproc::core::container {

namespace {

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

std::size_t round_to_page(std::size_t bytes) {
    return (bytes + kPageSize - 1) / kPageSize * kPageSize;
}

const char *label_of(shm::Kind kind) {
    return kind == shm::Kind::kDict ? "dict" : "list";
}

void check_kind(shm::Kind kind, const char *verb) {
    if (kind != shm::Kind::kDict && kind != shm::Kind::kList) {
        throw Error(kInvalid, std::string("container: ") + verb + ": not a dict or list kind");
    }
}

// Allocates the file's pages behind [at, at + bytes) now. tmpfs files are sparse: a page
// first written when /dev/shm is full raises SIGBUS; asking the kernel for the pages
// first turns that into an error we can report. Kernels without MADV_POPULATE_WRITE
// (before 5.14) skip the check.
bool populate(char *at, std::size_t bytes) noexcept {
    if (bytes == 0) return true;
    if (::madvise(at, bytes, MADV_POPULATE_WRITE) == 0) return true;
    return errno == EINVAL;
}

// Where a heap of this Boost puts the first object constructed in it: the root, which is
// never freed, so every dict and list has it there. A root_offset anywhere else is a
// peer's garbage, and would have the container code take a segment manager or a free
// block for its root.
std::uint64_t first_object_offset() {
    static const std::uint64_t offset = [] {
        alignas(kPageSize) static char scratch[kMinReservation];
        ManagedHeap heap(bip::create_only, scratch, sizeof scratch);
        auto *first = heap.construct<std::uint64_t>(bip::anonymous_instance)[4](0);
        return static_cast<std::uint64_t>(reinterpret_cast<char *>(first) - scratch);
    }();
    return offset;
}

}  // namespace

MirroredHeap::MirroredHeap(shm::Segment segment) : SharedObject(std::move(segment)) {
    const std::string what = describe() + ": open: ";
    const HeapLayout &layout = *layout_;
    if (layout.boost_version != BOOST_VERSION) {
        throw Error(kVersion, what + "made with Boost " + std::to_string(layout.boost_version) +
                                  ", this library uses Boost " + std::to_string(BOOST_VERSION) +
                                  " (the container format depends on it)");
    }
    const std::uint64_t reserved = layout.reserved_bytes;
    // The file is exactly the header page and the two reservations (create makes it so):
    // copy B starts where a heap does only if reserved_bytes is what create wrote, and
    // the mapping bounds the copies whatever the header says now (a peer may write it).
    const std::uint64_t size = segment_.size();
    const std::uint64_t root_offset = layout.root_offset;
    if (reserved < kMinReservation || reserved > kMaxReservation || reserved % kPageSize != 0 ||
        layout.header.size != size || size != kCopiesOffset + 2 * reserved ||
        root_offset != first_object_offset() || layout.phase.load() > kPhaseWritingB) {
        throw Error(kVersion, what + "corrupt " + label() + " header");
    }
    reserved_ = static_cast<std::size_t>(reserved);
    root_offset_ = static_cast<std::size_t>(root_offset);
    for (int copy = 0; copy < 2; ++copy) {
        ManagedHeap heap(bip::open_only, copy_base(copy), reserved_);
        managers_[copy] = heap.get_segment_manager();
    }
}

MirroredHeap MirroredHeap::create(std::string_view name, shm::Kind kind, const HeapSizes &sizes,
                                  const shm::CreateOptions &options,
                                  const std::function<void *(SegmentManager &)> &make_root) {
    check_kind(kind, "create");
    const std::string what = std::string(label_of(kind)) + ": create: ";
    const std::size_t max = sizes.max == 0 ? kDefaultMax : sizes.max;
    std::size_t initial = sizes.initial == 0 ? kDefaultInitial : sizes.initial;
    if (max > kMaxReservation) {
        throw Error(kTooBig, what + "max_size " + std::to_string(max) + " is over 2^40 bytes");
    }
    if (max < kMinReservation) {
        throw Error(kTooBig, what + "max_size " + std::to_string(max) + " is too small (at least " +
                                 std::to_string(kMinReservation) + " bytes)");
    }
    if (sizes.initial != 0 && sizes.initial > max) {
        throw Error(kInvalid, what + "initial_size " + std::to_string(sizes.initial) +
                                  " is over max_size " + std::to_string(max));
    }
    const std::size_t reserved = round_to_page(max);
    initial = std::min(std::max(round_to_page(initial), kMinReservation), reserved);
    const std::size_t total = kCopiesOffset + 2 * reserved;

    auto setup = [&](void *base) {
        auto *layout = new (base) HeapLayout{};
        layout->boost_version = BOOST_VERSION;
        layout->reserved_bytes = reserved;
        char *a = static_cast<char *>(base) + kCopiesOffset;
        char *b = a + reserved;
        if (!populate(a, initial) || !populate(b, initial)) {
            throw Error(kNoMemory,
                        what + "no room in /dev/shm for 2 x " + std::to_string(initial) + " bytes");
        }
        ManagedHeap heap(bip::create_only, a, initial);
        void *root = make_root(*heap.get_segment_manager());
        layout->root_offset = static_cast<std::uint64_t>(static_cast<char *>(root) - a);
        std::memcpy(b, a, initial);
    };
    // An existing object of the kind is opened whatever its sizes.
    return shm::create_or_open(
        name, options,
        [&](const shm::CreateOptions &exclusive) {
            try {
                return MirroredHeap(
                    shm::Segment::create(name, HeapLayout::type(kind, total), exclusive, setup));
            } catch (const bip::bad_alloc &) {
                throw Error(kTooBig, what + "initial_size " + std::to_string(initial) +
                                         " bytes is too small for an empty " + label_of(kind));
            }
        },
        [&] { return open(name, kind); });
}

MirroredHeap MirroredHeap::open(std::string_view name, shm::Kind kind) {
    check_kind(kind, "open");
    return MirroredHeap(shm::Segment::open(name, HeapLayout::type(kind)));
}

void MirroredHeap::unlink(std::string_view name, shm::Kind kind) {
    check_kind(kind, "unlink");
    shm::Segment::unlink(name, HeapLayout::type(kind));
}

const char *MirroredHeap::label() const noexcept {
    return label_of(static_cast<shm::Kind>(layout_->header.kind));
}

std::string MirroredHeap::describe() const {
    return std::string(label()) + " '" + name() + "'";
}

char *MirroredHeap::copy_base(int copy) const noexcept {
    return static_cast<char *>(segment_.base()) + kCopiesOffset +
           static_cast<std::size_t>(copy) * reserved_;
}

std::size_t MirroredHeap::capacity(int copy) const noexcept {
    return manager(copy).get_size();
}

Status MirroredHeap::enter(const sync::Deadline &deadline) noexcept {
    // A single call repairs a dead writer's copy and goes on: it is atomic either way.
    Status s = acquire(deadline);
    return s == kOwnerDead ? kOk : s;
}

void MirroredHeap::leave() noexcept {
    mutex().release();
}

Status MirroredHeap::acquire(const sync::Deadline &deadline) noexcept {
    Status s = mutex().try_enter();
    if (s == kTimedOut) {
        sync::WaitGate::Pass pass(gate_);
        s = shm::count_waited(layout_->header, mutex().acquire(deadline, &gate_));
    }
    // A dead writer's phase is repaired by the first caller to hold the lock after it.
    if ((s == kOk || s == kOwnerDead) &&
        layout_->phase.load(std::memory_order_acquire) != kPhaseIdle) {
        repair();
    }
    return s;
}

Status MirroredHeap::release() noexcept {
    return mutex().release();
}

// The phase word must reach memory before the stores to the copy it announces, and
// after the stores of the copy it retires. The reader is a process that takes the lock
// over from a dead writer, so what matters is the order of the writer's own stores: a
// release fence after the store orders it before every later store, for the price of a
// compiler barrier on x86 (where seq_cst stores would cost a full fence each, three per
// write). The lock's own acquire and release order everything for live processes.
// GCC does not support atomic_thread_fence under ThreadSanitizer: there a sequentially
// consistent store (a full fence on x86) gives the same order.
void MirroredHeap::set_phase(std::uint32_t phase) noexcept {
#if defined(__SANITIZE_THREAD__)
    layout_->phase.store(phase, std::memory_order_seq_cst);
#else
    std::atomic_thread_fence(std::memory_order_release);
    layout_->phase.store(phase, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
#endif
}

void MirroredHeap::copy_heap(int from, int to) noexcept {
    // The intact copy's own size says how much of it is in use; a size past the
    // reservation means the header was scribbled on, and copying would overrun.
    const std::size_t bytes = capacity(from);
    if (bytes > reserved_) return;
    std::memcpy(copy_base(to), copy_base(from), bytes);
}

void MirroredHeap::repair() noexcept {
    const std::uint32_t phase = layout_->phase.load(std::memory_order_acquire);
    if (phase == kPhaseWritingA) {
        copy_heap(1, 0);  // back to the state before the dead call
    } else if (phase == kPhaseWritingB) {
        copy_heap(0, 1);  // forward to the state after it
    } else {
        return;
    }
    set_phase(kPhaseIdle);
    layout_->recoveries.fetch_add(1, std::memory_order_relaxed);
}

bool MirroredHeap::grow(std::size_t needed) noexcept {
    const std::size_t now = capacity(0);
    const std::size_t reserved = reserved_;
    if (now >= reserved) return false;
    std::size_t target = std::max(needed, now * 2);
    target = std::min(round_to_page(target), reserved);
    const std::size_t extra = target - now;
    if (!populate(copy_base(0) + now, extra) || !populate(copy_base(1) + now, extra)) {
        return false;
    }
    // Growing changes each heap's header and free list: the same two phases as a write.
    set_phase(kPhaseWritingA);
    manager(0).grow(extra);
    set_phase(kPhaseWritingB);
    manager(1).grow(extra);
    set_phase(kPhaseIdle);
    layout_->growths.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void MirroredHeap::throw_no_room() const {
    const std::size_t now = capacity(0);
    if (now < reserved_) {
        throw Error(kNoMemory, describe() + ": no room in /dev/shm to grow past " +
                                   std::to_string(now) + " bytes");
    }
    throw Error(kFull, describe() + ": full: the change does not fit in its max_size of " +
                           std::to_string(reserved_) +
                           " bytes (nothing was changed; create it with a larger max_size)");
}

Status MirroredHeap::write_locked(const ChangeRef &change) {
    for (;;) {
        set_phase(kPhaseWritingA);
        Status status;
        bool out_of_room = false;
        try {
            status = change(manager(0), root(0), true);
        } catch (const bip::bad_alloc &) {
            out_of_room = true;
        } catch (const std::length_error &) {
            // Boost's containers check a request against the allocator's max_size (the
            // heap's size) before they allocate: the same "does not fit".
            out_of_room = true;
        } catch (...) {
            copy_heap(1, 0);
            set_phase(kPhaseIdle);
            throw;
        }
        if (out_of_room) {
            copy_heap(1, 0);
            set_phase(kPhaseIdle);
            if (grow(0)) continue;
            throw_no_room();
        }
        if (status != kOk) {
            // The change says it changed nothing: A equals B still.
            set_phase(kPhaseIdle);
            return status;
        }
        set_phase(kPhaseWritingB);
        try {
            change(manager(1), root(1), false);
        } catch (...) {
            // B held the same state as A, so the same change cannot fail there; if it
            // did, A holds the new state: make B equal to it.
            copy_heap(0, 1);
        }
        set_phase(kPhaseIdle);
        // Under the lock: a plain increment, no locked instruction on the hot path.
        layout_->writes.store(layout_->writes.load(std::memory_order_relaxed) + 1,
                              std::memory_order_relaxed);
        return kOk;
    }
}

Status MirroredHeap::memory(const sync::Deadline &deadline, HeapMemory *out) {
    return read(deadline, [&](void *) {
        out->capacity = capacity(0);
        out->max_size = reserved_;
        out->free = manager(0).get_free_memory();
        out->writes = layout_->writes.load(std::memory_order_relaxed);
        out->recoveries = layout_->recoveries.load(std::memory_order_relaxed);
        out->growths = layout_->growths.load(std::memory_order_relaxed);
    });
}

void MirroredHeap::close() noexcept {
    gate_.close([this] { mutex().wake_all(); });
}

}  // namespace mproc::core::container
