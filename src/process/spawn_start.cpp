#include "process/spawn_start.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "error.hpp"
#include "pipe/sigpipe_block.hpp"
#include "process/process.hpp"
#include "subprocess/spawn.hpp"

#ifndef MPROC_WORKER_FALLBACK
#define MPROC_WORKER_FALLBACK ""
#endif
// Where `cmake --install` puts mproc-worker, relative to the library's directory (or
// absolute): set by src/CMakeLists.txt from the install's libdir and libexecdir.
#ifndef MPROC_WORKER_INSTALL_DIR
#define MPROC_WORKER_INSTALL_DIR "../libexec/mproc"
#endif

namespace mproc::core::process {

namespace {

constexpr char kMagic[4] = {'M', 'P', 'W', 'K'};
constexpr std::uint8_t kVersion = 1;
// A job is a name, a few flags and an encoded task; a task's arguments may hold bytes.
constexpr std::size_t kMaxJob = std::size_t{1} << 30;

void put_u64(std::string &out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>(v >> (8 * i) & 0xff));
}

class Reader {
  public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}
    std::uint64_t u64() {
        need(8);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) {
            v |= std::uint64_t{static_cast<unsigned char>(bytes_[pos_ + i])} << (8 * i);
        }
        pos_ += 8;
        return v;
    }
    std::uint8_t u8() {
        need(1);
        return static_cast<std::uint8_t>(bytes_[pos_++]);
    }
    std::string_view take(std::uint64_t n) {
        need(n);
        std::string_view s = bytes_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }
    bool at_end() const noexcept { return pos_ == bytes_.size(); }

  private:
    void need(std::uint64_t n) const {
        if (n > bytes_.size() - pos_) throw Error(kInvalid, "worker job: truncated");
    }
    std::string_view bytes_;
    std::size_t pos_ = 0;
};

bool is_executable(const std::string &path) {
    return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

std::string directory_of(const std::string &path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// Writes all of `data` to fd; false if the reader went away (EPIPE) or on another error.
bool write_all(int fd, const std::string &data) {
    pipe::SigpipeBlock sigpipe;
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (errno == EPIPE) sigpipe.discard_ours();
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

[[noreturn]] void fail(const std::string &why) noexcept {
    const std::string text = "mproc-worker: " + why + "\n";
    ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
    (void)ignored;
    ::_exit(1);
}

}  // namespace

std::string encode_job(const WorkerJob &job) {
    std::string out(kMagic, sizeof kMagic);
    out.push_back(static_cast<char>(kVersion));
    out.push_back(job.daemon ? 1 : 0);
    put_u64(out, static_cast<std::uint64_t>(job.parent));
    put_u64(out, job.name.size());
    out += job.name;
    put_u64(out, job.task.size());
    out += job.task;
    return out;
}

WorkerJob decode_job(std::string_view bytes) {
    Reader in(bytes);
    if (in.take(sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
        throw Error(kInvalid, "worker job: not an mproc job");
    }
    if (in.u8() != kVersion) throw Error(kInvalid, "worker job: unknown version");
    WorkerJob job;
    const std::uint8_t daemon = in.u8();
    if (daemon > 1) throw Error(kInvalid, "worker job: bad daemon flag");
    job.daemon = daemon == 1;
    const std::uint64_t parent = in.u64();
    if (parent == 0 || parent > 0x7fffffff) throw Error(kInvalid, "worker job: bad parent pid");
    job.parent = static_cast<pid_t>(parent);
    const std::uint64_t name_size = in.u64();
    if (name_size > kNameMax) throw Error(kInvalid, "worker job: name too long");
    job.name = std::string(in.take(name_size));
    job.task = std::string(in.take(in.u64()));
    if (!in.at_end()) throw Error(kInvalid, "worker job: trailing bytes");
    return job;
}

std::string worker_path() {
    if (const char *env = std::getenv("MPROC_WORKER"); env != nullptr && *env != '\0') {
        if (is_executable(env)) return env;
        throw Error(kNotFound,
                    std::string("spawn: MPROC_WORKER='") + env + "' is not an executable file");
    }
    std::string looked;
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void *>(&worker_path), &info) != 0 && info.dli_fname != nullptr &&
        info.dli_fname[0] == '/') {
        const std::string dir = directory_of(info.dli_fname);
        const std::string installed = MPROC_WORKER_INSTALL_DIR;
        const std::string candidates[] = {
            dir + "/mproc-worker",
            (installed[0] == '/' ? installed : dir + "/" + installed) + "/mproc-worker",
            dir + "/../libexec/mproc/mproc-worker"};
        for (const std::string &candidate : candidates) {
            if (is_executable(candidate)) return candidate;
            if (looked.find(" " + candidate) == std::string::npos) looked += " " + candidate;
        }
    }
    const std::string built = MPROC_WORKER_FALLBACK;
    if (is_executable(built)) return built;
    if (!built.empty()) looked += " " + built;
    throw Error(kNotFound, "spawn: mproc-worker not found (looked at" + looked +
                               "; set MPROC_WORKER to its path)");
}

pid_t spawn_worker(const task::Task &task, const std::string &name, bool daemon,
                   const std::string &label) {
    if (task.is_function()) {
        throw Error(kInvalid, label +
                                  ": start: a function-pointer task cannot run in a spawned "
                                  "process (it means nothing after exec): use a task "
                                  "reference, or the fork start method");
    }
    WorkerJob job;
    job.name = name;
    job.daemon = daemon;
    job.parent = ::getpid();
    job.task = task.encode();
    const std::string bytes = encode_job(job);
    if (bytes.size() > kMaxJob) throw Error(kTooBig, label + ": start: the task is over 1 GiB");

    subprocess::SpawnOptions options;
    options.in.mode = subprocess::Stdio::kPipe;
    const subprocess::Spawned spawned =
        subprocess::spawn({worker_path(), "--mproc-worker"}, options);
    // A worker that dies before reading its job is reported by its exit status, like any
    // other child death: nothing to do here if the write fails.
    write_all(spawned.fds[0], bytes);
    ::close(spawned.fds[0]);
    return spawned.pid;
}

void run_spawned_worker() noexcept {
    std::string bytes;
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(std::string("reading the job: ") + std::strerror(errno));
        if (n == 0) break;
        if (bytes.size() + static_cast<std::size_t>(n) > kMaxJob) fail("the job is over 1 GiB");
        bytes.append(buffer, static_cast<std::size_t>(n));
    }
    // As in Python's spawned children, the task's stdin is /dev/null, not our job pipe.
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::close(null);
    }
    try {
        WorkerJob job = decode_job(bytes);
        task::Task task = task::Task::decode(job.task);
        if (task.is_function()) fail("a function-pointer task cannot run in a spawned process");
        detail::run_as_child(task, job.name, job.daemon, job.parent, job.parent);
    } catch (const std::exception &e) {
        fail(e.what());
    }
}

}  // namespace mproc::core::process
