// mproc rm [-f|--force] [-v|--verbose] NAME...: removes each name, whatever it holds
// (any kind, another layout version, a damaged file), as rm(1) removes files.
#include <string>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "exit_code.hpp"
#include "inventory.hpp"
#include "options.hpp"
#include "output.hpp"
#include "usage.hpp"

namespace mproc::cli {

int run_rm(const Args &args) {
    bool force = false;
    bool verbose = false;
    ParsedArgs parsed;
    if (!parse_args(args, {{'f', "force", &force}, {'v', "verbose", &verbose}}, parsed)) {
        return kExitUsage;
    }
    if (parsed.help) {
        print_help();
        return kExitOk;
    }
    // As rm(1): "rm -f" with nothing to remove succeeds.
    if (parsed.operands.empty() && !force) {
        print_usage_error("missing operand");
        return kExitUsage;
    }

    int status = kExitOk;
    for (const std::string &name : parsed.operands) {
        const int rc = remove_object(name);
        if (rc == MPROC_OK) {
            if (verbose) write_stdout("removed " + quote(name) + "\n");
        } else if (!(rc == MPROC_ENOTFOUND && force)) {
            report_failure("remove", name, rc);
            status = kExitFailure;
        }
    }
    return status;
}

}  // namespace mproc::cli
