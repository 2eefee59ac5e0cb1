// The byte strings that Dict and List keep inside their heaps.
#pragma once

#include <boost/interprocess/containers/string.hpp>

#include <string>
#include <string_view>

#include "container/mirrored_heap.hpp"

namespace mproc::core::container {

using ShmString = bip::basic_string<char, std::char_traits<char>, Allocator<char>>;

inline std::string_view view(const ShmString &s) noexcept {
    return std::string_view(s.data(), s.size());
}

}  // namespace mproc::core::container
