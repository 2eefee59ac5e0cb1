#include "inspect/proc_maps.hpp"

#include <dirent.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace mproc::core::inspect {

namespace {

struct CloseDir {
    void operator()(DIR *dir) const noexcept { ::closedir(dir); }
};
struct CloseFile {
    void operator()(std::FILE *file) const noexcept { std::fclose(file); }
};
struct FreeLine {
    void operator()(char *line) const noexcept { std::free(line); }
};

// A /proc entry that is a process: all digits.
bool is_pid(const char *name) noexcept {
    if (*name == '\0') return false;
    for (; *name != '\0'; ++name) {
        if (*name < '0' || *name > '9') return false;
    }
    return true;
}

// True if a line of /proc/<pid>/maps ("start-end perms offset major:minor inode path")
// maps the file (major, minor, ino) writable. The kernel prints the device numbers in hex.
// Only writable mappings count: every process that uses an object maps it read-write,
// while an inspector (mproc ls, gc, any mproc_object_inspect) maps it read-only for a
// moment, and must not make a dead object look used to a gc running at the same time.
bool line_maps(const char *line, unsigned major_no, unsigned minor_no, unsigned long long ino) {
    char perms[8] = {};
    unsigned major_seen = 0;
    unsigned minor_seen = 0;
    unsigned long long ino_seen = 0;
    if (std::sscanf(line, "%*s %7s %*s %x:%x %llu", perms, &major_seen, &minor_seen, &ino_seen) !=
        4) {
        return false;
    }
    return perms[1] == 'w' && ino_seen == ino && major_seen == major_no && minor_seen == minor_no;
}

// Whether process `pid` maps the file; false if its maps cannot be read.
bool process_maps(const char *pid, unsigned major_no, unsigned minor_no, unsigned long long ino) {
    char path[sizeof(dirent::d_name) + 16];  // "/proc/" + any entry name + "/maps"
    std::snprintf(path, sizeof path, "/proc/%s/maps", pid);
    std::unique_ptr<std::FILE, CloseFile> file(std::fopen(path, "re"));
    if (!file) return false;  // EACCES (another user's process), ENOENT (it exited)
    char *raw = nullptr;
    std::size_t cap = 0;
    bool found = false;
    // getline grows `raw` as needed: a line with a long path is still one line.
    while (!found && ::getline(&raw, &cap, file.get()) >= 0) {
        found = line_maps(raw, major_no, minor_no, ino);
    }
    std::unique_ptr<char, FreeLine> line(raw);
    return found;
}

}  // namespace

int count_mapping_processes(dev_t dev, ino_t ino) noexcept {
    std::unique_ptr<DIR, CloseDir> proc(::opendir("/proc"));
    if (!proc) return -1;
    const unsigned major_no = major(dev);
    const unsigned minor_no = minor(dev);
    int users = 0;
    while (const dirent *entry = ::readdir(proc.get())) {
        if (!is_pid(entry->d_name)) continue;
        if (process_maps(entry->d_name, major_no, minor_no, static_cast<unsigned long long>(ino))) {
            ++users;
        }
    }
    return users;
}

}  // namespace mproc::core::inspect
