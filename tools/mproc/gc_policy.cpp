#include "gc_policy.hpp"

namespace mproc::cli {

GcVerdict gc_verdict(const mproc_object_info_t &info) {
    const std::string creator = "creator " + std::to_string(info.creator_pid);
    if (info.status != MPROC_OK) {
        const std::string problem = info.problem[0] != '\0'
                                        ? std::string(info.problem)
                                        : std::string(mproc_strerror(info.status));
        return {false, true, "not a valid object: " + problem};
    }
    if (info.creator_alive == 1) return {false, false, creator + " is alive"};
    if (info.creator_alive != 0) {
        return {false, false, "cannot tell whether " + creator + " is alive"};
    }
    if (info.users < 0) return {false, false, "cannot tell which processes map it"};
    if (info.users > 0) {
        return {false, false,
                "mapped by " + std::to_string(info.users) +
                    (info.users == 1 ? " process" : " processes")};
    }
    return {true, false, creator + " is dead and no process maps it"};
}

}  // namespace mproc::cli
