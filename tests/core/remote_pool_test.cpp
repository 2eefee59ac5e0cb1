// RemotePool and run_remote_worker over an in-process fake transport (no MPI): a loopback
// with one pool end and one end per worker, whose worker ends are served by
// run_remote_worker on threads (each runs its tasks in a spawned mproc-worker, as a real
// rank does). A "mute" peer has no worker: what it is sent stays with it, as with a rank
// that hangs, until the test declares it lost. The real transport is tested in tests/mpi/.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "pool/pool_wire.hpp"
#include "pool/process_pool.hpp"
#include "pool/remote_pool.hpp"
#include "test_support.hpp"

namespace {

using mproc::core::Error;
using mproc::core::kBroken;
using mproc::core::kInvalid;
using mproc::core::kOk;
using mproc::core::pool::FuturePtr;
using mproc::core::pool::Outcome;
using mproc::core::pool::RemoteOptions;
using mproc::core::pool::RemotePool;
using mproc::core::pool::run_remote_worker;
using mproc::core::sync::Deadline;
using mproc::core::task::Task;
namespace wire = mproc::core::pool::wire;

constexpr double kWait = 60;  // generous: a loaded 2-core machine is slow, never this slow

// ---------------------------------------------------------------- the fake transport

class FakeNet {
  public:
    explicit FakeNet(int workers)
        : to_worker_(workers),
          lost_(workers, false),
          told_(workers, false),
          worker_woken_(workers, false),
          worker_closed_(workers, -1),
          log_(workers) {
        ends_.push_back(make_end(-1, workers));
        for (int p = 0; p < workers; ++p) {
            ends_.push_back(make_end(p, 1));
            describe_.push_back("rank " + std::to_string(p + 1) + " on host fakehost (pid " +
                                std::to_string(1000 + p) + ")");
        }
    }

    mproc_remote_transport_t *pool_end() { return &ends_[0]->table; }
    mproc_remote_transport_t *worker_end(int p) { return &ends_[p + 1]->table; }

    // Peer p falls silent: its undelivered messages vanish, the pool hears LOST, the worker
    // hears that the pool is lost.
    void lose(int p, const std::string &why = "no heartbeat for 10.0 s") {
        std::lock_guard<std::mutex> guard(mutex_);
        if (lost_[p]) return;
        lost_[p] = true;
        lost_text_[p] = why;
        auto &q = to_pool_;
        q.erase(std::remove_if(q.begin(), q.end(), [p](const auto &m) { return m.first == p; }),
                q.end());
        lost_for_pool_.push_back(p);
        cv_.notify_all();
    }

    int pool_closed() {
        std::lock_guard<std::mutex> guard(mutex_);
        return pool_closed_;
    }
    int worker_closed(int p) {
        std::lock_guard<std::mutex> guard(mutex_);
        return worker_closed_[p];
    }
    // The types of the messages the pool sent to p, and the tasks in its chunks.
    std::vector<wire::Type> sent_to(int p) {
        std::lock_guard<std::mutex> guard(mutex_);
        std::vector<wire::Type> types;
        for (std::size_t k = 1; k < log_[p].size(); ++k)  // [0] is the configuration
            types.push_back(wire::type_of(log_[p][k]));
        return types;
    }
    std::size_t tasks_sent_to(int p) {
        std::lock_guard<std::mutex> guard(mutex_);
        std::size_t n = 0;
        for (std::size_t k = 1; k < log_[p].size(); ++k) {
            const std::string &m = log_[p][k];
            const wire::Type type = wire::type_of(m);
            if (type == wire::Type::kChunk) n += wire::decode_chunk(m).tasks.size();
            if (type == wire::Type::kChunks) {
                for (std::string_view chunk : wire::decode_batch(type, m))
                    n += wire::decode_chunk(chunk).tasks.size();
            }
        }
        return n;
    }
    std::string describe(int p) const { return describe_[p]; }

  private:
    struct End {
        mproc_remote_transport_t table{};
        FakeNet *net = nullptr;
        int peer = -1;  // -1: the pool's end
        std::string current;
        std::string text;
    };

    std::unique_ptr<End> make_end(int peer, int peers) {
        auto e = std::make_unique<End>();
        e->net = this;
        e->peer = peer;
        e->table.abi = MPROC_REMOTE_ABI;
        e->table.role = peer < 0 ? MPROC_REMOTE_POOL : MPROC_REMOTE_WORKER;
        e->table.peers = peers;
        e->table.self_rank = peer + 1;
        e->table.self = e.get();
        e->table.describe = &FakeNet::describe_fn;
        e->table.send = &FakeNet::send_fn;
        e->table.poll = &FakeNet::poll_fn;
        e->table.wake = &FakeNet::wake_fn;
        e->table.last_error = [](mproc_remote_transport_t *) { return "fake: no error"; };
        e->table.close = &FakeNet::close_fn;
        return e;
    }

    static End *end_of(mproc_remote_transport_t *t) { return static_cast<End *>(t->self); }

    static const char *describe_fn(mproc_remote_transport_t *t, int peer) {
        End *e = end_of(t);
        if (e->peer >= 0) return "rank 0 on host fakehost (pid 999)";
        if (peer < 0 || peer >= static_cast<int>(e->net->describe_.size())) return "?";
        return e->net->describe_[peer].c_str();
    }

    static int send_fn(mproc_remote_transport_t *t, int peer, const void *data, std::size_t len) {
        End *e = end_of(t);
        FakeNet &n = *e->net;
        std::lock_guard<std::mutex> guard(n.mutex_);
        std::string message(static_cast<const char *>(data), len);
        if (e->peer < 0) {
            if (peer < 0 || peer >= static_cast<int>(n.to_worker_.size()) || n.lost_[peer]) {
                return -1;
            }
            n.log_[peer].push_back(message);
            n.to_worker_[peer].push_back(std::move(message));
        } else {
            if (peer != 0 || n.lost_[e->peer]) return -1;
            n.to_pool_.emplace_back(e->peer, std::move(message));
        }
        n.cv_.notify_all();
        return 0;
    }

    static int poll_fn(mproc_remote_transport_t *t, double timeout, mproc_remote_event_t *ev) {
        End *e = end_of(t);
        FakeNet &n = *e->net;
        std::unique_lock<std::mutex> lock(n.mutex_);
        *ev = mproc_remote_event_t{};
        const int p = e->peer;
        auto ready = [&] {
            if (p < 0) return !n.to_pool_.empty() || !n.lost_for_pool_.empty() || n.pool_woken_;
            return !n.to_worker_[p].empty() || (n.lost_[p] && !n.told_[p]) || n.worker_woken_[p];
        };
        n.cv_.wait_for(lock, std::chrono::duration<double>(timeout), ready);
        if (p < 0) {
            n.pool_woken_ = false;
            if (!n.to_pool_.empty()) {
                ev->kind = MPROC_REMOTE_MESSAGE;
                ev->peer = n.to_pool_.front().first;
                e->current = std::move(n.to_pool_.front().second);
                n.to_pool_.pop_front();
                ev->data = e->current.data();
                ev->len = e->current.size();
            } else if (!n.lost_for_pool_.empty()) {
                ev->kind = MPROC_REMOTE_LOST;
                ev->peer = n.lost_for_pool_.front();
                n.lost_for_pool_.pop_front();
                e->text = n.lost_text_[ev->peer];
                ev->text = e->text.c_str();
            }
            return 0;
        }
        n.worker_woken_[p] = false;
        if (n.lost_[p]) {
            if (!n.told_[p]) {
                n.told_[p] = true;
                ev->kind = MPROC_REMOTE_LOST;
                ev->text = "the pool is gone";
            }
        } else if (!n.to_worker_[p].empty()) {
            ev->kind = MPROC_REMOTE_MESSAGE;
            e->current = std::move(n.to_worker_[p].front());
            n.to_worker_[p].pop_front();
            ev->data = e->current.data();
            ev->len = e->current.size();
        }
        return 0;
    }

    static void wake_fn(mproc_remote_transport_t *t) {
        End *e = end_of(t);
        FakeNet &n = *e->net;
        std::lock_guard<std::mutex> guard(n.mutex_);
        if (e->peer < 0) {
            n.pool_woken_ = true;
        } else {
            n.worker_woken_[e->peer] = true;
        }
        n.cv_.notify_all();
    }

    static void close_fn(mproc_remote_transport_t *t, int graceful) {
        End *e = end_of(t);
        FakeNet &n = *e->net;
        std::lock_guard<std::mutex> guard(n.mutex_);
        if (e->peer < 0) {
            n.pool_closed_ = graceful;
            n.pool_close_count_++;
        } else {
            n.worker_closed_[e->peer] = graceful;
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<End>> ends_;
    std::vector<std::string> describe_;
    std::vector<std::deque<std::string>> to_worker_;
    std::deque<std::pair<int, std::string>> to_pool_;
    std::deque<int> lost_for_pool_;
    std::vector<bool> lost_;
    std::vector<bool> told_;
    std::vector<bool> worker_woken_;
    std::string lost_text_[16];
    bool pool_woken_ = false;
    int pool_closed_ = -1;
    int pool_close_count_ = 0;
    std::vector<int> worker_closed_;
    std::vector<std::vector<std::string>> log_;
};

// A fake network whose non-mute peers are served by run_remote_worker on threads. Declare
// it before the pool: the pool goes first, then any worker still serving is cut off.
class Cluster {
  public:
    explicit Cluster(std::vector<bool> served)
        : net(static_cast<int>(served.size())), codes_(served.size(), -1) {
        for (std::size_t p = 0; p < served.size(); ++p) {
            if (!served[p]) continue;
            threads_.emplace_back([this, p] {
                const int code = run_remote_worker(net.worker_end(static_cast<int>(p)));
                std::lock_guard<std::mutex> guard(mutex_);
                codes_[p] = code;
            });
        }
    }
    ~Cluster() {
        for (std::size_t p = 0; p < codes_.size(); ++p)
            net.lose(static_cast<int>(p), "test over");
        for (std::thread &t : threads_)
            t.join();
    }
    // The worker's exit code once it returned (waits up to kWait), else -1.
    int code(int p) {
        const Deadline deadline = Deadline::after(kWait);
        for (;;) {
            {
                std::lock_guard<std::mutex> guard(mutex_);
                if (codes_[p] != -1 || deadline.expired()) return codes_[p];
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    FakeNet net;

  private:
    std::mutex mutex_;
    std::vector<int> codes_;
    std::vector<std::thread> threads_;
};

Task add_task(int a, int b) {
    Task t = Task::reference(MPROC_TEST_TASKS_LIB, "add", "i(ii)");
    t.add_int(a);
    t.add_int(b);
    return t;
}

Task fixture(const char *symbol, const char *signature) {
    return Task::reference(MPROC_TEST_TASKS_LIB, symbol, signature);
}

const Outcome &outcome_of(const FuturePtr &f) {
    EXPECT_TRUE(f->wait(Deadline::after(kWait)));
    const Outcome *o = f->outcome();
    if (o == nullptr) throw std::runtime_error("future cancelled or not done");
    return *o;
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

int noop(void *) {
    return 0;
}

// ---------------------------------------------------------------- tests

TEST(RemotePool, MapGivesTheResultsWithEveryChunksize) {
    Cluster cluster({true, true});
    RemotePool pool(RemoteOptions{}, cluster.net.pool_end());
    EXPECT_EQ(pool.processes(), 2);
    std::vector<Task> tasks;
    for (int i = 0; i < 1000; ++i)
        tasks.push_back(add_task(i, 2 * i));
    std::vector<const Task *> refs;
    for (const Task &t : tasks)
        refs.push_back(&t);
    for (std::size_t chunksize : {std::size_t{1}, std::size_t{7}, std::size_t{0}}) {
        std::vector<FuturePtr> futures = pool.map(refs, chunksize);
        ASSERT_EQ(futures.size(), tasks.size());
        for (int i = 0; i < 1000; ++i) {
            const Outcome &o = outcome_of(futures[i]);
            ASSERT_EQ(o.status, kOk) << "chunksize " << chunksize << ": " << o.message;
            ASSERT_EQ(o.result.i, 3 * i) << "chunksize " << chunksize;
        }
    }
    // Both ranks took part.
    EXPECT_GT(cluster.net.tasks_sent_to(0), 0u);
    EXPECT_GT(cluster.net.tasks_sent_to(1), 0u);
}

TEST(RemotePool, ShutdownAndJoinStopEveryWorker) {
    Cluster cluster({true, true});
    RemotePool pool(RemoteOptions{}, cluster.net.pool_end());
    EXPECT_THROW(pool.join(Deadline::after(0)), Error);  // still accepting
    FuturePtr f = pool.submit(add_task(1, 2));
    pool.shutdown();
    EXPECT_EQ(pool.join(Deadline::after(kWait)), kOk);
    EXPECT_EQ(outcome_of(f).result.i, 3);
    for (int p = 0; p < 2; ++p) {
        const std::vector<wire::Type> sent = cluster.net.sent_to(p);
        EXPECT_EQ(std::count(sent.begin(), sent.end(), wire::Type::kStop), 1) << "peer " << p;
        EXPECT_EQ(cluster.code(p), 0) << "peer " << p;
        EXPECT_EQ(cluster.net.worker_closed(p), 1);
    }
    EXPECT_EQ(cluster.net.pool_closed(), 1);  // graceful: nobody was lost
    try {
        pool.submit(add_task(1, 1));
        ADD_FAILURE() << "submit after shutdown";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), mproc::core::kClosed);
    }
}

TEST(RemotePool, TaskWhoseLibraryCannotLoadFailsClearly) {
    Cluster cluster({true});
    RemotePool pool(RemoteOptions{}, cluster.net.pool_end());
    Task bad = Task::reference("/nonexistent/libmproc_nope.so", "f", "i()");
    Task good = add_task(20, 22);
    std::vector<FuturePtr> futures = pool.map({&good, &bad, &good}, 1);
    EXPECT_EQ(outcome_of(futures[0]).result.i, 42);
    const Outcome &o = outcome_of(futures[1]);
    EXPECT_NE(o.status, kOk);
    EXPECT_TRUE(contains(o.message, "libmproc_nope.so")) << o.message;
    EXPECT_EQ(outcome_of(futures[2]).result.i, 42);
}

TEST(RemotePool, CrashingTaskFailsBrokenNamingTheRankAndLaterTasksRun) {
    Cluster cluster({true});
    RemotePool pool(RemoteOptions{}, cluster.net.pool_end());
    Task kill = fixture("pool_kill_self", "i()");
    Task exit3 = fixture("pool_exit", "i(i)");
    exit3.add_int(3);
    Task good = add_task(1, 2);
    std::vector<FuturePtr> futures = pool.map({&good, &kill, &good, &exit3, &good}, 1);
    for (int k : {0, 2, 4}) {
        const Outcome &o = outcome_of(futures[k]);
        EXPECT_EQ(o.status, kOk) << k << ": " << o.message;
        EXPECT_EQ(o.result.i, 3);
    }
    for (int k : {1, 3}) {
        const Outcome &o = outcome_of(futures[k]);
        EXPECT_EQ(o.status, kBroken) << k;
        EXPECT_TRUE(contains(o.message, "worker rank 1 on host ")) << o.message;
    }
    EXPECT_TRUE(contains(outcome_of(futures[1]).message, "SIGKILL"));
    EXPECT_TRUE(contains(outcome_of(futures[3]).message, "status 3"));
    EXPECT_EQ(outcome_of(pool.submit(good)).result.i, 3);
}

TEST(RemotePool, LostRankFailsWhatItHeldAndTheOthersRunElsewhere) {
    Cluster cluster({false, true});  // peer 0 never answers
    RemotePool pool(RemoteOptions{}, cluster.net.pool_end());
    std::vector<Task> tasks;
    for (int i = 0; i < 200; ++i)
        tasks.push_back(add_task(i, i));
    std::vector<const Task *> refs;
    for (const Task &t : tasks)
        refs.push_back(&t);
    std::vector<FuturePtr> futures = pool.map(refs, 1);
    const std::size_t held = cluster.net.tasks_sent_to(0);
    EXPECT_GT(held, 0u);
    cluster.net.lose(0);
    std::size_t failed = 0;
    for (int i = 0; i < 200; ++i) {
        const Outcome &o = outcome_of(futures[i]);
        if (o.status == kOk) {
            EXPECT_EQ(o.result.i, 2 * i);
            continue;
        }
        ++failed;
        EXPECT_EQ(o.status, kBroken);
        EXPECT_TRUE(contains(o.message, "process pool (MPI): worker " + cluster.net.describe(0) +
                                            " was lost while holding task '"))
            << o.message;
        EXPECT_TRUE(contains(o.message, ":add': ")) << o.message;
        EXPECT_TRUE(contains(o.message, "no heartbeat for 10.0 s")) << o.message;
    }
    EXPECT_EQ(failed, held);
    EXPECT_EQ(pool.describe_workers(), std::vector<std::string>{cluster.net.describe(1)});
    // Still a pool: new work goes to the rank left.
    EXPECT_EQ(outcome_of(pool.submit(add_task(2, 3))).result.i, 5);
    pool.shutdown();
    EXPECT_EQ(pool.join(Deadline::after(kWait)), kOk);
    EXPECT_EQ(cluster.code(1), 0);
    EXPECT_EQ(cluster.net.pool_closed(), 0);  // a rank was lost: not graceful
}

TEST(RemotePool, EveryRankLostBreaksThePool) {
    Cluster cluster({false, false});
    RemotePool pool(RemoteOptions{}, cluster.net.pool_end());
    std::vector<FuturePtr> futures;
    for (int i = 0; i < 20; ++i)
        futures.push_back(pool.submit(add_task(i, i)));
    cluster.net.lose(0);
    cluster.net.lose(1, "host down");
    for (const FuturePtr &f : futures) {
        const Outcome &o = outcome_of(f);
        EXPECT_EQ(o.status, kBroken);
        EXPECT_TRUE(contains(o.message, "rank ")) << o.message;
    }
    // The pool is broken for good; later submits say so at once.
    const Deadline deadline = Deadline::after(kWait);
    bool refused = false;
    while (!refused && !deadline.expired()) {
        try {
            pool.submit(add_task(1, 1));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } catch (const Error &e) {
            EXPECT_EQ(e.status(), kBroken);
            EXPECT_TRUE(contains(e.what(), "every worker rank was lost")) << e.what();
            refused = true;
        }
    }
    EXPECT_TRUE(refused);
}

TEST(RemotePool, FunctionPointerTasksAndInitializersAreInvalid) {
    {
        Cluster cluster({false});
        RemotePool pool(RemoteOptions{}, cluster.net.pool_end());
        try {
            pool.submit(Task::function(&noop, nullptr));
            ADD_FAILURE() << "a function-pointer task was taken";
        } catch (const Error &e) {
            EXPECT_EQ(e.status(), kInvalid);
        }
        Task fn = Task::function(&noop, nullptr);
        EXPECT_THROW(pool.map({&fn}, 1), Error);
    }
    Cluster cluster({false});
    RemoteOptions o;
    o.initializer.emplace(Task::function(&noop, nullptr));
    try {
        RemotePool pool(o, cluster.net.pool_end());
        ADD_FAILURE() << "a function-pointer initializer was taken";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), kInvalid);
    }
    EXPECT_EQ(cluster.net.pool_closed(), 0);  // the pool closed the transport it was given
}

TEST(RemotePool, BadOptionsAreInvalid) {
    for (double timeout : {-1.0, std::nan("")}) {
        Cluster cluster({false});
        RemoteOptions o;
        o.heartbeat_timeout = timeout;
        try {
            RemotePool pool(o, cluster.net.pool_end());
            ADD_FAILURE() << "heartbeat timeout " << timeout << " was taken";
        } catch (const Error &e) {
            EXPECT_EQ(e.status(), kInvalid);
        }
    }
    Cluster cluster({false});
    RemoteOptions o;
    o.mpi_info = "host";  // no '='
    EXPECT_THROW(RemotePool(o, cluster.net.pool_end()), Error);
}

TEST(RemotePool, TerminateCancelsWhatWaitsAndFailsWhatRanks) {
    Cluster cluster({false, false});
    RemotePool pool(RemoteOptions{}, cluster.net.pool_end());
    std::vector<Task> tasks(300, add_task(1, 1));
    std::vector<const Task *> refs;
    for (const Task &t : tasks)
        refs.push_back(&t);
    std::vector<FuturePtr> futures = pool.map(refs, 1);
    const std::size_t held = cluster.net.tasks_sent_to(0) + cluster.net.tasks_sent_to(1);
    const auto t0 = std::chrono::steady_clock::now();
    pool.terminate();
    // The silent ranks never say bye: terminate waits a little for them, not for ever.
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
    std::size_t cancelled = 0;
    std::size_t broken = 0;
    for (const FuturePtr &f : futures) {
        ASSERT_TRUE(f->done());
        if (f->cancelled()) {
            ++cancelled;
            continue;
        }
        const Outcome *o = f->outcome();
        ASSERT_NE(o, nullptr);
        EXPECT_EQ(o->status, kBroken);
        EXPECT_TRUE(contains(o->message, "terminated")) << o->message;
        ++broken;
    }
    EXPECT_EQ(broken, held);
    EXPECT_EQ(cancelled, 300 - held);
    for (int p = 0; p < 2; ++p) {
        const std::vector<wire::Type> sent = cluster.net.sent_to(p);
        EXPECT_EQ(std::count(sent.begin(), sent.end(), wire::Type::kStop), 1);
    }
    EXPECT_EQ(cluster.net.pool_closed(), 0);
    EXPECT_EQ(pool.join(Deadline::after(kWait)), kOk);
}

TEST(RemotePool, FailedInitializerBreaksThePoolNamingTheRank) {
    Cluster cluster({true});
    RemoteOptions o;
    o.initializer.emplace(fixture("pool_init_fail", "i()"));
    RemotePool pool(o, cluster.net.pool_end());
    const FuturePtr f = pool.submit(add_task(1, 2));
    const Outcome &r = outcome_of(f);
    EXPECT_EQ(r.status, kBroken);
    EXPECT_TRUE(contains(r.message, "rank 1 on host fakehost")) << r.message;
    EXPECT_TRUE(contains(r.message, "pool_init_fail")) << r.message;
    EXPECT_THROW(pool.submit(add_task(1, 2)), Error);
    // The rank was told to stop and did.
    EXPECT_EQ(cluster.code(0), 0);
}

TEST(RemotePool, AWorkerRankServesAndExitsInsteadOfReturning) {
    // As in a rank > 0 of a static start: the transport says "worker", so the constructor
    // serves the pool (here: a configuration, then "stop") and exits the process.
    mproc_core_test::ChildReaper reaper;
    const pid_t pid = reaper.add(mproc_core_test::run_in_child([] {
        FakeNet net(1);
        wire::WorkerConfig config;
        config.serial = 1;
        config.inbox = config.results = config.status = "mpi";
        const std::string bytes = wire::encode_config(config);
        const std::string stop = wire::encode_stop();
        mproc_remote_transport_t *pool_end = net.pool_end();
        pool_end->send(pool_end, 0, bytes.data(), bytes.size());
        pool_end->send(pool_end, 0, stop.data(), stop.size());
        RemotePool pool(RemoteOptions{}, net.worker_end(0));
        return 42;  // not reached
    }));
    EXPECT_EQ(mproc_core_test::wait_child(pid, std::chrono::seconds(60)), 0);
}

TEST(RemotePool, ProcessPoolChecksTheMpiOptionsBeforeLookingForThePlugin) {
    using mproc::core::pool::Backend;
    using mproc::core::pool::PoolOptions;
    using mproc::core::pool::ProcessPool;
    PoolOptions o;
    o.backend = Backend::kMpi;
    o.method = mproc::core::process::StartMethod::kSpawn;
    try {
        ProcessPool pool(o);
        ADD_FAILURE() << "a start method was taken with MPI";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), kInvalid);
    }
    o.method = mproc::core::process::StartMethod::kDefault;
    o.backend = static_cast<Backend>(7);
    try {
        ProcessPool pool(o);
        ADD_FAILURE() << "backend 7 was taken";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), kInvalid);
    }
}

}  // namespace
