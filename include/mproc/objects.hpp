// mproc/objects.hpp -- listing, inspecting and removing named objects of any kind, for
// operators and tools (what the `mproc` command-line tool does): the C++ face of the
// mproc_object_* calls. Nothing here opens an object as its kind or changes it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"

namespace mproc {

// What the library reports of one object: see mproc_object_info_t in mproc.h for every
// field (kind, creator and whether it lives, users, holder, depth and capacity, counters).
// A file that is not a valid object is still described: `status` says why (MPROC_EKIND,
// MPROC_EVERSION, MPROC_ECORRUPT) and `problem` in words.
using object_info = mproc_object_info_t;

// The names of the objects in /dev/shm, sorted. Throws mproc::error.
inline std::vector<std::string> object_names() {
    std::vector<char> buf;
    std::size_t len = 0;
    for (;;) {
        const int rc = mproc_object_names(buf.data(), buf.size(), &len);
        if (rc == MPROC_OK) break;
        if (rc != MPROC_ETOOBIG) detail::check(rc);
        buf.resize(len + 256);  // names may appear between the two calls
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < len;) {
        names.emplace_back(buf.data() + i);
        i += names.back().size() + 1;
    }
    return names;
}

// The state of the object called `name`, whatever its kind. Non-blocking. Throws
// not_found_error, permission_error, invalid_argument_error (bad name).
inline object_info inspect_object(std::string_view name) {
    object_info info;
    detail::check(mproc_object_info_init(&info));
    detail::check(mproc_object_inspect(detail::c_name(name).c_str(), &info));
    return info;
}

// Removes the name, whatever it holds; processes that have it open keep using it.
// Throws not_found_error, permission_error, invalid_argument_error.
inline void remove_object(std::string_view name) {
    detail::check(mproc_object_remove(detail::c_name(name).c_str()));
}

}  // namespace mproc
