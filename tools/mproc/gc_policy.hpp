// Which objects `mproc gc` removes: garbage is an object whose creator is dead and that no
// process maps, so that nobody can be using it or come back to it. Anything the tool
// cannot be sure about is kept: liveness that cannot be told (another pid namespace),
// users that /proc cannot tell, and files that are not valid objects (an operator
// removes those with `mproc rm`, after a look).
#pragma once

#include <string>

#include "mproc/mproc.h"

namespace mproc::cli {

struct GcVerdict {
    bool remove;
    bool invalid;        // kept because the file is not a valid object
    std::string reason;  // why, in words ("creator 123 is dead and no process maps it")
};

GcVerdict gc_verdict(const mproc_object_info_t &info);

}  // namespace mproc::cli
