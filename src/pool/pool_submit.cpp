#include "pool/pool_submit.hpp"

#include "error.hpp"

namespace mproc::core::pool {

namespace {

std::string encode_checked(const task::Task &task, const SubmitRules &rules, const char *what) {
    const std::string where = std::string(rules.label) + ": " + what + ": ";
    if (!task.complete()) {
        throw Error(kInvalid, where + "task '" + task.name() +
                                  "' is incomplete: its signature has more arguments than were "
                                  "given");
    }
    if (task.is_function() && rules.function_refusal != nullptr) {
        throw Error(kInvalid, where + rules.function_refusal);
    }
    std::string encoded = task.encode();
    if (encoded.size() > rules.max_message) {
        throw Error(kTooBig, where + "task '" + task.name() + "' is " +
                                 std::to_string(encoded.size()) +
                                 " bytes encoded, over the pool's max_message of " +
                                 std::to_string(rules.max_message));
    }
    return encoded;
}

}  // namespace

std::vector<PoolItem> submitted_items(const std::vector<const task::Task *> &tasks,
                                      const SubmitRules &rules, const char *what,
                                      std::vector<FuturePtr> *futures) {
    std::vector<PoolItem> items(tasks.size());
    futures->reserve(futures->size() + tasks.size());
    for (std::size_t k = 0; k < tasks.size(); ++k) {
        if (tasks[k] == nullptr) {
            throw Error(kInvalid, std::string(rules.label) + ": " + what + ": a null task");
        }
        items[k].task = encode_checked(*tasks[k], rules, what);
        items[k].future = Future::make();
        futures->push_back(items[k].future);
    }
    return items;
}

void end_pool_thread(std::thread &thread) noexcept {
    if (!thread.joinable()) return;
    if (std::this_thread::get_id() == thread.get_id()) {
        thread.detach();
    } else {
        thread.join();
    }
}

}  // namespace mproc::core::pool
