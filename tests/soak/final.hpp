// After the run, in the parent: every object must still work, and its counters are read
// back through mproc_object_inspect for the accounting.
#pragma once

#include <mproc/mproc.h>

#include <cstdint>
#include <string>

#include "ledger.hpp"
#include "participants.hpp"
#include "report.hpp"
#include "roles.hpp"

namespace soak {

struct FinalState {
    std::uint64_t drained = 0;  // messages left in the queue after the stop
    bool queue_ok = false;      // a put / get round trip after the drain
    bool lock_ok = false;       // acquire, counter check, release
    std::uint64_t counter = 0;  // its value, repaired if torn
    std::string problems;       // what went wrong in the above
    bool inspect_available = false;
    bool queue_inspected = false;
    bool lock_inspected = false;
    mproc_object_info_t queue_info{};
    mproc_object_info_t lock_info{};
};

// Drains the queue (accounting each message as the consumers do), checks the objects and
// inspects them. Never throws: failures go to state.problems.
FinalState final_operations(const SharedLedger &shared, const Names &names);

// The accounting: everything the ledger, the run and the final state say, and the checks.
void build_report(const SharedLedger &shared, const Options &options, const RunStats &stats,
                  double chaos_seconds, double total_seconds, const FinalState &state,
                  Report &report);

}  // namespace soak
