// Listing, inspecting and removing named objects of any kind, for operators: the C ABI's
// mproc_object_* calls and the `mproc` command-line tool. Nothing here opens an object as
// its kind: a file is mapped read-only and read with every offset checked against the
// file's size, no lock is taken and nothing is repaired, so inspecting an object that is
// in use, or a file full of garbage, is safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace mproc::core::inspect {

// 1 alive, 0 dead, -1 cannot tell (as the C ABI's liveness fields).
using Alive = int;

struct ObjectInfo {
    std::string name;        // without the "mproc." prefix
    std::uint32_t kind = 0;  // an shm::Kind, or 0 when the header is not valid
    std::string kind_name;   // "lock", ..., "unknown"
    Status status = kOk;     // kOk, kKind, kVersion or kCorrupt: see problem
    std::string problem;     // what is wrong with the object, empty when status is kOk
    std::uint32_t layout_version = 0;
    std::uint64_t bytes = 0;  // the file's size
    std::uint32_t mode = 0;   // permission bits
    std::uint32_t uid = 0;
    std::int32_t creator_pid = 0;
    std::uint64_t creator_start_time = 0;
    Alive creator_alive = -1;
    int users = -1;  // processes that map the file now; -1 unknown
    std::int32_t holder_pid = 0;
    Alive holder_alive = -1;
    std::uint64_t depth = 0;  // per kind: see mproc_object_info_t in mproc.h
    std::uint64_t capacity = 0;
    std::uint64_t puts = 0;
    std::uint64_t gets = 0;
    std::uint64_t waits = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t owner_dead = 0;
};

// The valid names of the "mproc.*" files in /dev/shm, sorted. Throws Error(kSystem).
std::vector<std::string> list_names();

// What the file of `name` holds. A file that is not a valid object is still reported
// (status and problem say why). Throws Error: kInvalid (bad name), kNotFound,
// kPermission, kSystem.
ObjectInfo inspect(std::string_view name);

// Removes the name whatever it holds. Throws Error: kInvalid, kNotFound, kPermission,
// kSystem.
void remove(std::string_view name);

}  // namespace mproc::core::inspect
