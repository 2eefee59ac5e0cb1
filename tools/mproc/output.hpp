// Standard output, with the write error checked once at exit (as coreutils' close_stdout):
// `mproc ls > /dev/full` must fail, not exit 0 with nothing written.
#pragma once

#include <string_view>

namespace mproc::cli {

void write_stdout(std::string_view text);

// Flushes standard output; false (after printing "mproc: write error: ...") if any write
// failed.
bool finish_stdout();

}  // namespace mproc::cli
