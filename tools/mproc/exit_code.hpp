// The exit statuses of the tool, as coreutils uses them.
#pragma once

namespace mproc::cli {

inline constexpr int kExitOk = 0;       // everything asked for was done
inline constexpr int kExitFailure = 1;  // an operand or an operation failed
inline constexpr int kExitUsage = 2;    // the command line was wrong; nothing was done

}  // namespace mproc::cli
