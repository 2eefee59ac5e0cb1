#include "process/forkserver_protocol.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mproc::core::process::forkserver {

namespace {
// Room for kMaxRequestFds descriptors, aligned as the kernel writes a cmsghdr.
union ControlBuffer {
    char bytes[CMSG_SPACE(sizeof(int) * kMaxRequestFds)];
    cmsghdr align;
};
}  // namespace

ssize_t send_with_fds(int sock, const void *data, std::size_t len, const int *fds, std::size_t nfds,
                      int flags) noexcept {
    if (nfds > kMaxRequestFds) {
        errno = EINVAL;
        return -1;
    }
    iovec iov{const_cast<void *>(data), len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ControlBuffer control;
    if (nfds > 0) {
        std::memset(&control, 0, sizeof control);
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        std::memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    do {
        n = ::sendmsg(sock, &msg, MSG_NOSIGNAL | flags);
    } while (n < 0 && errno == EINTR);
    return n;
}

ssize_t recv_with_fds(int sock, void *data, std::size_t len, int *fds, std::size_t max_fds,
                      std::size_t *nfds, bool *truncated, int flags) noexcept {
    *nfds = 0;
    *truncated = false;
    if (max_fds > kMaxRequestFds) max_fds = kMaxRequestFds;
    iovec iov{data, len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ControlBuffer control;
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return n;
    *truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
    for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (*nfds < max_fds) {
                fds[(*nfds)++] = fd;
            } else {
                ::close(fd);  // more than we asked for: not ours to keep
                *truncated = true;
            }
        }
    }
    return n;
}

}  // namespace mproc::core::process::forkserver
