import os
import re

from conan import ConanFile
from conan.errors import ConanException, ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd, stdcpp_library
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rm, rmdir

required_conan_version = ">=2.0"

# A Conan 2 recipe for mproc, in the style of conan-center-index, kept in the project's own
# repository: the sources are exported from this checkout (no source() download) and the
# version is read from the top-level CMakeLists.txt.
#
# shared / static: the project always builds libmproc.so, and libmproc.a in addition when
# MPROC_BUILD_STATIC=ON. So shared=True configures with MPROC_BUILD_STATIC=OFF and packages
# libmproc.so (with its SONAME links), and shared=False configures with MPROC_BUILD_STATIC=ON
# and packages only libmproc.a (the shared files are removed, so that -lmproc and CMakeDeps
# cannot pick them instead). libmproc.a holds the whole core; its users get MPROC_STATIC
# defined and link the C++ runtime, threads, rt, dl and libffi themselves (package_info).
#
# fPIC: the core objects are compiled once and linked into both libraries, so they are
# always position-independent (CMAKE_POSITION_INDEPENDENT_CODE is ON in CMakeLists.txt).
# The option exists because conan-center-index expects it; it does not change the binary,
# so package_id() drops it.
#
# The spawn and forkserver start methods exec the program mproc-worker, installed in
# <libexecdir>/mproc: bin/mproc/ under CMakeToolchain (it sets CMAKE_INSTALL_LIBEXECDIR to
# bin). libmproc.so finds it from its own directory (the relative path is compiled in); a
# program linked with libmproc.a looks next to itself instead, so for the static package
# package_info() sets MPROC_WORKER in the run environment (conanrun).
#
# The Python binding (bindings/python) is not part of this package: it loads libmproc.so
# with ctypes and is installed by `cmake --install` into the interpreter's site-packages.


class MprocConan(ConanFile):
    name = "mproc"
    description = (
        "Python's multiprocessing, threading, concurrent.futures and subprocess for C and "
        "C++: processes, pools, queues, pipes, shared values and arrays, and locks, "
        "semaphores, events, conditions and barriers in named shared memory, behind one "
        "flat C ABI"
    )
    # FIXME: the repository has no LICENSE file yet: set the SPDX name here when it has one
    # (package() copies LICENSE* into the package's licenses/).
    license = "LicenseRef-LICENSE"
    # Where conan-center-index recipes point; FIXME: add homepage = the project's public
    # repository once there is one.
    url = "https://github.com/conan-io/conan-center-index"
    topics = ("multiprocessing", "ipc", "shared-memory", "process-pool", "queue", "futex")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "shared": [True, False],
        "fPIC": [True, False],
        "with_mpi": [True, False],
    }
    default_options = {
        "shared": False,
        "fPIC": True,
        "with_mpi": False,
    }

    @property
    def _min_cppstd(self):
        return 17

    def set_version(self):
        if self.version:
            return  # given on the command line (--version)
        cmakelists = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        match = re.search(r"project\(\s*mproc\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)", cmakelists)
        self.version = match.group(1) if match else "0.1.0"

    def export_sources(self):
        # What the top-level CMakeLists.txt needs with tests, benchmarks and examples off.
        for pattern in ("CMakeLists.txt", "LICENSE*", "cmake/*", "include/*", "src/*", "capi/*",
                        "bindings/python/CMakeLists.txt", "bindings/python/mproc/*"):
            copy(self, pattern, self.recipe_folder, self.export_sources_folder)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Boost.Interprocess, header-only, used inside the library only: none of mproc's
        # installed headers includes Boost, so its headers are not passed on.
        self.requires("boost/1.86.0", libs=False)
        # Tasks are called through libffi; no installed header includes ffi.h.
        self.requires("libffi/3.4.8")

    def build_requirements(self):
        self.tool_requires("cmake/[>=3.25 <4]")

    def validate(self):
        if self.settings.os != "Linux":
            raise ConanInvalidConfiguration(
                f"{self.ref} supports Linux only (futex, pidfd, POSIX shared memory)")
        check_min_cppstd(self, self._min_cppstd)

    def package_id(self):
        self.info.options.rm_safe("fPIC")

    def generate(self):
        tc = CMakeToolchain(self)
        tc.cache_variables["MPROC_BUILD_STATIC"] = not self.options.shared
        tc.cache_variables["MPROC_BUILD_TESTS"] = False
        tc.cache_variables["MPROC_BUILD_BENCH"] = False
        tc.cache_variables["MPROC_BUILD_EXAMPLES"] = False
        # The MPI backend of process pools: the plugin libmproc_mpi.so and mproc-mpi-worker.
        # It uses the system's MPI (CMake's FindMPI: mpicc on PATH, e.g. Debian's
        # libopenmpi-dev): an MPI must match the cluster it runs on, so the recipe does not
        # build one. libmproc itself never links MPI.
        tc.cache_variables["MPROC_WITH_MPI"] = bool(self.options.with_mpi)
        # Warnings of other compilers and versions must not break a package build.
        tc.cache_variables["MPROC_WERROR"] = False
        # Where the Python binding is installed: a fixed folder, which package() removes.
        tc.cache_variables["MPROC_PYTHON_INSTALL_DIR"] = self._python_dir
        tc.generate()
        deps = CMakeDeps(self)
        deps.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE*", self.source_folder, os.path.join(self.package_folder, "licenses"))
        cmake = CMake(self)
        cmake.install()

        lib = os.path.join(self.package_folder, "lib")
        # The consumers' CMake and pkg-config files come from package_info().
        rmdir(self, os.path.join(lib, "cmake"))
        rmdir(self, os.path.join(lib, "pkgconfig"))
        rmdir(self, os.path.join(self.package_folder, "share"))
        rmdir(self, os.path.join(self.package_folder, self._python_dir))
        if not self.options.shared:
            rm(self, "libmproc.so*", lib)

        # mproc-worker goes to <libexecdir>/mproc, which CMakeToolchain sets to bin/; the
        # library has the path from its libdir to there compiled in (src/CMakeLists.txt).
        if not os.path.isfile(os.path.join(self.package_folder, self._worker)):
            raise ConanException(f"{self.ref}: {self._worker} was not installed")
        if self.options.with_mpi and not os.path.isfile(
                os.path.join(self.package_folder, self._mpi_worker)):
            raise ConanException(f"{self.ref}: {self._mpi_worker} was not installed")

    @property
    def _python_dir(self):
        return "python-binding"

    @property
    def _worker(self):
        return os.path.join("bin", "mproc", "mproc-worker")

    @property
    def _mpi_worker(self):
        return os.path.join("bin", "mproc", "mproc-mpi-worker")

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "mproc")
        self.cpp_info.set_property("cmake_target_name", "mproc::mproc")
        self.cpp_info.set_property("pkg_config_name", "mproc")
        self.cpp_info.libs = ["mproc"]
        if not self.options.shared:
            # libmproc.so records these itself (NEEDED); libmproc.a users link them.
            self.cpp_info.defines.append("MPROC_STATIC")
            self.cpp_info.system_libs.extend(["pthread", "rt", "dl", "m"])
            libcxx = stdcpp_library(self)
            if libcxx:
                self.cpp_info.system_libs.append(libcxx)
            # A program linked with libmproc.a does not find mproc-worker by itself.
            self.runenv_info.define_path("MPROC_WORKER",
                                         os.path.join(self.package_folder, self._worker))
            if self.options.with_mpi:
                # Nor the MPI plugin and worker (libmproc.so finds them from its directory).
                self.runenv_info.define_path(
                    "MPROC_MPI_PLUGIN", os.path.join(self.package_folder, "lib", "libmproc_mpi.so"))
                self.runenv_info.define_path("MPROC_MPI_WORKER",
                                             os.path.join(self.package_folder, self._mpi_worker))
