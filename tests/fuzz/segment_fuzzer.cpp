// The fuzz target: LLVMFuzzerTestOneInput reads its input as a program over one mproc
// object (see program.hpp). Byte 0 picks the kind; the rest is creation arguments, calls
// through the C ABI with arguments from the input, and a peer's writes into the object's
// file. Any status outside the header's codes, a failure without a message, a size past
// a buffer, a crash or a hang (the standalone driver's alarm) is a finding.
//
// A container's Boost heap holds offset pointers that nothing validates (a documented
// limit): the peer writes only its header page, unless MPROC_FUZZ_HEAP=1 asks for the
// whole file.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "program.hpp"

namespace {

std::string fresh_name() {
    static unsigned counter = 0;
    return "fz" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

std::size_t container_poke_limit() {
    static const bool whole = [] {
        const char *env = std::getenv("MPROC_FUZZ_HEAP");
        return env != nullptr && env[0] == '1';
    }();
    return whole ? 0 : 4096;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    mproc_fuzz::Input in(data, size);
    const unsigned kind = in.u8() % 16;
    const std::string name = fresh_name();
    if (kind < 9) {
        mproc_fuzz::run_sync_program(kind, name, in);
    } else if (kind < 14) {
        mproc_fuzz::run_data_program(kind - 9, name, in);
    } else {
        mproc_fuzz::run_container_program(kind - 14, name, in, container_poke_limit());
    }
    return 0;
}
