// --help and --version.
#pragma once

namespace mproc::cli {

// The manual of the tool, on stdout.
void print_help();

// "mproc <library version>", on stdout.
void print_version();

}  // namespace mproc::cli
