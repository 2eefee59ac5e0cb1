// A named shared-memory object: creation that publishes only fully initialised objects,
// opening with header checks, unlinking that checks the kind first, and the mapping's
// lifetime (RAII over boost::interprocess::mapped_region).
#pragma once

#include <boost/interprocess/mapped_region.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "shm/object_header.hpp"

namespace mproc::core::shm {

// What an object kind is: checked on open, so it must match between processes.
struct ObjectType {
    Kind kind;
    std::uint32_t layout_version;
    // Bytes, header included. Kinds whose size is chosen at creation (a queue's capacity,
    // an array's length) create with their size and open with 0: open then accepts the
    // size the header records if the file holds it, and the kind checks its own fields.
    std::size_t size;
    const char *label;  // "lock", for messages
    // True for kinds of variable size: create passes this object's size, and a create
    // that finds the name taken (open_existing) opens whatever size is there.
    bool variable_size = false;
};

struct CreateOptions {
    unsigned permissions = 0600;
    bool open_existing = false;  // if the name exists, open it instead of failing
};

class Segment {
  public:
    // Creates an object. `name` empty = anonymous (a generated name, unlinked when this
    // process destroys the Segment). `init` constructs the whole layout (header member
    // included, which create then fills in) in memory nobody else can see yet. Throws Error:
    // kInvalid (bad name), kExists (unless open_existing), kKind / kVersion (open_existing over
    // another object), kPermission, kNoMemory, kSystem.
    // A kind of variable size creates with type.size set to this object's size.
    static Segment create(std::string_view name, const ObjectType &type,
                          const CreateOptions &options,
                          const std::function<void(void *base)> &init);

    // Opens an existing object and checks its header. Throws Error: kInvalid, kNotFound,
    // kKind, kVersion, kPermission, kSystem.
    static Segment open(std::string_view name, const ObjectType &type);

    // Removes the name if it holds an object of `type`. Throws kInvalid, kNotFound, kKind
    // (the object is left in place), kVersion, kPermission.
    static void unlink(std::string_view name, const ObjectType &type);

    Segment(Segment &&other) noexcept;
    Segment &operator=(Segment &&other) noexcept;
    Segment(const Segment &) = delete;
    Segment &operator=(const Segment &) = delete;
    ~Segment();

    void *base() const noexcept { return region_.get_address(); }
    std::size_t size() const noexcept { return region_.get_size(); }
    const std::string &name() const noexcept { return name_; }
    bool created() const noexcept { return created_; }

  private:
    Segment(std::string name, boost::interprocess::mapped_region region, bool created,
            bool anonymous);
    void release_name() noexcept;

    std::string name_;
    boost::interprocess::mapped_region region_;
    bool created_ = false;
    bool anonymous_ = false;
    int creator_pid_ = 0;  // the process that must unlink an anonymous name
};

}  // namespace mproc::core::shm
