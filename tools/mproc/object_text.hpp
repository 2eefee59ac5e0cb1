// An inspected object in words, for the table of `mproc ls` and the lines of `mproc show`.
#pragma once

#include <string>

#include "mproc/mproc.h"

namespace mproc::cli {

// A liveness field (1, 0, -1) as "yes", "no" or "?".
std::string alive_word(int alive);

// Permission bits as four octal digits ("0600").
std::string mode_string(unsigned int mode);

// "ok", or the code's name ("MPROC_EKIND") when the object is not valid.
std::string status_word(int status);

// What the object holds now, by kind: "3/8" for a queue (messages/maxsize), "held by 123"
// or "free" for a lock, "value 2" for a semaphore, "set" or "clear" for an event,
// "1/3 waiting" for a barrier, "5 items" for a dict... For an object that is not valid,
// what is wrong with it.
std::string object_detail(const mproc_object_info_t &info);

// The lines of `mproc show`: every field as "key: value", grouped (identity, creator,
// state, counters).
std::string object_lines(const mproc_object_info_t &info);

}  // namespace mproc::cli
