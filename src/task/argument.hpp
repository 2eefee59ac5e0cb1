// One argument of a task reference, as add_* stored it (already range-checked for its
// code): the field that its code's kind uses holds the value.
#pragma once

#include <string>

namespace mproc::core::task {

struct Argument {
    char code = 0;
    long long i = 0;           // b h i l q n
    unsigned long long u = 0;  // B H I L Q N
    double d = 0;              // f d (an f argument holds a value a float represents)
    std::string bytes;         // s (without a NUL: the call adds it) and y
};

}  // namespace mproc::core::task
