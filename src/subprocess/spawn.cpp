#include "subprocess/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"

// glibc >= 2.34 for posix_spawn_file_actions_addclosefrom_np (and 2.29 for addchdir_np).
#if !defined(__GLIBC__)
#error "mproc's subprocess needs glibc's posix_spawn (addclosefrom_np, addchdir_np)"
#elif !__GLIBC_PREREQ(2, 34)
#error "mproc's subprocess needs glibc >= 2.34 (posix_spawn_file_actions_addclosefrom_np)"
#endif

extern char **environ;

namespace mproc::core::subprocess {

namespace {

// One descriptor, closed at the end of its scope unless released.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd &operator=(Fd &&other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    ~Fd() { reset(); }

    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
};

const char *const kStreamNames[3] = {"stdin", "stdout", "stderr"};

// A close-on-exec copy of `fd` numbered 3 or more. The child's file actions then only
// ever dup2 descriptors >= 3 onto 0, 1 and 2, so one action never overwrites the source of
// a later one (stdout_fd = 0 and stdin_fd = 1, say), and dup2 never meets the case
// old == new, where it would leave the descriptor close-on-exec.
Fd high_copy(int fd, const std::string &what) {
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) {
        if (errno == EBADF) {
            throw Error(kInvalid, what + ": descriptor " + std::to_string(fd) + " is not open");
        }
        throw_errno(errno, what + ": fcntl(F_DUPFD_CLOEXEC)");
    }
    return Fd(copy);
}

// A pipe, both ends close-on-exec and numbered 3 or more (a caller that closed its own
// stdin would otherwise get fd 0 as an end: see high_copy).
std::pair<Fd, Fd> make_pipe(const char *stream) {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) {
        throw_errno(errno, std::string("subprocess: pipe for ") + stream);
    }
    Fd read_end(ends[0]), write_end(ends[1]);
    if (read_end.get() < 3) read_end = high_copy(read_end.get(), "subprocess: pipe");
    if (write_end.get() < 3) write_end = high_copy(write_end.get(), "subprocess: pipe");
    return {std::move(read_end), std::move(write_end)};
}

// Owns the posix_spawn structures.
class FileActions {
  public:
    FileActions() {
        if (const int err = posix_spawn_file_actions_init(&actions_); err != 0) {
            throw_errno(err, "subprocess: posix_spawn_file_actions_init");
        }
    }
    ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
    FileActions(const FileActions &) = delete;
    FileActions &operator=(const FileActions &) = delete;

    void dup2(int from, int to) {
        check(posix_spawn_file_actions_adddup2(&actions_, from, to), "adddup2");
    }
    void open(int to, const char *path, int flags) {
        check(posix_spawn_file_actions_addopen(&actions_, to, path, flags, 0), "addopen");
    }
    void chdir(const char *path) {
        check(posix_spawn_file_actions_addchdir_np(&actions_, path), "addchdir_np");
    }
    void close_from(int lowest) {
        check(posix_spawn_file_actions_addclosefrom_np(&actions_, lowest), "addclosefrom_np");
    }
    const posix_spawn_file_actions_t *get() const noexcept { return &actions_; }

  private:
    static void check(int err, const char *what) {
        if (err != 0) throw_errno(err, std::string("subprocess: posix_spawn_file_actions_") + what);
    }
    posix_spawn_file_actions_t actions_;
};

class Attributes {
  public:
    Attributes() {
        if (const int err = posix_spawnattr_init(&attr_); err != 0) {
            throw_errno(err, "subprocess: posix_spawnattr_init");
        }
    }
    ~Attributes() { posix_spawnattr_destroy(&attr_); }
    Attributes(const Attributes &) = delete;
    Attributes &operator=(const Attributes &) = delete;

    // An empty mask, and every signal back to its default action: the caller's handlers
    // cannot survive exec anyway, but what it blocks or ignores would.
    //
    // "Every" includes glibc's two internal real-time signals (32 and 33, which it uses
    // for thread cancellation and setxid): sigfillset leaves them out, and glibc's child
    // then sets them to SIG_IGN before exec, so a program that is not linked with glibc
    // would start with them ignored. Their bits are set directly (the layout of sigset_t
    // is the kernel's: bit n - 1 for signal n). The spawned child cannot receive them
    // before exec: glibc sends them only to the threads of the parent.
    void default_signals() {
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        constexpr int kBitsPerWord = 8 * sizeof(all.__val[0]);
        for (int sig = 1; sig < NSIG; ++sig) {
            if (sigismember(&all, sig) == 0) {
                all.__val[(sig - 1) / kBitsPerWord] |= 1UL << ((sig - 1) % kBitsPerWord);
            }
        }
        int err = posix_spawnattr_setsigmask(&attr_, &none);
        if (err == 0) err = posix_spawnattr_setsigdefault(&attr_, &all);
        if (err == 0) {
            err = posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        }
        if (err != 0) throw_errno(err, "subprocess: posix_spawnattr");
    }
    const posix_spawnattr_t *get() const noexcept { return &attr_; }

  private:
    posix_spawnattr_t attr_;
};

bool has_nul(const std::string &s) {
    return s.find('\0') != std::string::npos;
}

// What a failed exec (or a failed file action in the child) means to the caller.
Status exec_status(int err) noexcept {
    switch (err) {
        case ENOENT:
        case ENOTDIR:
            return kNotFound;
        case EACCES:
        case EPERM:
        case ENOEXEC:
        case EISDIR:
            return kPermission;
        case E2BIG:
            return kTooBig;
        default:
            return status_from_errno(err);
    }
}

[[noreturn]] void start_failed(Status status, const std::string &what, int err) {
    throw Error(status, what + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")");
}

// posix_spawn reports the child's chdir failing and its exec failing alike (ENOENT for
// both, say). Look at the directory from here to tell which one it was; the message is
// all this decides.
int cwd_problem(const std::string &cwd) {
    struct stat st {};
    if (::stat(cwd.c_str(), &st) != 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    if (::access(cwd.c_str(), X_OK) != 0) return errno;
    return 0;
}

}  // namespace

Spawned spawn(const std::vector<std::string> &argv, const SpawnOptions &options) {
    if (argv.empty()) throw Error(kInvalid, "subprocess: argv is empty");
    for (const std::string &arg : argv) {
        if (has_nul(arg)) throw Error(kInvalid, "subprocess: an argument contains a NUL byte");
    }
    const std::string program = "subprocess '" + argv[0] + "'";
    if (options.in.mode == Stdio::kStdout || options.out.mode == Stdio::kStdout) {
        throw Error(kInvalid, program + ": only stderr can go to stdout");
    }
    if (options.cwd && (options.cwd->empty() || has_nul(*options.cwd))) {
        throw Error(kInvalid, program + ": cwd is empty or contains a NUL byte");
    }
    std::vector<char *> envp;
    if (options.env) {
        envp.reserve(options.env->size() + 1);
        for (const std::string &entry : *options.env) {
            const std::size_t eq = entry.find('=');
            if (eq == std::string::npos || eq == 0 || has_nul(entry)) {
                throw Error(kInvalid, program + ": environment entry '" + entry.c_str() +
                                          "' is not NAME=value");
            }
            envp.push_back(const_cast<char *>(entry.c_str()));
        }
        envp.push_back(nullptr);
    }
    std::vector<char *> args;
    args.reserve(argv.size() + 1);
    for (const std::string &arg : argv)
        args.push_back(const_cast<char *>(arg.c_str()));
    args.push_back(nullptr);

    FileActions actions;
    // Descriptors the child's file actions read from; closed here once it started.
    Fd sources[3];
    Fd parent_ends[3];
    const StdioSpec *specs[3] = {&options.in, &options.out, &options.err};
    for (int stream = 0; stream < 3; ++stream) {
        const StdioSpec &spec = *specs[stream];
        const bool input = stream == 0;
        switch (spec.mode) {
            case Stdio::kInherit:
                break;
            case Stdio::kPipe: {
                auto ends = make_pipe(kStreamNames[stream]);
                sources[stream] = input ? std::move(ends.first) : std::move(ends.second);
                parent_ends[stream] = input ? std::move(ends.second) : std::move(ends.first);
                actions.dup2(sources[stream].get(), stream);
                break;
            }
            case Stdio::kDevNull:
                actions.open(stream, "/dev/null", input ? O_RDONLY : O_WRONLY);
                break;
            case Stdio::kFd:
                if (spec.fd < 0) {
                    throw Error(kInvalid, program + ": " + kStreamNames[stream] + " descriptor " +
                                              std::to_string(spec.fd) + " is negative");
                }
                sources[stream] = high_copy(spec.fd, program + ": " + kStreamNames[stream]);
                actions.dup2(sources[stream].get(), stream);
                break;
            case Stdio::kStdout:  // stderr only (checked above)
                actions.dup2(1, 2);
                break;
        }
    }
    if (options.cwd) actions.chdir(options.cwd->c_str());
    actions.close_from(3);

    Attributes attributes;
    attributes.default_signals();

    pid_t pid = -1;
    const int err = ::posix_spawnp(&pid, args[0], actions.get(), attributes.get(), args.data(),
                                   options.env ? envp.data() : environ);
    if (err != 0) {
        if (options.cwd) {
            if (const int cwd_err = cwd_problem(*options.cwd); cwd_err != 0) {
                start_failed(exec_status(cwd_err),
                             program + ": cannot change to directory '" + *options.cwd + "'",
                             cwd_err);
            }
        }
        start_failed(exec_status(err), program + ": cannot run", err);
    }
    Spawned spawned;
    spawned.pid = pid;
    for (int stream = 0; stream < 3; ++stream)
        spawned.fds[stream] = parent_ends[stream].release();
    return spawned;
}

}  // namespace mproc::core::subprocess
