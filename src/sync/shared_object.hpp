// What every synchronisation object has: a mapped segment, its typed layout, a wait gate
// for close(), and the create / open / unlink plumbing. `Layout` is a struct that starts
// with an shm::ObjectHeader and has a static `type()` describing it.
#pragma once

#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "shm/segment.hpp"
#include "sync/wait_gate.hpp"

namespace mproc::core::sync {

template <typename Layout>
class SharedObject {
  public:
    static void unlink(std::string_view name) { shm::Segment::unlink(name, Layout::type()); }

    // The object's name (generated for an anonymous object).
    const std::string &name() const noexcept { return segment_.name(); }

  protected:
    explicit SharedObject(shm::Segment segment)
        : segment_(std::move(segment)), layout_(static_cast<Layout *>(segment_.base())) {}

    SharedObject(SharedObject &&other) noexcept
        : segment_(std::move(other.segment_)),
          layout_(std::exchange(other.layout_, nullptr)),
          gate_(std::move(other.gate_)) {}

    // Creates the segment with a value-initialised Layout, then lets `setup` set the
    // creation arguments, before anybody else can see it.
    template <typename Setup>
    static shm::Segment create_segment(std::string_view name, const shm::CreateOptions &options,
                                       Setup &&setup) {
        return shm::Segment::create(name, Layout::type(), options, [&](void *base) {
            Layout *layout = new (base) Layout{};
            setup(*layout);
        });
    }

    static shm::Segment open_segment(std::string_view name) {
        return shm::Segment::open(name, Layout::type());
    }

    shm::Segment segment_;
    Layout *layout_;
    WaitGate gate_;
};

}  // namespace mproc::core::sync
