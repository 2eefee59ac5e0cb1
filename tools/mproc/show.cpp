// mproc show [--json] NAME...: every field of each object, as "key: value" lines with a
// blank line between objects, or as a JSON array (always an array, even for one name, so
// that scripts read one shape).
#include <string>
#include <vector>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "exit_code.hpp"
#include "inventory.hpp"
#include "object_json.hpp"
#include "object_text.hpp"
#include "options.hpp"
#include "output.hpp"
#include "usage.hpp"

namespace mproc::cli {

int run_show(const Args &args) {
    bool json = false;
    ParsedArgs parsed;
    if (!parse_args(args, {{'\0', "json", &json}}, parsed)) return kExitUsage;
    if (parsed.help) {
        print_help();
        return kExitOk;
    }
    if (parsed.operands.empty()) {
        print_usage_error("missing operand");
        return kExitUsage;
    }

    int status = kExitOk;
    std::vector<mproc_object_info_t> objects;
    for (const std::string &name : parsed.operands) {
        mproc_object_info_t info;
        if (int rc = inspect_object(name, info); rc != MPROC_OK) {
            report_failure("inspect", name, rc);
            status = kExitFailure;
            continue;
        }
        objects.push_back(info);
    }

    if (json) {
        write_stdout(objects_json(objects));
    } else {
        for (std::size_t i = 0; i < objects.size(); ++i) {
            if (i > 0) write_stdout("\n");
            write_stdout(object_lines(objects[i]));
        }
    }
    return status;
}

}  // namespace mproc::cli
