#include "task/library.hpp"

#include <dlfcn.h>
#include <pthread.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "error.hpp"

namespace mproc::core::task {

namespace {

// The handles this process opened, by path. Never destroyed (a thread may run a task
// while the program exits), and held only around map operations, never across dlopen(),
// so a fork() in another thread rarely finds it locked; the atfork handlers make that
// "never": the forking thread takes it before fork() and both sides release it after.
struct Libraries {
    std::mutex mutex;
    std::unordered_map<std::string, void *> handles;

    Libraries() {
        pthread_atfork([] { instance().mutex.lock(); }, [] { instance().mutex.unlock(); },
                       [] { instance().mutex.unlock(); });
    }

    static Libraries &instance() {
        static Libraries *const libraries = new Libraries();
        return *libraries;
    }
};

std::string dl_error(const char *fallback) {
    const char *message = dlerror();
    return message != nullptr ? message : fallback;
}

void *open_library(const std::string &library, const std::string &task) {
    Libraries &libraries = Libraries::instance();
    {
        std::lock_guard<std::mutex> guard(libraries.mutex);
        auto found = libraries.handles.find(library);
        if (found != libraries.handles.end()) return found->second;
    }
    // Two threads may both open it: dlopen() counts references, and the second handle is
    // the same as the first, so whichever is kept is right.
    void *handle = dlopen(library.empty() ? nullptr : library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        throw Error(kNotFound,
                    task + ": cannot load library '" + library + "': " + dl_error("dlopen failed"));
    }
    std::lock_guard<std::mutex> guard(libraries.mutex);
    return libraries.handles.emplace(library, handle).first->second;
}

}  // namespace

void *find_symbol(const std::string &library, const std::string &symbol, const std::string &task) {
    void *handle = open_library(library, task);
    dlerror();  // clear: a symbol's address may legitimately be NULL, dlerror() tells
    void *address = dlsym(handle, symbol.c_str());
    if (address == nullptr) {
        const char *message = dlerror();
        const std::string where = library.empty() ? "the program" : "'" + library + "'";
        throw Error(kNotFound, task + ": no symbol '" + symbol + "' in " + where +
                                   (message != nullptr ? std::string(": ") + message : ""));
    }
    return address;
}

}  // namespace mproc::core::task
