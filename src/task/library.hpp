// dlopen / dlsym for tasks: each library is opened once per process (RTLD_NOW |
// RTLD_LOCAL) and stays loaded, so a symbol found once stays valid.
#pragma once

#include <string>

namespace mproc::core::task {

// The address of `symbol` in `library` ("" = the running program and what it loaded).
// Throws Error(kNotFound) with dlerror()'s text if either is missing; messages start with
// `task` ("task 'libm.so.6:cos'").
void *find_symbol(const std::string &library, const std::string &symbol, const std::string &task);

}  // namespace mproc::core::task
