#include "array/typecode.hpp"

#include <cstdio>

namespace mproc::core::array {

namespace {

// The C types these codes stand for on the platforms mproc supports (Linux, LP64): a C
// caller passes pointers to them, so their sizes must be the ones the table says.
static_assert(sizeof(short) == 2 && sizeof(int) == 4 && sizeof(long long) == 8);
static_assert(sizeof(float) == 4 && sizeof(double) == 8 && sizeof(wchar_t) == 4);

constexpr TypeCode kTypeCodes[] = {
    {'c', 1, false, false, "char"},
    {'b', 1, true, true, "signed char"},
    {'B', 1, true, false, "unsigned char"},
    {'h', 2, true, true, "short"},
    {'H', 2, true, false, "unsigned short"},
    {'i', 4, true, true, "int"},
    {'I', 4, true, false, "unsigned int"},
    {'l', 8, true, true, "long (64-bit)"},
    {'L', 8, true, false, "unsigned long (64-bit)"},
    {'q', 8, true, true, "long long"},
    {'Q', 8, true, false, "unsigned long long"},
    {'f', 4, false, true, "float"},
    {'d', 8, false, true, "double"},
    {'u', 4, false, false, "wchar_t"},
};

}  // namespace

const TypeCode *find_typecode(char code) noexcept {
    for (const TypeCode &type : kTypeCodes) {
        if (type.code == code) return &type;
    }
    return nullptr;
}

std::string describe_typecode(char code) {
    const auto byte = static_cast<unsigned char>(code);
    char buf[32];
    if (byte >= 0x20 && byte < 0x7f) {
        std::snprintf(buf, sizeof buf, "'%c'", code);
    } else {
        std::snprintf(buf, sizeof buf, "0x%02x", byte);
    }
    return buf;
}

}  // namespace mproc::core::array
