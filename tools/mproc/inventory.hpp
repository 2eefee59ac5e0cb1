// The objects of /dev/shm, through the C ABI's operating calls (mproc_object_names,
// mproc_object_inspect, mproc_object_remove), with C++ containers. Each function returns
// the C ABI's code: 0 or a negative MPROC_E* (mproc_last_error() has the message).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mproc/mproc.h"

namespace mproc::cli {

// The names of every object, in byte order (a snapshot: a name may be gone when used).
int list_object_names(std::vector<std::string> &names);

// Fills `info` for `name` (initialising it first).
int inspect_object(std::string_view name, mproc_object_info_t &info);

// Removes the name `name`, whatever it holds.
int remove_object(std::string_view name);

// Anonymous objects ("anon.<pid>.<n>.<random>"): the names the library makes up for
// objects created without one. Their creator removes them when it closes them, so
// `mproc ls` shows them only with --all.
bool is_anonymous_name(std::string_view name);

}  // namespace mproc::cli
