// The file is opened read-only and mapped PROT_READ: inspecting cannot change an object.
// It trusts nothing it reads (see bounded_view.hpp). One hazard remains that no check
// can exclude: a process that truncates the file while we read it makes the pages past
// its new end raise SIGBUS. No mproc process ever shrinks an object's file.
#include "inspect/object_info.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <memory>

#include "inspect/bounded_view.hpp"
#include "inspect/kind_details.hpp"
#include "inspect/proc_maps.hpp"
#include "shm/name.hpp"
#include "shm/object_header.hpp"
#include "shm/process_start.hpp"

namespace mproc::core::inspect {

namespace {

using shm::ObjectHeader;

constexpr const char *kShmDirectory = "/dev/shm";

std::string file_path(std::string_view name) {
    return std::string(kShmDirectory) + "/" + std::string(shm::kNamePrefix) + std::string(name);
}

std::string describe(std::string_view name) {
    return "object '" + std::string(name) + "'";
}

class Descriptor {
  public:
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    Descriptor(const Descriptor &) = delete;
    Descriptor &operator=(const Descriptor &) = delete;
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }

  private:
    int fd_;
};

// A read-only mapping of a whole file, unmapped at the end of the scope.
class ReadOnlyMapping {
  public:
    ReadOnlyMapping(int fd, std::uint64_t size, const std::string &what) : size_(size) {
        if (size == 0) return;  // mmap cannot map nothing
        void *p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) throw_errno(errno, what + ": mmap");
        base_ = p;
    }
    ReadOnlyMapping(const ReadOnlyMapping &) = delete;
    ReadOnlyMapping &operator=(const ReadOnlyMapping &) = delete;
    ~ReadOnlyMapping() {
        if (base_ != nullptr) ::munmap(base_, static_cast<std::size_t>(size_));
    }

    BoundedView view() const noexcept { return BoundedView(base_, size_); }

  private:
    void *base_ = nullptr;
    std::uint64_t size_;
};

void problem(ObjectInfo &info, Status status, std::string text) {
    info.status = status;
    info.problem = std::move(text);
}

// The checks of shm/segment.cpp's check_header, in its order, reporting instead of
// throwing; each fills the fields it vouches for, and the first that fails ends the look.
// Not ours is kKind, another layout version (or a size that only another version could
// have) kVersion, fields out of range kCorrupt. The common header fields are filled once
// magic and state check out, before the kind is known: they mean the same in every kind.
void read_object(const BoundedView &view, ObjectInfo &info) {
    if (!view.contains(0, sizeof(ObjectHeader))) {
        return problem(info, kKind,
                       "too small to be an mproc object: " + std::to_string(view.size()) +
                           " bytes, a header has " + std::to_string(sizeof(ObjectHeader)));
    }
    if (view.get<std::uint64_t>(offsetof(ObjectHeader, magic)) != shm::kMagic) {
        return problem(info, kKind, "not an mproc object: no mproc magic number");
    }
    if (view.get<std::uint32_t>(offsetof(ObjectHeader, state)) != shm::kReady) {
        return problem(info, kKind,
                       "not initialised: its creator died creating it, or mproc did not make it");
    }
    // The common header fields, the same for every kind and layout version.
    const auto creator = view.get<std::uint32_t>(offsetof(ObjectHeader, creator_pid));
    info.creator_pid = static_cast<std::int32_t>(creator);
    info.creator_start_time = view.get<std::uint64_t>(offsetof(ObjectHeader, creator_start_time));
    info.creator_alive = info.creator_pid > 0
                             ? to_alive(shm::process_liveness(creator, info.creator_start_time))
                             : -1;  // 0 unknown; a negative pid would name a process group
    info.layout_version = view.get<std::uint32_t>(offsetof(ObjectHeader, layout_version));

    const auto kind = view.get<std::uint32_t>(offsetof(ObjectHeader, kind));
    const KindFacts *facts = kind_facts(kind);
    if (facts == nullptr) {
        return problem(info, kKind, "unknown kind of object " + std::to_string(kind));
    }
    info.kind = kind;
    info.kind_name = facts->name;
    if (info.layout_version != facts->layout_version) {
        return problem(info, kVersion,
                       "layout version " + std::to_string(info.layout_version) +
                           ", this library reads version " + std::to_string(facts->layout_version));
    }
    const auto size = view.get<std::uint64_t>(offsetof(ObjectHeader, size));
    if (facts->size != 0 && size != facts->size) {
        return problem(info, kVersion,
                       "the " + std::string(facts->name) + " is " + std::to_string(size) +
                           " bytes, this library's are " + std::to_string(facts->size));
    }
    if (size < sizeof(ObjectHeader) || size > view.size()) {
        return problem(info, kCorrupt,
                       "the header says " + std::to_string(size) + " bytes, the file has " +
                           std::to_string(view.size()));
    }
    info.waits = view.get<std::uint32_t>(offsetof(ObjectHeader, waits));
    info.timeouts = view.get<std::uint32_t>(offsetof(ObjectHeader, timeouts));
    info.owner_dead = view.get<std::uint32_t>(offsetof(ObjectHeader, owner_dead));
    read_kind_details(view, size, static_cast<shm::Kind>(kind), info);
}

void fill_file_fields(const struct stat &st, ObjectInfo &info) {
    info.bytes = static_cast<std::uint64_t>(st.st_size);
    info.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
    info.uid = static_cast<std::uint32_t>(st.st_uid);
}

}  // namespace

std::vector<std::string> list_names() {
    std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir(kShmDirectory), ::closedir);
    if (!dir) throw_errno(errno, std::string("list objects: open ") + kShmDirectory);
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        const dirent *entry = ::readdir(dir.get());
        if (entry == nullptr) break;
        const std::string_view file = entry->d_name;
        if (file.substr(0, shm::kNamePrefix.size()) != shm::kNamePrefix) continue;
        const std::string_view name = file.substr(shm::kNamePrefix.size());
        try {
            shm::validate_name(name);
        } catch (const Error &) {
            continue;  // not a name mproc gives out: someone else's file
        }
        names.emplace_back(name);
    }
    if (errno != 0) throw_errno(errno, std::string("list objects: read ") + kShmDirectory);
    std::sort(names.begin(), names.end());
    return names;
}

ObjectInfo inspect(std::string_view name) {
    shm::validate_name(name);
    const std::string what = describe(name) + ": inspect";
    const std::string path = file_path(name);
    ObjectInfo info;
    info.name = std::string(name);
    info.kind_name = "unknown";

    // What the name is, before anything is opened: a FIFO, a socket or a device under
    // the name is reported, never opened (opening one may block or act on a device).
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) throw Error(kNotFound, what + ": no object of that name");
        throw_errno(errno, what + ": lstat");
    }
    if (!S_ISREG(st.st_mode)) {
        fill_file_fields(st, info);
        problem(info, kKind,
                S_ISLNK(st.st_mode) ? "a symbolic link, not an mproc object"
                                    : "not a regular file, not an mproc object");
        return info;
    }
    // O_NOFOLLOW and O_NONBLOCK: if the name was replaced since lstat by a link or a FIFO,
    // the open fails or returns at once, and fstat tells.
    Descriptor fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        if (errno == ENOENT) throw Error(kNotFound, what + ": no object of that name");
        if (errno == ELOOP) throw Error(kKind, what + ": the name became a symbolic link");
        throw_errno(errno, what);
    }
    if (::fstat(fd.get(), &st) != 0) throw_errno(errno, what + ": fstat");
    fill_file_fields(st, info);
    if (!S_ISREG(st.st_mode)) {
        problem(info, kKind, "not a regular file, not an mproc object");
        return info;
    }
    {
        // Unmapped at the end of this scope: our own mapping must not count among users.
        ReadOnlyMapping mapping(fd.get(), info.bytes, what);
        read_object(mapping.view(), info);
    }
    info.users = count_mapping_processes(st.st_dev, st.st_ino);
    return info;
}

void remove(std::string_view name) {
    shm::validate_name(name);
    if (::unlink(file_path(name).c_str()) != 0) {
        const int err = errno;
        const std::string what = describe(name) + ": remove";
        if (err == ENOENT) throw Error(kNotFound, what + ": no object of that name");
        throw_errno(err, what);
    }
}

}  // namespace mproc::core::inspect
