// How the tool talks about failures, coreutils style: "mproc: cannot remove 'x': no such
// object" on stderr, and the exit status says whether anything failed (see exit_code.hpp).
#pragma once

#include <string>
#include <string_view>

namespace mproc::cli {

// The name every message starts with (fixed, whatever argv[0] is: scripts grep for it).
inline constexpr const char *kProgramName = "mproc";

// Writes "mproc: <message>\n" to stderr.
void print_error(const std::string &message);

// Writes "mproc: <message>\nTry 'mproc --help' for more information.\n" to stderr: what
// every usage error prints before the tool exits with kExitUsage.
void print_usage_error(const std::string &message);

// `text` between single quotes, with bytes that are not printable ASCII shown as \xNN, so
// that a hostile operand (a newline, an escape sequence) cannot forge or garble output.
std::string quote(std::string_view text);

// Why a call of the C ABI failed, in words: short phrases for the common cases, else the
// library's own message (mproc_last_error(), which names the cause and the errno).
std::string reason_for(int code);

// "mproc: cannot <verb> '<name>': <reason_for(code)>" on stderr.
void report_failure(const char *verb, std::string_view name, int code);

}  // namespace mproc::cli
