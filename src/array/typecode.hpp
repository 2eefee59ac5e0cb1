// Python's array / ctypes type codes ('i', 'd', 'u'...) as mproc stores them: the size of
// one item, and whether the atomic integer operations apply to it.
#pragma once

#include <cstddef>
#include <string>

namespace mproc::core::array {

struct TypeCode {
    char code;
    // Bytes per item; also the item's alignment in shared memory (1, 2, 4 or 8), which is
    // what lets the atomic operations work on any item in place.
    std::size_t size;
    // add / compare_exchange apply: 'b' 'B' 'h' 'H' 'i' 'I' 'l' 'L' 'q' 'Q'. Not 'c' (a
    // byte character in Python), 'u' (a character) or 'f' / 'd'.
    bool integer;
    bool is_signed;
    const char *c_type;  // "unsigned short", for messages
};

// The description of `code`, or nullptr for a code that is not one of Python's
// 'c' 'b' 'B' 'h' 'H' 'i' 'I' 'l' 'L' 'q' 'Q' 'f' 'd' 'u'.
// 'l' and 'L' are 8 bytes whatever the compiler's long is (the shared format must not
// depend on who created the object); 'u' is a 4-byte wchar_t, as on Linux.
const TypeCode *find_typecode(char code) noexcept;

// A type code for an error message: "'x'" if printable, else "0x01".
std::string describe_typecode(char code);

}  // namespace mproc::core::array
