#include "diagnostics.hpp"

#include <cstdio>

#include "mproc/mproc.h"

namespace mproc::cli {

void print_error(const std::string &message) {
    std::fprintf(stderr, "%s: %s\n", kProgramName, message.c_str());
}

void print_usage_error(const std::string &message) {
    print_error(message);
    std::fprintf(stderr, "Try '%s --help' for more information.\n", kProgramName);
}

std::string quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f || c == '\\') {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            out += escaped;
        } else {
            out += c;
        }
    }
    out += "'";
    return out;
}

std::string reason_for(int code) {
    switch (code) {
        case MPROC_ENOTFOUND:
            return "no such object";
        case MPROC_EPERM:
            return "permission denied";
        default:
            break;
    }
    // The library's message is the precise one (an invalid name says which character, a
    // system error its errno); the code's sentence is the fallback if there is none.
    std::string message = mproc_last_error();
    return message.empty() ? std::string(mproc_strerror(code)) : message;
}

void report_failure(const char *verb, std::string_view name, int code) {
    print_error(std::string("cannot ") + verb + " " + quote(name) + ": " + reason_for(code));
}

}  // namespace mproc::cli
