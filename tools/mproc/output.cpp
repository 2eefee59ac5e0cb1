#include "output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "diagnostics.hpp"

namespace mproc::cli {

namespace {

int first_write_errno = 0;

}  // namespace

void write_stdout(std::string_view text) {
    if (text.empty()) return;
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() && first_write_errno == 0) {
        first_write_errno = errno != 0 ? errno : EIO;
    }
}

bool finish_stdout() {
    errno = 0;
    if (std::fflush(stdout) != 0 && first_write_errno == 0) {
        first_write_errno = errno != 0 ? errno : EIO;
    }
    if (std::ferror(stdout) && first_write_errno == 0) first_write_errno = EIO;
    if (first_write_errno == 0) return true;
    print_error(std::string("write error: ") + std::strerror(first_write_errno));
    return false;
}

}  // namespace mproc::cli
