#include "task/ffi_call.hpp"

#include <ffi.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>

#include "error.hpp"

namespace mproc::core::task {

namespace {

static_assert(sizeof(Bytes) == 2 * sizeof(void *) && offsetof(Bytes, len) == sizeof(void *),
              "Bytes must be laid out as {pointer, size_t}, like mproc_bytes_t");
// The ffi types below name ssize_t / size_t by their long equivalents, and long long by
// the 64-bit types.
static_assert(sizeof(ssize_t) == sizeof(long) && sizeof(std::size_t) == sizeof(unsigned long));
static_assert(sizeof(long long) == 8 && sizeof(unsigned long long) == 8);

ffi_type *size_type() noexcept {
    return &ffi_type_ulong;
}

// The libffi type of one C parameter ('y' is two: see build below), or of a scalar result.
ffi_type *scalar_type(char code) noexcept {
    switch (code) {
        case 'v':
            return &ffi_type_void;
        case 'b':
            return &ffi_type_schar;
        case 'B':
            return &ffi_type_uchar;
        case 'h':
            return &ffi_type_sshort;
        case 'H':
            return &ffi_type_ushort;
        case 'i':
            return &ffi_type_sint;
        case 'I':
            return &ffi_type_uint;
        case 'l':
        case 'n':
            return &ffi_type_slong;
        case 'L':
        case 'N':
            return &ffi_type_ulong;
        case 'q':
            return &ffi_type_sint64;
        case 'Q':
            return &ffi_type_uint64;
        case 'f':
            return &ffi_type_float;
        case 'd':
            return &ffi_type_double;
        default:  // s S: a pointer
            return &ffi_type_pointer;
    }
}

// Storage for one C parameter, of its exact C type: libffi reads sizeof(type) bytes at the
// address it is given, so an int must not sit in a long long's storage on big-endian.
union CValue {
    signed char b;
    unsigned char B;
    short h;
    unsigned short H;
    int i;
    unsigned int I;
    long l;
    unsigned long L;
    long long q;
    unsigned long long Q;
    ssize_t n;
    std::size_t N;
    float f;
    double d;
    const void *p;
};

// The return buffer: at least an ffi_arg (libffi writes integer results narrower than a
// register widened to a whole ffi_arg), and the bytes struct.
union Return {
    ffi_arg a;
    ffi_sarg sa;
    long long q;
    unsigned long long Q;
    float f;
    double d;
    void *p;
    Bytes y;
};

// An integer result of C type T. Per libffi's documentation, an integral result narrower
// than ffi_arg comes back widened to (signed or unsigned) ffi_arg; a wider one as itself.
template <typename T>
T integer_result(const Return &ret) noexcept {
    if constexpr (sizeof(T) < sizeof(ffi_arg)) {
        if constexpr (std::is_signed_v<T>) {
            ffi_sarg wide;
            std::memcpy(&wide, &ret, sizeof wide);
            return static_cast<T>(wide);
        } else {
            ffi_arg wide;
            std::memcpy(&wide, &ret, sizeof wide);
            return static_cast<T>(wide);
        }
    } else {
        T value;
        std::memcpy(&value, &ret, sizeof value);
        return value;
    }
}

template <typename T>
T read_result(const Return &ret) noexcept {
    T value;
    std::memcpy(&value, &ret, sizeof value);
    return value;
}

struct FreeDeleter {
    void operator()(const void *p) const noexcept { std::free(const_cast<void *>(p)); }
};

// Fills result from what the function returned, for result code `code`.
void read_return(char code, const Return &ret, Result &result) {
    switch (code) {
        case 'v':
            return;
        case 'b':
            result.i = integer_result<signed char>(ret);
            return;
        case 'B':
            result.u = integer_result<unsigned char>(ret);
            return;
        case 'h':
            result.i = integer_result<short>(ret);
            return;
        case 'H':
            result.u = integer_result<unsigned short>(ret);
            return;
        case 'i':
            result.i = integer_result<int>(ret);
            return;
        case 'I':
            result.u = integer_result<unsigned int>(ret);
            return;
        case 'l':
            result.i = integer_result<long>(ret);
            return;
        case 'L':
            result.u = integer_result<unsigned long>(ret);
            return;
        case 'q':
            result.i = integer_result<long long>(ret);
            return;
        case 'Q':
            result.u = integer_result<unsigned long long>(ret);
            return;
        case 'n':
            result.i = integer_result<ssize_t>(ret);
            return;
        case 'N':
            result.u = integer_result<std::size_t>(ret);
            return;
        case 'f':
            result.d = read_result<float>(ret);
            return;
        case 'd':
            result.d = read_result<double>(ret);
            return;
        case 's':
        case 'S': {
            const auto text = read_result<const char *>(ret);
            // Freed on every path, the copy's bad_alloc included.
            std::unique_ptr<const char, FreeDeleter> owned(code == 'S' ? text : nullptr);
            if (text == nullptr) {
                result.null = true;
            } else {
                result.bytes.assign(text);
            }
            return;
        }
        case 'y':
        case 'Y': {
            const auto bytes = read_result<Bytes>(ret);
            std::unique_ptr<const void, FreeDeleter> owned(code == 'Y' ? bytes.data : nullptr);
            if (bytes.data == nullptr) {
                if (bytes.len != 0) {
                    throw Error(kInvalid, "returned bytes with a NULL pointer and a length of " +
                                              std::to_string(bytes.len));
                }
                result.null = true;
            } else {
                result.bytes.assign(static_cast<const char *>(bytes.data), bytes.len);
            }
            return;
        }
        default:
            throw Error(kInvalid, "result code " + describe_code(code) + " unknown");
    }
}

}  // namespace

PreparedCall::PreparedCall(void *function, const Signature &signature, const std::string &task)
    : result_code_(signature.result), arg_count_(signature.args.size()), params_(0) {
    static_assert(sizeof entry_ == sizeof function);
    std::memcpy(&entry_, &function, sizeof entry_);  // dlsym's object pointer as code
    for (char code : signature.args) {
        if (find_code(code) == nullptr) {
            throw Error(kInvalid, task + ": argument code " + describe_code(code) + " unknown");
        }
        if (code == 'y') {
            types_[params_++] = &ffi_type_pointer;
            types_[params_++] = size_type();
        } else {
            types_[params_++] = scalar_type(code);
        }
    }
    bytes_elements_[0] = &ffi_type_pointer;
    bytes_elements_[1] = size_type();
    bytes_elements_[2] = nullptr;
    bytes_type_.size = 0;
    bytes_type_.alignment = 0;
    bytes_type_.type = FFI_TYPE_STRUCT;
    bytes_type_.elements = bytes_elements_;
    const bool bytes_result = result_code_ == 'y' || result_code_ == 'Y';
    ffi_type *result_type = bytes_result ? &bytes_type_ : scalar_type(result_code_);

    const ffi_status prepared =
        ffi_prep_cif(&cif_, FFI_DEFAULT_ABI, params_, result_type, params_ > 0 ? types_ : nullptr);
    if (prepared != FFI_OK) {
        throw Error(kSystem, task + ": libffi cannot prepare the call (ffi_prep_cif status " +
                                 std::to_string(static_cast<int>(prepared)) + ")");
    }
    if (bytes_result && bytes_type_.size != sizeof(Bytes)) {
        throw Error(kSystem, task + ": libffi lays the bytes result out in " +
                                 std::to_string(bytes_type_.size) + " bytes, not " +
                                 std::to_string(sizeof(Bytes)));
    }
}

Result PreparedCall::call(const std::vector<Argument> &args) const {
    if (args.size() != arg_count_) {
        throw Error(kInvalid, std::to_string(args.size()) + " of " + std::to_string(arg_count_) +
                                  " arguments given");
    }
    void *values[kMaxParams];
    CValue storage[kMaxParams];
    unsigned params = 0;
    for (const Argument &arg : args) {
        CValue &slot = storage[params];
        values[params] = &slot;
        switch (arg.code) {
            case 'b':
                slot.b = static_cast<signed char>(arg.i);
                break;
            case 'B':
                slot.B = static_cast<unsigned char>(arg.u);
                break;
            case 'h':
                slot.h = static_cast<short>(arg.i);
                break;
            case 'H':
                slot.H = static_cast<unsigned short>(arg.u);
                break;
            case 'i':
                slot.i = static_cast<int>(arg.i);
                break;
            case 'I':
                slot.I = static_cast<unsigned int>(arg.u);
                break;
            case 'l':
                slot.l = static_cast<long>(arg.i);
                break;
            case 'L':
                slot.L = static_cast<unsigned long>(arg.u);
                break;
            case 'q':
                slot.q = arg.i;
                break;
            case 'Q':
                slot.Q = arg.u;
                break;
            case 'n':
                slot.n = static_cast<ssize_t>(arg.i);
                break;
            case 'N':
                slot.N = static_cast<std::size_t>(arg.u);
                break;
            case 'f':
                slot.f = static_cast<float>(arg.d);
                break;
            case 'd':
                slot.d = arg.d;
                break;
            case 's':
                slot.p = arg.bytes.c_str();
                break;
            case 'y':
                slot.p = arg.bytes.data();
                ++params;
                storage[params].N = arg.bytes.size();
                values[params] = &storage[params];
                break;
            default:
                throw Error(kInvalid, "argument code " + describe_code(arg.code) + " unknown");
        }
        ++params;
    }
    if (params != params_) {
        throw Error(kInvalid, "the arguments do not match the signature's parameters");
    }

    Return ret;
    std::memset(&ret, 0, sizeof ret);
    // libffi's prototype takes a non-const cif; ffi_call only reads it (the shared
    // interface is called by many threads at once, as libffi allows).
    ffi_call(const_cast<ffi_cif *>(&cif_), entry_, &ret, params > 0 ? values : nullptr);

    Result result;
    result.type = result_code_;
    read_return(result_code_, ret, result);
    return result;
}

}  // namespace mproc::core::task
