// Command-line flags, GNU style: short flags that can be bundled (-fv), long flags
// (--force), flags and operands in any order, and "--" to end the flags (so that an
// operand may start with '-'). Every option of the tool is a flag: none takes a value.
#pragma once

#include <string>
#include <vector>

namespace mproc::cli {

struct Flag {
    char short_name;        // '\0' when the flag has no short form
    const char *long_name;  // without the leading "--"
    bool *value;            // set to true when the flag is given
};

struct ParsedArgs {
    std::vector<std::string> operands;
    bool help = false;  // --help was given (always accepted)
};

// Parses `args` (the words after the command name) against `flags`. On a usage error
// (an unknown flag, "--json=x") prints the message and the "Try" line, and returns false.
bool parse_args(const std::vector<std::string> &args, const std::vector<Flag> &flags,
                ParsedArgs &parsed);

}  // namespace mproc::cli
