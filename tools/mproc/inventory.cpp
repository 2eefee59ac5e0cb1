#include "inventory.hpp"

namespace mproc::cli {

int list_object_names(std::vector<std::string> &names) {
    names.clear();
    std::string buffer;
    // The list can grow between asking for its size and reading it: ask again then.
    for (;;) {
        std::size_t length = 0;
        int rc =
            mproc_object_names(buffer.empty() ? nullptr : buffer.data(), buffer.size(), &length);
        if (rc == MPROC_ETOOBIG) {
            // Some room to spare, so that a few new objects do not cost another round.
            buffer.assign(length + 1024, '\0');
            continue;
        }
        if (rc != MPROC_OK) return rc;
        std::size_t start = 0;
        while (start < length) {
            std::size_t end = buffer.find('\0', start);
            if (end == std::string::npos || end > length) end = length;
            names.emplace_back(buffer, start, end - start);
            start = end + 1;
        }
        return MPROC_OK;
    }
}

int inspect_object(std::string_view name, mproc_object_info_t &info) {
    int rc = mproc_object_info_init(&info);
    if (rc != MPROC_OK) return rc;
    return mproc_object_inspect(std::string(name).c_str(), &info);
}

int remove_object(std::string_view name) {
    return mproc_object_remove(std::string(name).c_str());
}

bool is_anonymous_name(std::string_view name) {
    return name.substr(0, 5) == "anon.";
}

}  // namespace mproc::cli
