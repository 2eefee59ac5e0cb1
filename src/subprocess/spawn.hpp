// Starting a program with posix_spawn: what its stdin, stdout and stderr are, its
// environment and working directory, and turning "could not start it" into an error of
// the call instead of a child that exits 127.
//
// Why posix_spawn and not fork + exec: glibc's posix_spawn runs the child on a fresh stack
// with CLONE_VM | CLONE_VFORK, so it costs the same whatever the caller's memory size, it
// runs no pthread_atfork handlers, and the parent sleeps until the child has called exec:
// an exec that fails is reported as posix_spawn's return value (glibc >= 2.24), and glibc
// reaps that child itself. So a missing program leaves no process behind.
//
// What the child gets:
//  - descriptors 0, 1 and 2 as asked, and no other: the pipes we make are close-on-exec
//    (pipe2(O_CLOEXEC)), and a last file action closes every descriptor from 3 up
//    (posix_spawn_file_actions_addclosefrom_np, glibc >= 2.34), so even the caller's
//    descriptors that are not close-on-exec stay behind;
//  - an empty signal mask and the default disposition of every signal
//    (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF): a caller that blocks or ignores
//    SIGPIPE, SIGINT... does not pass that on;
//  - `env` as its whole environment, or the caller's;
//  - `cwd` as its working directory (posix_spawn_file_actions_addchdir_np, glibc >= 2.29),
//    before exec: a relative program path is found from there, as in Python.
//
// PATH: argv[0] without a '/' is searched in the caller's PATH (posix_spawnp, as execvp),
// not in the PATH of `env`. Files that are not executables (ENOEXEC) are not retried with
// /bin/sh: posix_spawnp stopped doing that in glibc 2.15, and Python does not either.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace mproc::core::subprocess {

// What one of the child's standard streams is.
enum class Stdio {
    kInherit,  // the caller's own descriptor 0, 1 or 2
    kPipe,     // a pipe whose other end the caller keeps
    kDevNull,  // /dev/null
    kFd,       // a descriptor of the caller's (StdioSpec::fd); the caller keeps it
    kStdout,   // stderr only: wherever stdout goes (2>&1)
};

struct StdioSpec {
    Stdio mode = Stdio::kInherit;
    int fd = -1;  // for kFd
};

struct SpawnOptions {
    StdioSpec in, out, err;
    // "NAME=value" strings: the child's whole environment. Empty optional: the caller's.
    std::optional<std::vector<std::string>> env;
    // The child's working directory. Empty optional: the caller's.
    std::optional<std::string> cwd;
};

struct Spawned {
    pid_t pid = -1;
    // The caller's end of the pipe of stdin, stdout, stderr (close-on-exec, blocking), or
    // -1 where the stream is not a pipe. Owned by the caller from here on.
    int fds[3] = {-1, -1, -1};
};

// Starts argv[0] with arguments argv. Throws Error: kInvalid (argv empty, kStdout for
// stdin or stdout, a kFd descriptor that is not open, an env entry without '=', an empty
// cwd), kNotFound (no such program, or no such cwd), kPermission (not executable, or not
// in an executable format; cwd not searchable), kTooBig (arguments and environment over
// the kernel's limit), kNoMemory, kSystem. The message names the program (or the cwd).
Spawned spawn(const std::vector<std::string> &argv, const SpawnOptions &options);

}  // namespace mproc::core::subprocess
