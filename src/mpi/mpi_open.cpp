// mproc_mpi_transport_open: the plugin's one exported symbol. Finds this process's role
// (see remote_transport.h) and makes the communicator to its peers.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mpi_runtime.hpp"
#include "mpi_transport.hpp"

namespace mproc::mpi {

namespace {

struct Failure {
    std::string text;
};

// MPI_Info from "key=value;key=value". Empty items (a trailing ';') are skipped; an item
// without '=' or with an empty key is an error.
MPI_Info parse_info(const char *text) {
    MPI_Info info = MPI_INFO_NULL;
    if (text == nullptr || *text == '\0') {
        return info;
    }
    std::vector<std::pair<std::string, std::string>> items;
    const std::string all(text);
    std::size_t start = 0;
    while (start <= all.size()) {
        std::size_t end = all.find(';', start);
        if (end == std::string::npos) {
            end = all.size();
        }
        const std::string item = all.substr(start, end - start);
        if (!item.empty()) {
            const std::size_t eq = item.find('=');
            if (eq == std::string::npos || eq == 0) {
                throw Failure{"malformed MPI info \"" + all + "\": \"" + item +
                              "\" is not key=value (expected \"key=value;key=value\")"};
            }
            items.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        }
        start = end + 1;
    }
    if (items.empty()) {
        return info;
    }
    MPI_Info_create(&info);
    for (const auto &[key, value] : items) {
        if (key.size() >= MPI_MAX_INFO_KEY || value.size() >= MPI_MAX_INFO_VAL) {
            MPI_Info_free(&info);
            throw Failure{"MPI info key or value too long: \"" + key + "\""};
        }
        MPI_Info_set(info, key.c_str(), value.c_str());
    }
    return info;
}

void check(int rc, const char *what) {
    if (rc != MPI_SUCCESS) {
        throw Failure{std::string(what) + " failed: " + Runtime::error_text(rc)};
    }
}

std::unique_ptr<Transport> open_worker(MPI_Comm comm, CommKind kind,
                                       const mproc_remote_options_t &o) {
    check(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    return std::make_unique<Transport>(MPROC_REMOTE_WORKER, kind, comm, std::vector<int>{0},
                                       o.heartbeat_interval, o.heartbeat_timeout);
}

std::unique_ptr<Transport> open_static_pool(int world_size, const mproc_remote_options_t &o) {
    const int others = world_size - 1;
    if (o.workers != 0 && o.workers != others) {
        throw Failure{"static MPI start: " + std::to_string(o.workers) +
                      " workers asked, but mpiexec started " + std::to_string(others) +
                      " other ranks (ask 0 or " + std::to_string(others) + ")"};
    }
    if (Runtime::get().static_used()) {
        throw Failure{
            "static MPI start: the worker ranks served a pool already and have "
            "exited (one pool per mpiexec run)"};
    }
    MPI_Comm comm = MPI_COMM_NULL;
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm), "MPI_Comm_dup");
    Runtime::get().set_static_used();
    check(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    std::vector<int> ranks;
    for (int r = 1; r < world_size; ++r) {
        ranks.push_back(r);
    }
    return std::make_unique<Transport>(MPROC_REMOTE_POOL, CommKind::kWorld, comm, std::move(ranks),
                                       o.heartbeat_interval, o.heartbeat_timeout);
}

// MPI_Comm_spawn can block for ever (Open MPI 4.1: a spawn while a previous job of
// workers is being aborted waits in connect/accept for good). With MPI_THREAD_MULTIPLE it
// runs on a thread of its own, without the plugin's mutex, and is given this long; a
// spawn that does not return is abandoned there.
constexpr int kSpawnWaitSeconds = 120;
// How long a spawn waits for the workers of pools closed before it to be gone.
constexpr double kPreviousWorkersSeconds = 15;

struct Spawn {
    int rc = MPI_SUCCESS;
    MPI_Comm comm = MPI_COMM_NULL;
    std::vector<int> codes;
    bool timed_out = false;
};

Spawn spawn_bounded(const mproc_remote_options_t &o, MPI_Info info,
                    std::unique_lock<std::mutex> &lock) {
    struct Shared {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
        Spawn result;
        std::string program;
    };
    auto shared = std::make_shared<Shared>();
    shared->result.codes.assign(static_cast<std::size_t>(o.workers), MPI_SUCCESS);
    shared->program = o.worker_program;
    const int workers = o.workers;
    auto run = [shared, workers, info] {
        MPI_Comm comm = MPI_COMM_NULL;
        std::vector<int> codes(static_cast<std::size_t>(workers), MPI_SUCCESS);
        const int rc = MPI_Comm_spawn(shared->program.c_str(), MPI_ARGV_NULL, workers, info, 0,
                                      MPI_COMM_SELF, &comm, codes.data());
        std::lock_guard<std::mutex> guard(shared->mutex);
        shared->result.rc = rc;
        shared->result.comm = comm;
        shared->result.codes = std::move(codes);
        shared->done = true;
        shared->cv.notify_all();
    };
    if (!Runtime::get().multiple()) {
        run();  // MPI_THREAD_SERIALIZED: only under the mutex, so unbounded
        return shared->result;
    }
    std::thread(run).detach();
    lock.unlock();
    std::unique_lock<std::mutex> wait(shared->mutex);
    const bool done = shared->cv.wait_for(wait, std::chrono::seconds(kSpawnWaitSeconds),
                                          [&] { return shared->done; });
    wait.unlock();
    lock.lock();
    if (!done) {
        // `info` stays with the thread, which may still read it.
        Spawn failed;
        failed.timed_out = true;
        return failed;
    }
    return shared->result;
}

std::unique_ptr<Transport> open_dynamic_pool(const mproc_remote_options_t &o,
                                             std::unique_lock<std::mutex> &lock) {
    if (o.workers <= 0) {
        throw Failure{"dynamic MPI start: workers must be > 0, not " + std::to_string(o.workers)};
    }
    if (o.worker_program == nullptr || *o.worker_program == '\0') {
        throw Failure{"dynamic MPI start: no worker program"};
    }
    // MPI_Comm_spawn of a missing program fails late and obscurely (or not at all on some
    // launchers): say it plainly first.
    if (std::strchr(o.worker_program, '/') != nullptr && access(o.worker_program, X_OK) != 0) {
        throw Failure{std::string("the MPI worker program ") + o.worker_program +
                      " is missing or not executable"};
    }
    MPI_Info info = parse_info(o.info);
    check(MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    // The workers of an earlier pool must be gone first (see Runtime::await_workers_gone);
    // other transports keep polling meanwhile.
    lock.unlock();
    Runtime::get().await_workers_gone(kPreviousWorkersSeconds);
    lock.lock();
    Spawn spawn = spawn_bounded(o, info, lock);
    if (info != MPI_INFO_NULL && !spawn.timed_out) {
        MPI_Info_free(&info);  // else the blocked spawn may still read it: leaked
    }
    if (spawn.timed_out) {
        // The spawn is still blocked in MPI: this process stays connected to whatever
        // starts, and MPI must not be finalised.
        Runtime::get().opened();
        Runtime::get().closed(false);
        throw Failure{"MPI_Comm_spawn of " + std::to_string(o.workers) + " x " + o.worker_program +
                      " did not complete in " + std::to_string(kSpawnWaitSeconds) +
                      " s (did the workers start? is a previous job of workers still ending?)"};
    }
    const int rc = spawn.rc;
    MPI_Comm comm = spawn.comm;
    std::vector<int> &codes = spawn.codes;
    if (rc != MPI_SUCCESS) {
        throw Failure{"MPI_Comm_spawn of " + std::to_string(o.workers) + " x " + o.worker_program +
                      " failed: " + Runtime::error_text(rc) +
                      " (on a host with fewer cores than workers, Open MPI needs "
                      "OMPI_MCA_rmaps_base_oversubscribe=1)"};
    }
    for (std::size_t i = 0; i < codes.size(); ++i) {
        if (codes[i] != MPI_SUCCESS) {
            // Some workers started: this process is connected to them for good.
            Runtime::get().opened();
            Runtime::get().closed(false);
            throw Failure{"MPI_Comm_spawn: worker " + std::to_string(i) +
                          " did not start: " + Runtime::error_text(codes[i])};
        }
    }
    check(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    std::vector<int> ranks;
    for (int r = 0; r < o.workers; ++r) {
        ranks.push_back(r);
    }
    return std::make_unique<Transport>(MPROC_REMOTE_POOL, CommKind::kSpawned, comm,
                                       std::move(ranks), o.heartbeat_interval, o.heartbeat_timeout);
}

std::unique_ptr<Transport> open(const mproc_remote_options_t &o) {
    if (o.abi != MPROC_REMOTE_ABI) {
        throw Failure{"libmproc_mpi speaks transport ABI " + std::to_string(MPROC_REMOTE_ABI) +
                      ", the caller " + std::to_string(o.abi)};
    }
    if (!(o.heartbeat_interval > 0) || !(o.heartbeat_timeout > o.heartbeat_interval)) {
        throw Failure{"heartbeat interval must be > 0 and the timeout greater than it"};
    }
    std::string err;
    if (!Runtime::get().ensure_init(&err)) {
        throw Failure{err};
    }
    std::unique_lock<std::mutex> lock(Runtime::get().mutex());
    MPI_Comm parent = MPI_COMM_NULL;
    check(MPI_Comm_get_parent(&parent), "MPI_Comm_get_parent");
    if (parent != MPI_COMM_NULL) {
        return open_worker(parent, CommKind::kParent, o);
    }
    int size = 1;
    int rank = 0;
    check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
    if (size > 1) {
        if (rank == 0) {
            return open_static_pool(size, o);
        }
        // Every rank duplicates MPI_COMM_WORLD (collective), as rank 0 does.
        if (Runtime::get().static_used()) {
            throw Failure{"this worker rank served a pool already"};
        }
        MPI_Comm comm = MPI_COMM_NULL;
        check(MPI_Comm_dup(MPI_COMM_WORLD, &comm), "MPI_Comm_dup");
        Runtime::get().set_static_used();
        return open_worker(comm, CommKind::kWorld, o);
    }
    return open_dynamic_pool(o, lock);
}

}  // namespace

// For mproc-mpi-worker: true when this process was spawned by a pool or is a rank > 0
// of a static start (initialises MPI to know).
bool started_as_worker(std::string *err) {
    if (!Runtime::get().ensure_init(err)) {
        return false;
    }
    std::lock_guard<std::mutex> lock(Runtime::get().mutex());
    MPI_Comm parent = MPI_COMM_NULL;
    MPI_Comm_get_parent(&parent);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return parent != MPI_COMM_NULL || rank > 0;
}

namespace {

void copy_error(const std::string &text, char *err, size_t errcap) {
    if (err != nullptr && errcap > 0) {
        std::snprintf(err, errcap, "%s", text.c_str());
    }
}

}  // namespace

}  // namespace mproc::mpi

extern "C" __attribute__((visibility("default"))) int mproc_mpi_transport_open(
    const mproc_remote_options_t *options, mproc_remote_transport_t **out, char *err,
    size_t errcap) {
    using namespace mproc::mpi;
    if (options == nullptr || out == nullptr) {
        copy_error("mproc_mpi_transport_open: NULL argument", err, errcap);
        return -1;
    }
    try {
        std::unique_ptr<Transport> transport = open(*options);
        transport->await_hellos(options->heartbeat_timeout);
        Runtime::get().opened();
        *out = transport.release()->table();  // owned by the table: close() deletes it
        return 0;
    } catch (const Failure &failure) {
        copy_error(failure.text, err, errcap);
    } catch (const std::exception &e) {
        copy_error(std::string("mproc_mpi_transport_open: ") + e.what(), err, errcap);
    } catch (...) {
        copy_error("mproc_mpi_transport_open: unknown failure", err, errcap);
    }
    return -1;
}
