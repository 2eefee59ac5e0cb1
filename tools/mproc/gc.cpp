// mproc gc [--dry-run] [--json] [-v|--verbose] [NAME...]: removes the garbage objects
// (see gc_policy.hpp) among all objects, or among the NAMEs given. Prints "removed 'x'"
// (or "would remove 'x'") for each; -v also says why the others are kept; --json prints
// an array of {name, action, reason} for every object considered.
#include <algorithm>
#include <string>
#include <vector>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "exit_code.hpp"
#include "gc_policy.hpp"
#include "inventory.hpp"
#include "json_writer.hpp"
#include "options.hpp"
#include "output.hpp"
#include "usage.hpp"

namespace mproc::cli {

namespace {

struct Outcome {
    std::string name;
    std::string action;  // "removed", "would remove" or "kept"
    std::string reason;
};

struct GcOptions {
    bool dry_run = false;
    bool json = false;
    bool verbose = false;
};

// The text line for one outcome ("" if it prints none).
std::string outcome_line(const Outcome &outcome, bool invalid, bool verbose) {
    if (outcome.action != "kept") return outcome.action + " " + quote(outcome.name) + "\n";
    if (!verbose) return "";
    return std::string(invalid ? "skipped " : "kept ") + quote(outcome.name) + ": " +
           outcome.reason + "\n";
}

}  // namespace

int run_gc(const Args &args) {
    GcOptions options;
    ParsedArgs parsed;
    if (!parse_args(args,
                    {{'\0', "dry-run", &options.dry_run},
                     {'\0', "json", &options.json},
                     {'v', "verbose", &options.verbose}},
                    parsed)) {
        return kExitUsage;
    }
    if (parsed.help) {
        print_help();
        return kExitOk;
    }

    // With NAMEs, a missing or invalid one is an error; without, a name that is gone by
    // the time it is inspected was removed by someone else, which is no error.
    const bool explicit_names = !parsed.operands.empty();
    std::vector<std::string> names = parsed.operands;
    if (!explicit_names) {
        if (int rc = list_object_names(names); rc != MPROC_OK) {
            print_error("cannot list the objects: " + reason_for(rc));
            return kExitFailure;
        }
        std::sort(names.begin(), names.end());
    }

    int status = kExitOk;
    std::vector<Outcome> outcomes;
    for (const std::string &name : names) {
        mproc_object_info_t info;
        bool invalid = false;
        Outcome outcome{name, "kept", ""};
        if (int rc = inspect_object(name, info); rc != MPROC_OK) {
            if (explicit_names) {
                report_failure("inspect", name, rc);
                status = kExitFailure;
                continue;
            }
            if (rc == MPROC_ENOTFOUND) continue;
            // Another user's object (EPERM) is not ours to judge: kept, said with -v.
            outcome.reason = "cannot inspect: " + reason_for(rc);
        } else {
            GcVerdict verdict = gc_verdict(info);
            invalid = verdict.invalid;
            outcome.reason = verdict.reason;
            if (verdict.remove && options.dry_run) {
                outcome.action = "would remove";
            } else if (verdict.remove) {
                // Between the inspection and here a process may have opened the object:
                // it keeps its mapping (removing a name frees nothing in use), only new
                // opens by name fail, as after an rm.
                const int removed = remove_object(name);
                if (removed == MPROC_OK) {
                    outcome.action = "removed";
                } else if (removed != MPROC_ENOTFOUND) {
                    report_failure("remove", name, removed);
                    status = kExitFailure;
                    outcome.reason = "cannot remove: " + reason_for(removed);
                } else {
                    continue;  // removed by someone else meanwhile
                }
            }
        }
        if (!options.json) write_stdout(outcome_line(outcome, invalid, options.verbose));
        outcomes.push_back(std::move(outcome));
    }

    if (options.json) {
        JsonWriter writer;
        writer.begin_array();
        for (const Outcome &outcome : outcomes) {
            writer.begin_object();
            writer.key("name");
            writer.string(outcome.name);
            writer.key("action");
            writer.string(outcome.action);
            writer.key("reason");
            writer.string(outcome.reason);
            writer.end_object();
        }
        writer.end_array();
        write_stdout(writer.text());
    }
    return status;
}

}  // namespace mproc::cli
