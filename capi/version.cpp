#include "mproc/mproc.h"

extern "C" {

const char *mproc_version(void) {
    return MPROC_VERSION_STRING;
}

int mproc_version_number(void) {
    return MPROC_VERSION_NUMBER;
}

}  // extern "C"
