#include "peer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mproc_fuzz {

namespace {

// Values that sit on the edges of what the checks must reject or accept.
std::uint64_t interesting(Input &in, std::uint64_t file_size) {
    switch (in.below(12)) {
        case 0:
            return 0;
        case 1:
            return ~std::uint64_t{0};
        case 2:
            return 1;
        case 3:
            return 0x7fffffffu;
        case 4:
            return 0x80000000u;
        case 5:
            return static_cast<std::uint64_t>(::getpid());
        case 6:
            return file_size;
        case 7:
            return file_size + 1;
        case 8:
            return std::uint64_t{1} << 40;
        case 9:
            return 0x424f00434f52504dull;  // the header's magic
        case 10:
            return 0x59444552u;  // kReady
        default:
            return in.u8() * 64ull;  // a plausible offset or size
    }
}

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

}  // namespace

std::string object_path(const std::string &name) {
    return "/dev/shm/mproc." + name;
}

void peer_write(const std::string &name, Input &in, std::size_t limit) {
    const std::size_t width = std::size_t{1} << in.below(4);
    const bool from_input = in.flag();
    std::uint64_t raw_offset = in.u32();
    std::uint64_t value = 0;
    Fd fd(::open(object_path(name).c_str(), O_RDWR | O_CLOEXEC));
    if (fd.get() < 0) return;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || st.st_size < static_cast<off_t>(width)) return;
    const std::size_t size = static_cast<std::size_t>(st.st_size);
    value = from_input ? in.u64() : interesting(in, size);
    std::size_t span = limit != 0 && limit < size ? limit : size;
    // Mostly the first 512 bytes: the header and the fields every kind keeps after it.
    if (!in.flag() && span > 512) span = 512;
    if (span < width) return;
    const std::size_t offset = static_cast<std::size_t>(raw_offset % (span - width + 1));
    void *map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) return;
    std::memcpy(static_cast<unsigned char *>(map) + offset, &value, width);
    if (std::getenv("MPROC_FUZZ_TRACE") != nullptr) {
        std::fprintf(stderr, "peer: %zu bytes at %zu of %s = %#llx\n", width, offset, name.c_str(),
                     static_cast<unsigned long long>(value));
    }
    ::munmap(map, size);
}

void peer_resize(const std::string &name, Input &in) {
    Fd fd(::open(object_path(name).c_str(), O_RDWR | O_CLOEXEC));
    if (fd.get() < 0) return;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return;
    off_t size = st.st_size;
    switch (in.below(4)) {
        case 0:
            size = static_cast<off_t>(in.u16() % (static_cast<unsigned>(size) + 1));
            break;
        case 1:
            size = size > 0 ? size - 1 : 0;
            break;
        case 2:
            size += static_cast<off_t>(in.u16());
            break;
        default:
            size = static_cast<off_t>(in.below(80));  // inside or just past the header
            break;
    }
    if (::ftruncate(fd.get(), size) != 0) return;
}

void peer_unlink(const std::string &name) {
    ::unlink(object_path(name).c_str());
}

}  // namespace mproc_fuzz
