// Shared by the transport test and its echo worker: loading the plugin the way libmproc
// does (dlopen of the built libmproc_mpi.so, RTLD_LOCAL | RTLD_NODELETE), a CHECK that
// counts failures, and the echo loop a worker runs.
#pragma once

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pool/remote_transport.h"

inline int g_failures = 0;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++g_failures;                                                                 \
        }                                                                                 \
    } while (0)

inline mproc_remote_open_fn load_plugin() {
    void *handle = dlopen(MPROC_MPI_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == nullptr) {
        std::fprintf(stderr, "dlopen %s: %s\n", MPROC_MPI_PLUGIN_PATH, dlerror());
        std::exit(1);
    }
    auto open = reinterpret_cast<mproc_remote_open_fn>(dlsym(handle, MPROC_REMOTE_OPEN_SYMBOL));
    if (open == nullptr) {
        std::fprintf(stderr, "dlsym %s: %s\n", MPROC_REMOTE_OPEN_SYMBOL, dlerror());
        std::exit(1);
    }
    return open;
}

inline mproc_remote_options_t test_options() {
    mproc_remote_options_t o{};
    o.abi = MPROC_REMOTE_ABI;
    o.heartbeat_interval = 0.2;
    o.heartbeat_timeout = 2.0;
    return o;
}

// A worker's loop: sends every message back, answers "stop" with "bye" and closes
// gracefully. Returns the exit code: 0 stopped, 1 the pool was lost or poll failed.
inline int echo_loop(mproc_remote_transport_t *t) {
    for (;;) {
        mproc_remote_event_t ev;
        if (t->poll(t, 0.5, &ev) != 0) {
            std::fprintf(stderr, "echo: poll failed: %s\n", t->last_error(t));
            t->close(t, 0);
            return 1;
        }
        if (ev.kind == MPROC_REMOTE_LOST) {
            std::fprintf(stderr, "echo: the pool is lost: %s\n", ev.text);
            t->close(t, 0);
            return 1;
        }
        if (ev.kind != MPROC_REMOTE_MESSAGE) {
            continue;
        }
        if (ev.len == 4 && std::memcmp(ev.data, "stop", 4) == 0) {
            t->send(t, 0, "bye", 3);
            t->close(t, 1);
            return 0;
        }
        if (t->send(t, 0, ev.data, ev.len) != 0) {
            std::fprintf(stderr, "echo: send failed: %s\n", t->last_error(t));
        }
    }
}
