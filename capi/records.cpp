// mproc_records_next: walks the snapshots of mproc_dict_keys / _items and mproc_list_slice
// (records of a uint64_t length and its bytes, built by capi::Records).
#include <cstdint>
#include <cstring>
#include <string>

#include "status.hpp"

namespace capi = mproc::capi;

extern "C" {

int mproc_records_next(const void *data, size_t len, size_t *offset, const void **item,
                       size_t *item_len) {
    const char *function = "mproc_records_next";
    if (offset == nullptr) return capi::fail(MPROC_EINVAL, "mproc_records_next: offset is NULL");
    if (item == nullptr) return capi::fail(MPROC_EINVAL, "mproc_records_next: item is NULL");
    if (item_len == nullptr) {
        return capi::fail(MPROC_EINVAL, "mproc_records_next: item_len is NULL");
    }
    if (data == nullptr && len > 0) {
        return capi::fail(MPROC_EINVAL, "mproc_records_next: data is NULL");
    }
    const std::size_t at = *offset;
    if (at == len) return capi::fail(MPROC_EEMPTY, "mproc_records_next: no more records");
    std::uint64_t n = 0;
    // Every bound is checked by subtraction, so a corrupt length cannot overflow a sum.
    if (at > len || len - at < sizeof n) {
        return capi::guarded([&] {
            return capi::fail(MPROC_EINVAL, std::string(function) + ": offset " +
                                                std::to_string(at) + " is not at a record of " +
                                                std::to_string(len) + " bytes of records");
        });
    }
    const char *base = static_cast<const char *>(data) + at;
    std::memcpy(&n, base, sizeof n);  // records are not aligned
    if (n > len - at - sizeof n) {
        return capi::guarded([&] {
            return capi::fail(MPROC_EINVAL, std::string(function) + ": the record at offset " +
                                                std::to_string(at) + " says " + std::to_string(n) +
                                                " bytes, past the end of the records");
        });
    }
    *item = base + sizeof n;
    *item_len = static_cast<std::size_t>(n);
    *offset = at + sizeof n + static_cast<std::size_t>(n);
    return MPROC_OK;
}

}  // extern "C"
