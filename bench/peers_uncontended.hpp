// Section A: uncontended acquire + release in one process, for mproc's Lock and its peers.
// Each peer takes and releases its lock `pairs` times in a row; nobody else ever touches it,
// so this is the fast path alone: for mproc the shared-memory atomics and the C ABI call,
// no system call.
#pragma once

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <boost/interprocess/anonymous_shared_memory.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <cstdio>
#include <new>
#include <string>

#include "bench_clock.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {

class UncontendedPeer {
  public:
    virtual ~UncontendedPeer() = default;
    // Creates the lock; false (with a message on stderr) if the peer cannot run here.
    virtual bool prepare() = 0;
    // Nanoseconds per acquire + release pair over `pairs` pairs; negative if a call failed.
    virtual double run(long pairs) = 0;
};

// mproc's Lock through the C ABI, created by name as a user would (a named lock lives in
// /dev/shm like the peers' shared mappings).
class MprocLockPeer final : public UncontendedPeer {
  public:
    explicit MprocLockPeer(std::string name) : name_(std::move(name)) {}
    ~MprocLockPeer() override {
        if (lock_ != nullptr) {
            mproc_lock_close(lock_);
            mproc_lock_unlink(name_.c_str());
        }
    }
    bool prepare() override {
        const int rc = mproc_lock_create(name_.c_str(), nullptr, &lock_);
        if (rc != MPROC_OK) {
            std::fprintf(stderr, "mproc_lock_create(%s): %s: %s\n", name_.c_str(),
                         mproc_errname(rc), mproc_last_error());
            lock_ = nullptr;
            return false;
        }
        return true;
    }
    double run(long pairs) override {
        const int64_t t0 = now_ns();
        for (long i = 0; i < pairs; ++i) {
            // The return codes are checked as a careful C caller would; the branches are
            // perfectly predicted and cost next to nothing.
            if (mproc_lock_acquire(lock_, -1.0) != MPROC_OK ||
                mproc_lock_release(lock_) != MPROC_OK)
                return -1;
        }
        return static_cast<double>(now_ns() - t0) / static_cast<double>(pairs);
    }

  private:
    std::string name_;
    mproc_lock_t *lock_ = nullptr;
};

// The baseline of the target: a glibc mutex that is PTHREAD_PROCESS_SHARED and
// PTHREAD_MUTEX_ROBUST (the only pthread mutex that survives its owner's death, which mproc's
// Lock also does), in a MAP_SHARED mapping.
class PthreadRobustPeer final : public UncontendedPeer {
  public:
    ~PthreadRobustPeer() override {
        if (mutex_ != nullptr) {
            pthread_mutex_destroy(mutex_);
            munmap(mutex_, sizeof(pthread_mutex_t));
        }
    }
    bool prepare() override {
        void *p = mmap(nullptr, sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            std::perror("mmap");
            return false;
        }
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
        const int rc = pthread_mutex_init(static_cast<pthread_mutex_t *>(p), &attr);
        pthread_mutexattr_destroy(&attr);
        if (rc != 0) {
            std::fprintf(stderr, "pthread_mutex_init: error %d\n", rc);
            munmap(p, sizeof(pthread_mutex_t));
            return false;
        }
        mutex_ = static_cast<pthread_mutex_t *>(p);
        return true;
    }
    double run(long pairs) override {
        const int64_t t0 = now_ns();
        for (long i = 0; i < pairs; ++i) {
            if (pthread_mutex_lock(mutex_) != 0 || pthread_mutex_unlock(mutex_) != 0) return -1;
        }
        return static_cast<double>(now_ns() - t0) / static_cast<double>(pairs);
    }

  private:
    pthread_mutex_t *mutex_ = nullptr;
};

// Boost.Interprocess interprocess_mutex placed in an anonymous shared mapped_region. On Linux,
// Boost 1.74 defines BOOST_INTERPROCESS_POSIX_PROCESS_SHARED, so this is a plain (not robust)
// PTHREAD_PROCESS_SHARED pthread mutex behind Boost's inline wrapper (sync/posix/mutex.hpp).
class BoostMutexPeer final : public UncontendedPeer {
  public:
    ~BoostMutexPeer() override {
        if (mutex_ != nullptr) mutex_->~interprocess_mutex();
    }
    bool prepare() override {
        try {
            region_ = boost::interprocess::anonymous_shared_memory(
                sizeof(boost::interprocess::interprocess_mutex));
            mutex_ = new (region_.get_address()) boost::interprocess::interprocess_mutex;
        } catch (const std::exception &e) {
            std::fprintf(stderr, "boost interprocess_mutex: %s\n", e.what());
            return false;
        }
        return true;
    }
    double run(long pairs) override {
        const int64_t t0 = now_ns();
        for (long i = 0; i < pairs; ++i) {
            mutex_->lock();  // reports errors by throwing, caught by the caller
            mutex_->unlock();
        }
        return static_cast<double>(now_ns() - t0) / static_cast<double>(pairs);
    }

  private:
    boost::interprocess::mapped_region region_;
    boost::interprocess::interprocess_mutex *mutex_ = nullptr;
};

}  // namespace mproc_bench
