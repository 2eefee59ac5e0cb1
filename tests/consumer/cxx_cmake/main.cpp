// Consumer of an installed mproc (found through find_package(mproc CONFIG)), on the C++ API:
// a named Lock and Queue, a Process started with fork that talks to its parent through
// them, and one started with spawn, which runs the installed mproc-worker. argv[1] is the
// install prefix: the library loaded and the worker run must both come from there. Exits
// 0 when all is well.
#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include <mproc/mproc.hpp>

namespace {

namespace fs = std::filesystem;

struct Names {
    std::string lock;
    std::string queue;
};

const std::string kMessage = "hello from the fork child";

[[noreturn]] void fail(const std::string &what) {
    std::fprintf(stderr, "consumer: %s\n", what.c_str());
    std::exit(1);
}

// The fork child: opens both objects by name and sends a message under the lock.
int child(void *arg) {
    const auto *names = static_cast<const Names *>(arg);
    try {
        mproc::Lock lock = mproc::Lock::open(names->lock);
        mproc::Queue queue = mproc::Queue::open(names->queue);
        std::lock_guard<mproc::Lock> hold(lock);
        queue.put(kMessage, std::chrono::seconds(10));
    } catch (const std::exception &e) {
        std::fprintf(stderr, "consumer child: %s\n", e.what());
        return 2;
    }
    return 42;
}

// True if `path` resolves to a file under the directory `prefix`.
bool under(const fs::path &path, const fs::path &prefix) {
    std::error_code ec;
    const std::string p = fs::canonical(path, ec).string();
    const std::string root = fs::canonical(prefix, ec).string();
    return !ec && p.size() > root.size() && p.compare(0, root.size(), root) == 0 &&
           p[root.size()] == '/';
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) fail("usage: consumer <install prefix>");
    const fs::path prefix = argv[1];
    try {
        std::printf("mproc %s\n", mproc_version());
        Dl_info info{};
        if (dladdr(reinterpret_cast<void *>(&mproc_version), &info) == 0 ||
            info.dli_fname == nullptr)
            fail("dladdr(mproc_version) failed");
        std::printf("library: %s\n", info.dli_fname);
        if (!under(info.dli_fname, prefix)) fail("libmproc was not loaded from the install prefix");

        const std::string pid = std::to_string(getpid());
        Names names{"consumer_cxx_lock_" + pid, "consumer_cxx_queue_" + pid};
        mproc::Lock lock = mproc::Lock::create(names.lock);
        mproc::Queue queue = mproc::Queue::create(names.queue, 4, 128);

        // fork
        mproc::process_options options;
        options.method = mproc::start_method::fork;
        mproc::Process forked(mproc::Task::from_function(child, &names), options);
        forked.start();
        const std::string got = queue.get(std::chrono::seconds(30));
        if (got != kMessage) fail("wrong message: " + got);
        if (!forked.join(std::chrono::seconds(30))) fail("the fork child did not end");
        if (forked.exitcode() != 42)
            fail("fork child exit code " + std::to_string(*forked.exitcode()));
        std::printf("fork: got \"%s\", exit code 42\n", got.c_str());

        // spawn: sleep(2) in libc, run by mproc-worker, which must be the installed one.
        options.method = mproc::start_method::spawn;
        mproc::Process spawned(mproc::Task::call_of("libc.so.6", "sleep", "I(I)", 2u), options);
        spawned.start();
        const fs::path link = "/proc/" + std::to_string(spawned.pid().value()) + "/exe";
        const fs::path self = fs::read_symlink("/proc/self/exe");
        fs::path exe;
        for (int i = 0; i < 150; ++i) {  // until the child has exec'd: 1.5 s at most
            std::error_code ec;
            exe = fs::read_symlink(link, ec);
            if (!ec && exe != self) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        std::printf("spawn: the child runs %s\n", exe.c_str());
        if (exe.filename() != "mproc-worker" || !under(exe, prefix))
            fail("the spawned child is not the installed mproc-worker");
        if (!spawned.join(std::chrono::seconds(30))) fail("the spawn child did not end");
        if (spawned.exitcode() != 0)
            fail("spawn child exit code " + std::to_string(*spawned.exitcode()));

        queue.close();
        lock.close();
        mproc::Queue::unlink(names.queue);
        mproc::Lock::unlink(names.lock);
    } catch (const std::exception &e) {
        fail(e.what());
    }
    std::printf("consumer (C++, find_package): OK\n");
    return 0;
}
