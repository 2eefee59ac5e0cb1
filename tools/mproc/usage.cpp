#include "usage.hpp"

#include <string>

#include "mproc/mproc.h"
#include "output.hpp"

namespace mproc::cli {

namespace {

constexpr const char *kHelp = R"HELP(Usage: mproc COMMAND [OPTION]... [NAME]...
List, inspect and remove mproc's shared objects: the files /dev/shm/mproc.NAME that
every mproc lock, queue, dict... lives in. NAMEs are given as the library takes them,
without the "mproc." prefix. Nothing here opens an object as its kind, takes a lock or
wakes anybody: inspecting an object in use, or a damaged file, is safe.

Commands:
  ls [-a] [--json]         list the objects, one line each, sorted by name
  show [--json] NAME...    print every field of each object
  rm [-f] [-v] NAME...     remove the objects' names (processes that have an
                           object open keep using it until they close it)
  gc [--dry-run] [--json] [-v] [NAME...]
                           remove the objects whose creator is dead and that
                           no process maps; with NAMEs, consider only those

Options:
  -a, --all       ls: also list anonymous objects ("anon.*", the names the
                  library makes up for objects created without a name)
      --json      print JSON: ls and show an array of objects with the fields
                  of mproc_object_info_t; gc an array of {name, action, reason}
  -f, --force     rm: ignore names that do not exist
  -v, --verbose   rm: print "removed 'NAME'" for each name; gc: also say why
                  each object that stays is kept
      --dry-run   gc: print "would remove 'NAME'", remove nothing
      --help      display this help and exit
      --version   output version information and exit

Columns of ls:
  NAME KIND      the object's name and kind (lock, queue, ..., unknown)
  VERSION SIZE   its layout version and its file's size in bytes
  MODE           its permission bits
  CREATOR ALIVE  the creating process and whether it is alive: yes, no, or ?
                 (cannot tell: another pid namespace); a recycled pid reads as no
  USERS          processes that map the object now (? if /proc cannot tell)
  DETAIL         queue: messages/maxsize; lock, rlock, condition: "held by PID"
                 (with "(dead)" if that process died) or "free"; semaphore: its
                 value; event: set or clear; barrier: waiting/parties; value,
                 array, dict, list: number of items; an invalid object: what is
                 wrong with it
With no objects, ls prints the header line only.

gc removes an object only if its creator is dead and no process maps it. It keeps
an object whose creator is alive or cannot be told about, one that a process maps,
and a file that is not a valid mproc object (remove that one with rm).

Exit status:
  0  success
  1  an operand or an operation failed (no such object, an invalid name, a
     removal that failed)
  2  the command line was wrong
)HELP";

}  // namespace

void print_help() {
    write_stdout(kHelp);
}

void print_version() {
    write_stdout(std::string("mproc ") + mproc_version() + "\n");
}

}  // namespace mproc::cli
