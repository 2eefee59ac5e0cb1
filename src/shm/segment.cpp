#include "shm/segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/interprocess/detail/os_file_functions.hpp>
#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <atomic>
#include <cerrno>
#include <random>
#include <utility>

#include "error.hpp"
#include "shm/name.hpp"
#include "shm/process_start.hpp"

namespace mproc::core::shm {

namespace bip = boost::interprocess;

namespace {

// glibc's shm_open places every object here on Linux; creation works on the directory
// itself because it needs O_TMPFILE and link(), which shm_open does not offer.
constexpr const char *kShmDirectory = "/dev/shm";

class FileDescriptor {
  public:
    explicit FileDescriptor(int fd = -1) noexcept : fd_(fd) {}
    FileDescriptor(const FileDescriptor &) = delete;
    FileDescriptor &operator=(const FileDescriptor &) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }

  private:
    int fd_;
};

// Lets boost::interprocess::mapped_region map a descriptor we opened ourselves (with
// O_NOFOLLOW and O_TMPFILE, which boost's shared_memory_object does not offer).
struct DescriptorMappable {
    int fd;
    bip::mapping_handle_t get_mapping_handle() const {
        return bip::ipcdetail::mapping_handle_from_file_handle(fd);
    }
};

bip::mapped_region map_descriptor(int fd, std::size_t size, const std::string &what) {
    try {
        return bip::mapped_region(DescriptorMappable{fd}, bip::read_write, 0, size);
    } catch (const bip::interprocess_exception &e) {
        int err = e.get_native_error();
        throw_errno(err != 0 ? err : ENOMEM, what + ": mmap");
    }
}

std::string describe(const ObjectType &type, std::string_view name) {
    return std::string(type.label) + " '" + std::string(name) + "'";
}

const char *kind_label(std::uint32_t kind) {
    switch (static_cast<Kind>(kind)) {
        case Kind::kLock:
            return "lock";
        case Kind::kRLock:
            return "rlock";
        case Kind::kSemaphore:
            return "semaphore";
        case Kind::kEvent:
            return "event";
        case Kind::kCondition:
            return "condition";
        case Kind::kBarrier:
            return "barrier";
        case Kind::kQueue:
            return "queue";
        case Kind::kValue:
            return "value";
        case Kind::kArray:
            return "array";
        case Kind::kDict:
            return "dict";
        case Kind::kList:
            return "list";
    }
    return "unknown kind of object";
}

// "a lock", "an array", "an event": for messages.
std::string with_article(const char *noun) {
    const bool vowel =
        noun[0] == 'a' || noun[0] == 'e' || noun[0] == 'i' || noun[0] == 'o' || noun[0] == 'u';
    return std::string(vowel ? "an " : "a ") + noun;
}

std::string directory_path(std::string_view name) {
    std::string path = kShmDirectory;
    path += shm_path(name);
    return path;
}

// An unnamed file in the shm directory, ready to be initialised and then linked under its
// name. Falls back to a uniquely named temporary file where O_TMPFILE is not supported;
// `temporary_path` then names it so that publish() can move it.
int create_unpublished(std::string &temporary_path, const std::string &what) {
    int fd = ::open(kShmDirectory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        throw_errno(errno, what + ": create in " + kShmDirectory);
    }
    static std::atomic<unsigned> counter{0};
    std::random_device random;
    temporary_path = std::string(kShmDirectory) + "/mproc-tmp." + std::to_string(getpid()) + "." +
                     std::to_string(counter.fetch_add(1)) + "." + std::to_string(random());
    fd = ::open(temporary_path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno(errno, what + ": create " + temporary_path);
    return fd;
}

// Gives the initialised file its name. link() never replaces an existing name, so this
// is the create-if-absent step: EEXIST means another object holds the name.
int publish(int fd, const std::string &temporary_path, const std::string &final_path) {
    int rc;
    if (temporary_path.empty()) {
        std::string self = "/proc/self/fd/" + std::to_string(fd);
        rc = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, final_path.c_str(), AT_SYMLINK_FOLLOW);
    } else {
        rc = ::link(temporary_path.c_str(), final_path.c_str());
        int saved = errno;
        ::unlink(temporary_path.c_str());
        errno = saved;
    }
    return rc == 0 ? 0 : errno;
}

void check_header(const ObjectHeader &header, std::uint64_t file_size, const ObjectType &type,
                  const std::string &what) {
    if (header.magic != kMagic) throw Error(kKind, what + ": not an mproc object");
    if (header.state.load(std::memory_order_acquire) != kReady) {
        throw Error(kKind, what + ": object is not initialised (not created by mproc?)");
    }
    if (header.kind != static_cast<std::uint32_t>(type.kind)) {
        throw Error(kKind, what + ": the name holds " + with_article(kind_label(header.kind)) +
                               ", not " + with_article(type.label));
    }
    if (header.layout_version != type.layout_version) {
        throw Error(kVersion, what + ": layout version " + std::to_string(header.layout_version) +
                                  ", this library reads version " +
                                  std::to_string(type.layout_version));
    }
    const bool size_ok =
        type.size != 0 ? header.size == type.size : header.size >= sizeof(ObjectHeader);
    if (!size_ok || file_size < header.size) {
        throw Error(kVersion, what + ": object is " + std::to_string(header.size) +
                                  " bytes in a file of " + std::to_string(file_size) +
                                  (type.size != 0 ? ", expected " + std::to_string(type.size)
                                                  : std::string()));
    }
}

}  // namespace

Segment::Segment(std::string name, bip::mapped_region region, bool created, bool anonymous)
    : name_(std::move(name)),
      region_(std::move(region)),
      created_(created),
      anonymous_(anonymous),
      creator_pid_(created ? getpid() : 0) {}

Segment::Segment(Segment &&other) noexcept
    : name_(std::move(other.name_)),
      region_(std::move(other.region_)),
      created_(other.created_),
      anonymous_(std::exchange(other.anonymous_, false)),
      creator_pid_(other.creator_pid_) {}

Segment &Segment::operator=(Segment &&other) noexcept {
    if (this != &other) {
        release_name();
        name_ = std::move(other.name_);
        region_ = std::move(other.region_);
        created_ = other.created_;
        anonymous_ = std::exchange(other.anonymous_, false);
        creator_pid_ = other.creator_pid_;
    }
    return *this;
}

Segment::~Segment() {
    release_name();
}

void Segment::release_name() noexcept {
    // An anonymous object's name is the creating process's to remove; a forked child that
    // inherited the Segment leaves it alone.
    if (anonymous_ && created_ && creator_pid_ == getpid()) {
        ::shm_unlink(shm_path(name_).c_str());
    }
    anonymous_ = false;
}

Segment Segment::create(std::string_view name, const ObjectType &type, const CreateOptions &options,
                        const std::function<void(void *base)> &init) {
    const bool anonymous = name.empty();
    std::string chosen = anonymous ? generate_anonymous_name() : std::string(name);
    const std::string what = describe(type, chosen) + ": create";
    if (!anonymous) validate_name(chosen);
    if (options.permissions > 0777) {
        throw Error(kInvalid, what + ": permissions must be at most 0777");
    }

    std::string temporary_path;
    FileDescriptor fd(create_unpublished(temporary_path, what));
    // Exactly the asked-for mode, whatever the umask; the default is 0600.
    if (::fchmod(fd.get(), options.permissions) != 0) throw_errno(errno, what + ": fchmod");
    if (::ftruncate(fd.get(), static_cast<off_t>(type.size)) != 0) {
        int err = errno;
        if (!temporary_path.empty()) ::unlink(temporary_path.c_str());
        throw_errno(err, what + ": ftruncate");
    }
    bip::mapped_region region = map_descriptor(fd.get(), type.size, what);

    // init constructs the whole layout, its header member included; the header's fields
    // are ours to fill in afterwards.
    init(region.get_address());
    auto *header = static_cast<ObjectHeader *>(region.get_address());
    header->magic = kMagic;
    header->layout_version = type.layout_version;
    header->kind = static_cast<std::uint32_t>(type.kind);
    header->header_size = sizeof(ObjectHeader);
    header->size = type.size;
    header->creator_pid = getpid();
    header->creator_start_time = current_process_start_time();
    header->state.store(kReady, std::memory_order_release);

    int err = publish(fd.get(), temporary_path, directory_path(chosen));
    if (err == EEXIST && options.open_existing) {
        ObjectType existing = type;
        if (type.variable_size) existing.size = 0;
        return open(chosen, existing);
    }
    if (err == EEXIST) throw Error(kExists, what + ": an object of that name exists already");
    if (err != 0) throw_errno(err, what + ": link into " + kShmDirectory);
    return Segment(std::move(chosen), std::move(region), true, anonymous);
}

Segment Segment::open(std::string_view name, const ObjectType &type) {
    const std::string what = describe(type, name) + ": open";
    validate_name(name);
    FileDescriptor fd(::shm_open(shm_path(name).c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0));
    if (fd.get() < 0) {
        if (errno == ENOENT) throw Error(kNotFound, what + ": no object of that name");
        if (errno == ELOOP) throw Error(kKind, what + ": the name is a symbolic link");
        throw_errno(errno, what);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno(errno, what + ": fstat");
    if (!S_ISREG(st.st_mode)) throw Error(kKind, what + ": not a regular file");
    if (static_cast<std::size_t>(st.st_size) < sizeof(ObjectHeader)) {
        throw Error(kKind, what + ": too small to be an mproc object");
    }
    bip::mapped_region region =
        map_descriptor(fd.get(), static_cast<std::size_t>(st.st_size), what);
    check_header(*static_cast<const ObjectHeader *>(region.get_address()),
                 static_cast<std::uint64_t>(st.st_size), type, what);
    return Segment(std::string(name), std::move(region), false, false);
}

void Segment::unlink(std::string_view name, const ObjectType &type) {
    { Segment checked = open(name, type); }  // throws for another kind: nothing is removed
    std::string path = shm_path(name);
    if (!bip::shared_memory_object::remove(path.c_str())) {
        int err = errno;
        throw_errno(err != 0 ? err : ENOENT, describe(type, name) + ": unlink");
    }
}

}  // namespace mproc::core::shm
