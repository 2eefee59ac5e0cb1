#include "subprocess/reaper.hpp"

#include <pthread.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <new>
#include <vector>

namespace mproc::core::subprocess {

namespace {

struct ReapList {
    std::mutex mutex;
    std::vector<pid_t> pids;
};

// The list is taken across fork (pthread_atfork), so the child never inherits it locked
// by a thread that does not exist there, nor half-changed; the child empties it.
ReapList &reap_list() {
    static ReapList *list = [] {
        auto *made = new ReapList;  // never destroyed: usable from atexit handlers too
        pthread_atfork([] { reap_list().mutex.lock(); }, [] { reap_list().mutex.unlock(); },
                       [] {
                           ReapList &l = reap_list();
                           l.pids.clear();
                           l.mutex.unlock();
                       });
        return made;
    }();
    return *list;
}

// Under the list's lock.
void sweep(std::vector<pid_t> &pids) noexcept {
    pids.erase(std::remove_if(pids.begin(), pids.end(),
                              [](pid_t pid) {
                                  for (;;) {
                                      int status = 0;
                                      const pid_t r = ::waitpid(pid, &status, WNOHANG);
                                      if (r == 0) return false;  // still running
                                      if (r < 0 && errno == EINTR) continue;
                                      return true;  // reaped, or not ours (ECHILD)
                                  }
                              }),
               pids.end());
}

}  // namespace

void reap_later(pid_t pid) noexcept {
    if (pid <= 0) return;
    ReapList &list = reap_list();
    std::lock_guard<std::mutex> lock(list.mutex);
    sweep(list.pids);
    try {
        list.pids.push_back(pid);
    } catch (const std::bad_alloc &) {
        // See the header: left to become a zombie.
    }
    sweep(list.pids);  // it may have ended meanwhile
}

void reap_finished() noexcept {
    ReapList &list = reap_list();
    std::lock_guard<std::mutex> lock(list.mutex);
    sweep(list.pids);
}

std::size_t reap_later_count() noexcept {
    ReapList &list = reap_list();
    std::lock_guard<std::mutex> lock(list.mutex);
    return list.pids.size();
}

bool reap_later_pending(pid_t pid) noexcept {
    ReapList &list = reap_list();
    std::lock_guard<std::mutex> lock(list.mutex);
    return std::find(list.pids.begin(), list.pids.end(), pid) != list.pids.end();
}

}  // namespace mproc::core::subprocess
