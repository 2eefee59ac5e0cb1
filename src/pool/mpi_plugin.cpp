#include "pool/mpi_plugin.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "error.hpp"

// The build tree's plugin and worker program, for programs run from the build tree (the
// tests); set by src/CMakeLists.txt.
#ifndef MPROC_MPI_PLUGIN_FALLBACK
#define MPROC_MPI_PLUGIN_FALLBACK ""
#endif
#ifndef MPROC_MPI_WORKER_FALLBACK
#define MPROC_MPI_WORKER_FALLBACK ""
#endif
// Where `cmake --install` puts the worker programs, relative to the library's directory
// (as for mproc-worker, spawn_start.cpp).
#ifndef MPROC_WORKER_INSTALL_DIR
#define MPROC_WORKER_INSTALL_DIR "../libexec/mproc"
#endif

namespace mproc::core::pool {

namespace {

const char kPlugin[] = "libmproc_mpi.so";
const char kWorker[] = "mproc-mpi-worker";
const char kWithout[] = "mproc was built without MPI: configure with -DMPROC_WITH_MPI=ON";

bool is_file(const std::string &path) {
    return !path.empty() && ::access(path.c_str(), R_OK) == 0;
}

bool is_executable(const std::string &path) {
    return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

// The directory of the module that holds this code (libmproc.so, or a program linked with
// libmproc.a); empty if unknown.
std::string library_dir() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void *>(&mpi_plugin_available), &info) == 0 ||
        info.dli_fname == nullptr || info.dli_fname[0] != '/') {
        return std::string();
    }
    const std::string path = info.dli_fname;
    return path.substr(0, path.rfind('/'));
}

void add_looked(std::string *looked, const std::string &path) {
    if (!path.empty() && looked->find(" " + path) == std::string::npos) *looked += " " + path;
}

// Loaded once and kept (RTLD_NODELETE: MPI cannot be unloaded and initialised again). A
// failure is not remembered: the plugin may be installed, or MPROC_MPI_PLUGIN set, later.
std::mutex load_mutex;
mproc_remote_open_fn loaded = nullptr;

mproc_remote_open_fn load(const std::string &path) {
    // RTLD_LOCAL: MPI's symbols stay out of the program's namespace.
    void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NODELETE | RTLD_LOCAL);
    if (handle == nullptr) {
        const char *why = ::dlerror();
        throw Error(kNotFound, std::string("process pool (MPI): cannot load the plugin ") + path +
                                   ": " + (why != nullptr ? why : "dlopen failed"));
    }
    void *symbol = ::dlsym(handle, MPROC_REMOTE_OPEN_SYMBOL);
    if (symbol == nullptr) {
        throw Error(kNotFound, std::string("process pool (MPI): the plugin ") + path + " has no " +
                                   MPROC_REMOTE_OPEN_SYMBOL + " (not an mproc MPI plugin?)");
    }
    return reinterpret_cast<mproc_remote_open_fn>(symbol);
}

std::string plugin_path() {
    if (const char *env = std::getenv("MPROC_MPI_PLUGIN"); env != nullptr && *env != '\0') {
        if (is_file(env)) return env;
        throw Error(kNotFound, std::string("process pool (MPI): the plugin ") + kPlugin +
                                   " is not at MPROC_MPI_PLUGIN='" + env + "'");
    }
    std::string looked;
    const std::string dir = library_dir();
    if (!dir.empty()) {
        const std::string next = dir + "/" + kPlugin;
        if (is_file(next)) return next;
        add_looked(&looked, next);
    }
    const std::string built = MPROC_MPI_PLUGIN_FALLBACK;
    if (is_file(built)) return built;
    add_looked(&looked, built);
    throw Error(kNotFound, std::string("process pool (MPI): the plugin ") + kPlugin +
                               " was not found (looked at" + looked + "): " + kWithout +
                               ", or set MPROC_MPI_PLUGIN to its path");
}

}  // namespace

mproc_remote_open_fn mpi_plugin_open() {
    std::lock_guard<std::mutex> guard(load_mutex);
    if (loaded == nullptr) loaded = load(plugin_path());
    return loaded;
}

bool mpi_plugin_available() noexcept {
    try {
        return mpi_plugin_open() != nullptr;
    } catch (...) {
        return false;
    }
}

std::string mpi_worker_path() {
    if (const char *env = std::getenv("MPROC_MPI_WORKER"); env != nullptr && *env != '\0') {
        if (is_executable(env)) return env;
        throw Error(kNotFound, std::string("process pool (MPI): MPROC_MPI_WORKER='") + env +
                                   "' is not an executable file");
    }
    std::string looked;
    const std::string dir = library_dir();
    if (!dir.empty()) {
        const std::string installed = MPROC_WORKER_INSTALL_DIR;
        const std::vector<std::string> candidates = {
            dir + "/" + kWorker,
            (installed[0] == '/' ? installed : dir + "/" + installed) + "/" + kWorker,
            dir + "/../libexec/mproc/" + kWorker};
        for (const std::string &candidate : candidates) {
            if (is_executable(candidate)) return candidate;
            add_looked(&looked, candidate);
        }
    }
    const std::string built = MPROC_MPI_WORKER_FALLBACK;
    if (is_executable(built)) return built;
    add_looked(&looked, built);
    throw Error(kNotFound, std::string("process pool (MPI): ") + kWorker +
                               " was not found (looked at" + looked +
                               "; set MPROC_MPI_WORKER to its path)");
}

}  // namespace mproc::core::pool
