// An inspected object as a JSON object, for `mproc ls --json` and `mproc show --json`.
#pragma once

#include <string>
#include <vector>

#include "json_writer.hpp"
#include "mproc/mproc.h"

namespace mproc::cli {

// Writes every field of mproc_object_info_t except `size` (the struct's ABI size, not a
// property of the object), under the C struct's names, plus "status_name" (the code's
// name, "MPROC_OK"). Liveness fields are true, false or null (cannot tell); users is null
// when /proc could not tell; holder_alive is null when nobody holds the lock.
void write_object_json(JsonWriter &json, const mproc_object_info_t &info);

// The objects as one JSON array of such objects: the --json output of ls and show.
std::string objects_json(const std::vector<mproc_object_info_t> &objects);

}  // namespace mproc::cli
