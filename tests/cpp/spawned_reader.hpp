// This test program started again as a reader: a test runs it with an environment variable
// naming an object, and the new program opens that object by name, checks it and exits
// with the reader's status before GoogleTest starts. Shows that a program that did not
// create the object (no fork, nothing inherited) reaches it by name.
//
// In a test file, at namespace scope (the variable is the file's own):
//     [[maybe_unused]] const bool reader_ran =
//         mproc_test::run_reader_if_asked("MPROC_CPP_DICT_READER", read_as_spawned_program);
// and in the test:  EXPECT_EQ(mproc_test::spawn_reader("MPROC_CPP_DICT_READER", name), 0);
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/subprocess.hpp"

extern char **environ;

namespace mproc_test {

// The exit status of a reader that threw mproc::error.
inline constexpr int kReaderThrew = 5;

// If `variable` is set, exits with read(its value) (kReaderThrew if read throws
// mproc::error); otherwise returns false. Run it during static initialisation.
inline bool run_reader_if_asked(const char *variable, int (*read)(const char *name)) {
    const char *name = std::getenv(variable);
    if (name == nullptr) return false;
    int status = kReaderThrew;
    try {
        status = read(name);
    } catch (const mproc::error &e) {
        std::fprintf(stderr, "reader: %s\n", e.what());
    }
    std::fflush(nullptr);
    std::_Exit(status);
}

// The path of this program.
inline std::string self_path() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Runs this program again with `variable`=`name` added to the environment, within 60 s;
// its exit status.
inline int spawn_reader(const char *variable, const std::string &name) {
    using namespace std::chrono_literals;
    mproc::run_options options;
    options.timeout = 60s;
    std::vector<std::string> env;
    for (char **e = environ; *e != nullptr; e++)
        env.emplace_back(*e);
    env.push_back(std::string(variable) + "=" + name);
    options.popen.env = env;
    return mproc::run({self_path()}, options).returncode;
}

}  // namespace mproc_test
