#include "shm/name.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <random>

#include "error.hpp"

namespace mproc::core::shm {

namespace {

bool is_allowed(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

}  // namespace

void validate_name(std::string_view name) {
    if (name.empty()) throw Error(kInvalid, "invalid name: empty");
    if (name.size() > kNameMax) {
        throw Error(kInvalid, "invalid name: " + std::to_string(name.size()) +
                                  " characters, at most " + std::to_string(kNameMax));
    }
    if (name == "." || name == "..") {
        throw Error(kInvalid, "invalid name: '" + std::string(name) + "' is reserved");
    }
    for (char c : name) {
        if (!is_allowed(c)) {
            char shown[8];
            std::snprintf(shown, sizeof shown, "0x%02x", static_cast<unsigned char>(c));
            throw Error(kInvalid, "invalid name: character " + std::string(shown) +
                                      " not allowed (use letters, digits, '_', '.', '-')");
        }
    }
}

std::string shm_path(std::string_view name) {
    std::string path = "/";
    path += kNamePrefix;
    path += name;
    return path;
}

std::string generate_anonymous_name() {
    static std::atomic<unsigned long> counter{0};
    // random_device reads getrandom(2); one draw per name is cheap next to shm_open.
    std::random_device random;
    char buf[96];
    std::snprintf(buf, sizeof buf, "anon.%ld.%lu.%08x%08x", static_cast<long>(getpid()),
                  counter.fetch_add(1, std::memory_order_relaxed), random(), random());
    return buf;
}

}  // namespace mproc::core::shm
