// Two processes take turns under one named lock. Build and run:
//   g++ -std=c++17 -Iinclude examples/cpp/hello_lock.cpp -Lbuild/capi -lmproc && ./a.out
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "mproc/mproc.hpp"

int main() {
    mproc::Lock lock = mproc::Lock::create_or_open("hello_lock");  // /dev/shm/mproc.hello_lock
    const pid_t child = fork();
    if (child == 0) lock = mproc::Lock::open("hello_lock");  // any process attaches by name
    for (int turn = 0; turn < 3; ++turn) {
        {
            std::lock_guard<mproc::Lock> hold(lock);
            std::printf("%s %d: turn %d\n", child == 0 ? "child " : "parent", getpid(), turn);
            std::fflush(stdout);
            usleep(20000);  // the other process waits here for the lock
        }
        usleep(1000);  // give it the chance to take the lock
    }
    if (child == 0) return 0;
    waitpid(child, nullptr, 0);
    mproc::Lock::unlink("hello_lock");
}
