#include "options.hpp"

#include "diagnostics.hpp"

namespace mproc::cli {

namespace {

bool parse_long(const std::string &arg, const std::vector<Flag> &flags, ParsedArgs &parsed) {
    const std::string body = arg.substr(2);
    const std::string::size_type equals = body.find('=');
    const std::string name = body.substr(0, equals);
    if (name == "help") {
        parsed.help = true;
    } else {
        bool found = false;
        for (const Flag &flag : flags) {
            if (name == flag.long_name) {
                *flag.value = true;
                found = true;
            }
        }
        if (!found) {
            print_usage_error("unrecognized option " + quote(arg));
            return false;
        }
    }
    if (equals != std::string::npos) {
        print_usage_error("option " + quote("--" + name) + " doesn't allow an argument");
        return false;
    }
    return true;
}

bool parse_short(const std::string &arg, const std::vector<Flag> &flags) {
    for (std::string::size_type i = 1; i < arg.size(); ++i) {
        bool found = false;
        for (const Flag &flag : flags) {
            if (flag.short_name != '\0' && arg[i] == flag.short_name) {
                *flag.value = true;
                found = true;
            }
        }
        if (!found) {
            print_usage_error("invalid option -- " + quote(std::string(1, arg[i])));
            return false;
        }
    }
    return true;
}

}  // namespace

bool parse_args(const std::vector<std::string> &args, const std::vector<Flag> &flags,
                ParsedArgs &parsed) {
    bool flags_ended = false;
    for (const std::string &arg : args) {
        if (flags_ended || arg.size() < 2 || arg[0] != '-') {
            // "-" alone is an operand, as in coreutils.
            parsed.operands.push_back(arg);
        } else if (arg == "--") {
            flags_ended = true;
        } else if (arg[1] == '-') {
            if (!parse_long(arg, flags, parsed)) return false;
        } else if (!parse_short(arg, flags)) {
            return false;
        }
    }
    return true;
}

}  // namespace mproc::cli
