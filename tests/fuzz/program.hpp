// One fuzz input run against one object: create it, then a sequence of calls through up
// to four handles (the creator's and handles opened again by name), interleaved with a
// peer's writes into the file and, while nothing maps it, changes of its size.
#pragma once

#include <cstddef>
#include <string>

#include "fuzz_check.hpp"
#include "fuzz_input.hpp"
#include "peer.hpp"

namespace mproc_fuzz {

// What a handle learnt when it was opened, to check later calls against.
struct Local {
    std::size_t itemsize = 0;     // value, array: bytes per item
    std::size_t length = 0;       // array: items
    std::size_t max_message = 0;  // queue: largest message
    void *reserved = nullptr;     // queue: a slot reserved and not committed yet
    const void *borrowed = nullptr;
    std::size_t borrowed_len = 0;
    // barrier: a call found its guard stuck (MPROC_ECORRUPT after a second's wait); the
    // calls that take the guard are skipped on this handle from then on, to keep the
    // fuzzer fast.
    bool stuck = false;
};

// K describes a kind: Handle, create(name, in, out), open(name, out), close(h),
// learn(h, local) after an open, op(h, local, in) for one call (h may be NULL: every call
// must then say MPROC_EBADHANDLE), forget(h, local) before a close, remove(name).
template <typename K>
void run_program(const std::string &name, Input &in, std::size_t poke_limit) {
    using Handle = typename K::Handle;
    constexpr int kSlots = 4;
    Handle *slots[kSlots] = {};
    Local locals[kSlots];
    if (check("create", K::create(name, in, &slots[0])) == MPROC_OK) K::learn(slots[0], locals[0]);
    for (int step = 0; step < 96 && !in.done(); ++step) {
        const unsigned op = in.u8();
        const int i = static_cast<int>(op & 3);
        switch ((op >> 2) % 16) {
            case 0:
                if (slots[i] == nullptr && check("open", K::open(name, &slots[i])) == MPROC_OK) {
                    K::learn(slots[i], locals[i]);
                }
                break;
            case 1:
                if (slots[i] != nullptr) {
                    K::forget(slots[i], locals[i]);
                    check("close", K::close(slots[i]));
                    slots[i] = nullptr;
                    locals[i] = Local{};
                }
                break;
            case 2:
            case 3:
                peer_write(name, in, poke_limit);
                break;
            case 4: {
                bool mapped = false;
                for (Handle *h : slots)
                    mapped = mapped || h != nullptr;
                if (!mapped) {
                    peer_resize(name, in);
                    if (check("open", K::open(name, &slots[i])) == MPROC_OK) {
                        K::learn(slots[i], locals[i]);
                    }
                }
                break;
            }
            case 5: {
                Local none;
                K::op(nullptr, none, in);
                break;
            }
            default:
                if (slots[i] != nullptr) K::op(slots[i], locals[i], in);
                break;
        }
    }
    for (int i = 0; i < kSlots; ++i) {
        if (slots[i] == nullptr) continue;
        K::forget(slots[i], locals[i]);
        check("close", K::close(slots[i]));
    }
    K::remove(name);
}

// The programs of each kind (ops_*.cpp). `kind` picks the kind and its flavour.
void run_sync_program(unsigned kind, const std::string &name, Input &in);
void run_data_program(unsigned kind, const std::string &name, Input &in);
void run_container_program(unsigned kind, const std::string &name, Input &in,
                           std::size_t poke_limit);

}  // namespace mproc_fuzz
