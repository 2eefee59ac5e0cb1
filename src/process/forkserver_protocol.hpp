// What the forkserver's client and server say to each other (see forkserver.hpp for the
// design). Both ends are the same build of mproc on the same machine, so the structs travel
// in native byte order; the magic and version only catch a stray or mismatched peer.
//
// Control channel (SOCK_STREAM, the server's stdin): one request per child, a
// RequestHeader sent with SCM_RIGHTS carrying the child's end of its status channel and
// then, if the flags say so, the client's stdout and stderr; then `length` bytes of
// encode_job() (spawn_start.hpp). A stream, not SEQPACKET: a job holds the task's
// arguments and may be far larger than one socket buffer.
//
// Status channel (SOCK_SEQPACKET, one per child): StatusRecords, one per message. The
// child writes kPid first, before its task runs, with a pidfd of itself attached where the
// kernel has pidfd_open; then the server writes kStatus (the raw wait status) once it has
// reaped the child, and closes its end. kError replaces kPid when the server could not
// fork (errno) or the job was malformed (EINVAL).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace mproc::core::process::forkserver {

inline constexpr char kRequestMagic[4] = {'M', 'P', 'F', 'S'};
inline constexpr std::uint8_t kRequestVersion = 1;
inline constexpr std::uint8_t kHasStdout = 1;  // RequestHeader::flags
inline constexpr std::uint8_t kHasStderr = 2;
inline constexpr std::size_t kMaxRequestFds = 3;  // status channel, stdout, stderr

struct RequestHeader {
    char magic[4];
    std::uint8_t version;
    std::uint8_t flags;
    std::uint8_t reserved[2];
    std::uint64_t length;  // of the job that follows
};
static_assert(sizeof(RequestHeader) == 16);

enum RecordKind : std::uint32_t { kPid = 'P', kStatus = 'S', kError = 'E' };

struct StatusRecord {
    std::uint32_t kind;
    std::int32_t value;
};
static_assert(sizeof(StatusRecord) == 8);

// sendmsg of `len` bytes with `nfds` descriptors as SCM_RIGHTS (none if 0), with
// MSG_NOSIGNAL and `flags`. Bytes sent, or -1 with errno. Async-signal-safe.
ssize_t send_with_fds(int sock, const void *data, std::size_t len, const int *fds, std::size_t nfds,
                      int flags) noexcept;

// recvmsg of up to `len` bytes and up to `max_fds` descriptors (received close-on-exec),
// with `flags`. *nfds = how many came; *truncated = true if some were dropped (more than
// max_fds, or this process is out of descriptors). Bytes received, 0 at end of stream, or
// -1 with errno.
ssize_t recv_with_fds(int sock, void *data, std::size_t len, int *fds, std::size_t max_fds,
                      std::size_t *nfds, bool *truncated, int flags) noexcept;

}  // namespace mproc::core::process::forkserver
