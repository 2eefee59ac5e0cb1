// The commands of the tool. Each takes the words after its name and returns the exit
// status (exit_code.hpp); messages go to stderr, results to stdout (output.hpp).
#pragma once

#include <string>
#include <vector>

namespace mproc::cli {

using Args = std::vector<std::string>;

int run_ls(const Args &args);    // ls.cpp
int run_show(const Args &args);  // show.cpp
int run_rm(const Args &args);    // rm.cpp
int run_gc(const Args &args);    // gc.cpp

}  // namespace mproc::cli
