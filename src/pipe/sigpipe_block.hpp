// SigpipeBlock: writes to a pipe whose reader may be gone fail with EPIPE instead of
// killing the process (used by Connection, Popen::communicate and the spawn start method).
#pragma once

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace mproc::core::pipe {

// Blocks SIGPIPE in the calling thread around writes to a pipe, and discards the SIGPIPE
// that a write to a pipe without readers raised (it is directed at the writing thread, so
// it is pending for this thread and sigtimedwait takes it). A SIGPIPE that was pending
// before is left alone: it was not ours. Sockets do not need this: MSG_NOSIGNAL.
class SigpipeBlock {
  public:
    SigpipeBlock() noexcept {
        sigemptyset(&sigpipe_);
        sigaddset(&sigpipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &sigpipe_, &old_);
    }
    ~SigpipeBlock() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    SigpipeBlock(const SigpipeBlock &) = delete;
    SigpipeBlock &operator=(const SigpipeBlock &) = delete;

    // After EPIPE: takes the SIGPIPE that the failed write raised.
    void discard_ours() noexcept {
        if (was_pending_) return;
        timespec zero{0, 0};
        while (sigtimedwait(&sigpipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }

  private:
    sigset_t sigpipe_;
    sigset_t old_;
    bool was_pending_ = false;
};

}  // namespace mproc::core::pipe
