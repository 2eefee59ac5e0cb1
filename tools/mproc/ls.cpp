// mproc ls [-a|--all] [--json]: every object of /dev/shm, one table row (or JSON object)
// each, sorted by name.
#include <algorithm>
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
#include "table.hpp"
#include "usage.hpp"

namespace mproc::cli {

namespace {

std::string table_of(const std::vector<mproc_object_info_t> &objects) {
    Table table({{"NAME"},
                 {"KIND"},
                 {"VERSION", Align::kRight},
                 {"SIZE", Align::kRight},
                 {"MODE"},
                 {"CREATOR", Align::kRight},
                 {"ALIVE"},
                 {"USERS", Align::kRight},
                 {"DETAIL"}});
    for (const mproc_object_info_t &info : objects) {
        table.add_row({
            info.name,
            info.kind_name,
            info.layout_version != 0 ? std::to_string(info.layout_version) : "-",
            std::to_string(info.bytes),
            mode_string(info.mode),
            info.creator_pid != 0 ? std::to_string(info.creator_pid) : "-",
            alive_word(info.creator_alive),
            info.users >= 0 ? std::to_string(info.users) : "?",
            object_detail(info),
        });
    }
    return table.render();
}

}  // namespace

int run_ls(const Args &args) {
    bool json = false;
    bool all = false;
    ParsedArgs parsed;
    if (!parse_args(args, {{'\0', "json", &json}, {'a', "all", &all}}, parsed)) {
        return kExitUsage;
    }
    if (parsed.help) {
        print_help();
        return kExitOk;
    }
    if (!parsed.operands.empty()) {
        print_usage_error("extra operand " + quote(parsed.operands.front()));
        return kExitUsage;
    }

    std::vector<std::string> names;
    if (int rc = list_object_names(names); rc != MPROC_OK) {
        print_error("cannot list the objects: " + reason_for(rc));
        return kExitFailure;
    }
    std::sort(names.begin(), names.end());

    int status = kExitOk;
    std::vector<mproc_object_info_t> objects;
    for (const std::string &name : names) {
        if (!all && is_anonymous_name(name)) continue;
        mproc_object_info_t info;
        int rc = inspect_object(name, info);
        // Removed since the listing: it is not there any more, which is no error.
        if (rc == MPROC_ENOTFOUND) continue;
        if (rc != MPROC_OK) {
            report_failure("inspect", name, rc);
            status = kExitFailure;
            continue;
        }
        objects.push_back(info);
    }

    if (json) {
        write_stdout(objects_json(objects));
    } else {
        write_stdout(table_of(objects));
    }
    return status;
}

}  // namespace mproc::cli
