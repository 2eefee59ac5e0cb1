#include "mpi_runtime.hpp"

#include <dlfcn.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace mproc::mpi {

namespace {

void finalize_at_exit() {
    Runtime::get().finalize_if_safe();
}

// The plugin is dlopened with RTLD_LOCAL, so libmpi comes in local too; Open MPI's own
// components (dlopened by MPI_Init) then miss its symbols on some builds. Promoting the
// already-loaded libmpi to RTLD_GLOBAL avoids that and costs nothing when not needed.
void promote_libmpi() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&MPI_Init_thread), &info) != 0 &&
        info.dli_fname != nullptr) {
        // RTLD_NOLOAD: only changes the flags of the loaded library (the handle is kept:
        // it must stay loaded anyway).
        dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    }
}

}  // namespace

Runtime &Runtime::get() {
    // Never destroyed: atexit handlers and late closes may use it after statics die.
    static Runtime *runtime = new Runtime();
    return *runtime;
}

bool Runtime::ensure_init(std::string *err) {
    std::lock_guard<std::mutex> lock(mutex_);
    int initialised = 0;
    MPI_Initialized(&initialised);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized != 0) {
        *err = "MPI was finalised already in this process";
        return false;
    }
    if (initialised == 0) {
        // The transport polls (MPI_Test with short sleeps): Open MPI should yield the
        // core when idle instead of spinning. Only a default: the user's setting wins.
        setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
        promote_libmpi();
        int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided_);
        if (rc != MPI_SUCCESS) {
            *err = "MPI_Init_thread failed: " + error_text(rc);
            return false;
        }
        initialised_by_us_ = true;
        std::atexit(finalize_at_exit);
    } else {
        MPI_Query_thread(&provided_);
    }
    if (provided_ < MPI_THREAD_SERIALIZED) {
        *err = "MPI gives thread level " + std::to_string(provided_) +
               "; the MPI backend needs MPI_THREAD_SERIALIZED or more (initialise MPI with "
               "MPI_Init_thread(..., MPI_THREAD_MULTIPLE, ...))";
        return false;
    }
    return true;
}

void Runtime::opened() noexcept {
    std::lock_guard<std::mutex> lock(state_mutex_);
    ++open_;
}

void Runtime::closed(bool clean) noexcept {
    std::lock_guard<std::mutex> lock(state_mutex_);
    --open_;
    if (!clean) {
        unsafe_ = true;
    }
}

void Runtime::finalize_if_safe() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    std::lock_guard<std::mutex> state(state_mutex_);
    if (!initialised_by_us_ || finalized_ || unsafe_ || open_ != 0) {
        return;
    }
    finalized_ = true;
    MPI_Finalize();
}

void Runtime::abandon(std::vector<char> buffer) {
    if (buffer.empty()) {
        return;
    }
    std::lock_guard<std::mutex> lock(state_mutex_);
    abandoned_.push_back(std::move(buffer));
}

std::string Runtime::error_text(int code) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) {
        return "MPI error " + std::to_string(code);
    }
    return std::string(text, static_cast<std::size_t>(len));
}

void Runtime::remember_workers(const std::vector<pid_t> &pids) {
    std::lock_guard<std::mutex> guard(state_mutex_);
    ended_workers_.insert(ended_workers_.end(), pids.begin(), pids.end());
}

void Runtime::await_workers_gone(double limit) {
    std::vector<pid_t> pids;
    {
        std::lock_guard<std::mutex> guard(state_mutex_);
        pids.swap(ended_workers_);
    }
    if (pids.empty()) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
    // kill(pid, 0) succeeds until Open MPI's daemon has reaped the process (a zombie too).
    auto alive = [](pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; };
    for (pid_t pid : pids) {
        while (alive(pid) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

}  // namespace mproc::mpi
