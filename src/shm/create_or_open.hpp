// create_or_open: creation with open_existing for kinds whose size is chosen at creation
// (Value and Array, Dict and List). Segment::create's own open_existing would open with
// this object's size and so refuse an existing object of another size: this creates
// exclusively and, if the name is taken, opens the object there by kind, whatever its
// size. An object unlinked between the two steps is simply created again.
#pragma once

#include <string_view>

#include "error.hpp"
#include "shm/segment.hpp"

namespace mproc::core::shm {

// create(exclusive) creates the object with `options` less open_existing; open() opens the
// existing one; both return the object, which this returns. Without options.open_existing
// (or for an anonymous object) create's errors propagate, kExists included. Throws what
// open throws but kNotFound, and kNotFound after 100 rounds of create and open that each
// lost a race.
template <typename Create, typename Open>
auto create_or_open(std::string_view name, const CreateOptions &options, Create &&create,
                    Open &&open) {
    CreateOptions exclusive = options;
    exclusive.open_existing = false;
    for (int attempt = 0;; ++attempt) {
        try {
            return create(exclusive);
        } catch (const Error &e) {
            if (!options.open_existing || name.empty() || e.status() != kExists) throw;
        }
        try {
            return open();
        } catch (const Error &e) {
            if (e.status() != kNotFound || attempt >= 100) throw;
        }
    }
}

}  // namespace mproc::core::shm
