/* The public header compiles as strict C99 with every warning enabled (see CMakeLists),
 * included first so that it is self-contained, and twice so that its guard works. */
#include "mproc/mproc.h"

/* Again: the include guard makes the second inclusion a no-op. */
#include "mproc/mproc.h"

#include <string.h>

int main(void) {
    /* Linking and calling proves the declarations match the library. */
    return strcmp(mproc_version(), MPROC_VERSION_STRING) == 0 ? 0 : 1;
}
