// What the MirroredHeap tests and the container fault tests share: a MirroredHeap whose
// root is a vector of ints (read, appended to), and the object's file mapped to look at
// the phase word and the two copies as another process would see them (or to scribble on
// them as a dying writer would).
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/interprocess/containers/vector.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "container/heap_layout.hpp"
#include "container/mirrored_heap.hpp"
#include "error.hpp"
#include "test_support.hpp"

namespace mproc_core_test {

// ---- a MirroredHeap with a vector of ints for root --------------------------------------

using Vec = boost::interprocess::vector<int, mproc::core::container::Allocator<int>>;

inline void *make_vec(mproc::core::container::SegmentManager &m) {
    return m.construct<Vec>(boost::interprocess::anonymous_instance)(
        mproc::core::container::Allocator<int>(&m));
}

inline Vec &vec(void *root) {
    return *static_cast<Vec *>(root);
}

// A heap of the list kind (any container kind would do) with a vector for root.
inline mproc::core::container::MirroredHeap make_heap(const std::string &name,
                                                      std::size_t initial = 16u << 10,
                                                      std::size_t max = 1u << 20) {
    return mproc::core::container::MirroredHeap::create(
        name, mproc::core::shm::Kind::kList, mproc::core::container::HeapSizes{initial, max},
        mproc::core::shm::CreateOptions{}, make_vec);
}

inline std::vector<int> contents(mproc::core::container::MirroredHeap &heap) {
    std::vector<int> out;
    EXPECT_EQ(
        heap.read(after(10), [&](void *root) { out.assign(vec(root).begin(), vec(root).end()); }),
        mproc::core::kOk);
    return out;
}

// Appends `values` to the vector in both copies.
inline Status push(mproc::core::container::MirroredHeap &heap, const std::vector<int> &values) {
    return heap.write(after(10), [&](mproc::core::container::SegmentManager &, void *root, bool) {
        for (int v : values)
            vec(root).push_back(v);
        return mproc::core::kOk;
    });
}

// first, first + 1, ... (n values).
inline std::vector<int> iota(int n, int first = 0) {
    std::vector<int> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), first);
    return v;
}

// ---- the object's file ------------------------------------------------------------------

// The object's file mapped, to look at (or scribble on) the copies as another process
// would see them.
class MappedFile {
  public:
    explicit MappedFile(const std::string &name) {
        const int fd = ::open(shm_file(name).c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("open " + shm_file(name));
        struct stat st {};
        ::fstat(fd, &st);
        size_ = static_cast<std::size_t>(st.st_size);
        void *p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        if (p == MAP_FAILED) throw std::runtime_error("mmap " + shm_file(name));
        base_ = static_cast<char *>(p);
    }
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;
    ~MappedFile() { ::munmap(base_, size_); }

    mproc::core::container::HeapLayout &layout() const {
        return *reinterpret_cast<mproc::core::container::HeapLayout *>(base_);
    }
    std::uint32_t phase() const { return layout().phase.load(); }
    char *copy(int which) const {
        return base_ + mproc::core::container::kCopiesOffset +
               static_cast<std::size_t>(which) * layout().reserved_bytes;
    }
    std::string bytes(int which, std::size_t n) const { return std::string(copy(which), n); }

  private:
    char *base_ = nullptr;
    std::size_t size_ = 0;
};

// Both copies, `capacity` bytes each, are equal byte for byte and no write is in flight.
inline ::testing::AssertionResult copies_equal(const std::string &name, std::size_t capacity) {
    MappedFile file(name);
    if (file.phase() != mproc::core::container::kPhaseIdle)
        return ::testing::AssertionFailure() << "phase " << file.phase();
    if (std::memcmp(file.copy(0), file.copy(1), capacity) != 0) {
        std::size_t first = capacity, count = 0;
        for (std::size_t i = 0; i < capacity; ++i) {
            if (file.copy(0)[i] == file.copy(1)[i]) continue;
            first = std::min(first, i);
            count++;
        }
        return ::testing::AssertionFailure()
               << count << " bytes of the copies differ, the first at " << first;
    }
    return ::testing::AssertionSuccess();
}

}  // namespace mproc_core_test
