// The package test: prints the library's version and does one small real thing with it
// (an anonymous Lock acquired and released, a message through an anonymous Queue).
// Exits 0 on success, 1 with a message on stderr otherwise.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "mproc/mproc.h"
#include "mproc/mproc.hpp"

int main() {
    std::printf("mproc %s (header %s)\n", mproc_version(), MPROC_VERSION_STRING);
    if (std::strcmp(mproc_version(), MPROC_VERSION_STRING) != 0) {
        std::fprintf(stderr, "test_package: library version %s, header version %s\n",
                     mproc_version(), MPROC_VERSION_STRING);
        return 1;
    }
    try {
        mproc::Lock lock = mproc::Lock::create();
        if (lock.acquire(std::chrono::seconds(1)) != mproc::acquire_result::acquired) {
            std::fprintf(stderr, "test_package: a new anonymous lock was not acquired\n");
            return 1;
        }
        lock.release();

        mproc::Queue queue = mproc::Queue::create(4, 64);
        queue.put("hello from test_package");
        const std::string message = queue.get();
        if (message != "hello from test_package") {
            std::fprintf(stderr, "test_package: the queue returned '%s'\n", message.c_str());
            return 1;
        }
        std::printf("lock and queue: ok\n");
    } catch (const std::exception &e) {
        std::fprintf(stderr, "test_package: %s\n", e.what());
        return 1;
    }
    return 0;
}
