// Object names: the allow-list check, the file-system name, and generated names for
// anonymous objects. A name is checked here before it reaches any system call: glibc's
// shm_open("..") would open /dev itself.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mproc::core::shm {

// The longest user-visible name (MPROC_NAME_MAX in the C header).
inline constexpr std::size_t kNameMax = 200;

// Every object's file is "/mproc.<name>" in the shm namespace (/dev/shm on Linux), so that
// mproc objects never collide with other users of shared memory.
inline constexpr std::string_view kNamePrefix = "mproc.";

// Throws Error(kInvalid) with a message that says what is wrong unless `name` is 1 to
// kNameMax characters of [A-Za-z0-9_.-] and not "." or "..".
void validate_name(std::string_view name);

// "/mproc.<name>", for shm_open and shm_unlink. The name must be valid.
std::string shm_path(std::string_view name);

// A fresh name for an anonymous object: "anon.<pid>.<counter>.<random>", unique across
// processes and unlikely to be guessed.
std::string generate_anonymous_name();

}  // namespace mproc::core::shm
