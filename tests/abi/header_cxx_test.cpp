// The public header compiles as C++ with every warning enabled (see CMakeLists), included
// first so that it is self-contained, and its functions have C linkage: a C++ program links
// against the C library without any extern "C" of its own.
#include "mproc/mproc.h"

// Again: the include guard makes the second inclusion a no-op.
#include "mproc/mproc.h"

#include <cstring>

int main() {
    mproc_options_t opts;
    if (mproc_options_init(&opts) != MPROC_OK) return 1;
    return std::strcmp(mproc_version(), MPROC_VERSION_STRING) == 0 ? 0 : 1;
}
