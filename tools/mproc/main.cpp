// mproc: the operator's tool for mproc's shared objects (ls, show, rm, gc), built on the
// C ABI's operating calls only (mproc_object_names, _inspect, _remove), like any user of
// libmproc. This file picks the command; each command is in a file of its own.
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "exit_code.hpp"
#include "output.hpp"
#include "usage.hpp"

namespace {

using mproc::cli::Args;

struct Command {
    const char *name;
    int (*run)(const Args &);
};

constexpr Command kCommands[] = {
    {"ls", mproc::cli::run_ls},
    {"show", mproc::cli::run_show},
    {"rm", mproc::cli::run_rm},
    {"gc", mproc::cli::run_gc},
};

int dispatch(const std::vector<std::string> &words) {
    using namespace mproc::cli;
    if (words.empty()) {
        print_usage_error("missing command");
        return kExitUsage;
    }
    const std::string &first = words.front();
    if (first == "--help") {
        print_help();
        return kExitOk;
    }
    if (first == "--version") {
        print_version();
        return kExitOk;
    }
    if (first.size() > 1 && first[0] == '-') {
        print_usage_error((first[1] == '-' ? "unrecognized option " : "invalid option ") +
                          quote(first));
        return kExitUsage;
    }
    for (const Command &command : kCommands) {
        if (first == command.name) return command.run(Args(words.begin() + 1, words.end()));
    }
    print_usage_error("unknown command " + quote(first));
    return kExitUsage;
}

}  // namespace

int main(int argc, char **argv) {
    int status;
    try {
        status = dispatch(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const std::exception &e) {
        // Only std::bad_alloc can get here (the C ABI throws nothing).
        mproc::cli::print_error(e.what());
        status = mproc::cli::kExitFailure;
    }
    if (!mproc::cli::finish_stdout() && status == mproc::cli::kExitOk) {
        status = mproc::cli::kExitFailure;
    }
    return status;
}
