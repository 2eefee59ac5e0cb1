// The misbehaving peer: another "process" that maps an object's file itself and scribbles
// on it, or changes the file's size while nobody has it mapped.
#pragma once

#include <cstddef>
#include <string>

#include "fuzz_input.hpp"

namespace mproc_fuzz {

// /dev/shm/mproc.<name>
std::string object_path(const std::string &name);

// Overwrites 1, 2, 4 or 8 bytes of the file at an offset taken from the input, with
// bytes from the input or an "interesting" value (0, all ones, our pid, the file size,
// the header's magic...). `limit` bounds the offsets (0 = the whole file): a container's
// Boost heap is left alone unless asked (see segment_fuzzer.cpp). Nothing if the file
// is gone.
void peer_write(const std::string &name, Input &in, std::size_t limit);

// Truncates or extends the file to a size from the input. Only while no handle of this
// process maps it: shrinking a mapped file is SIGBUS for whoever touches the lost pages
// (a documented limit, not a bug).
void peer_resize(const std::string &name, Input &in);

// Removes the file if it exists.
void peer_unlink(const std::string &name);

}  // namespace mproc_fuzz
