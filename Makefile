# The two commands a new user runs:
#
#   make demo    build mproc and run the demo
#   make test    build everything and run the whole test suite
#
# Both first install missing Debian packages (as root) or say which ones to install.
# The real build is CMake (see CMakePresets.json); this file only strings the steps together.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS += --no-print-directory

.PHONY: all deps configure build demo test asan tsan bench python-bench soak format clean help

all: build

help:
	@echo "make demo    build and run the demo (examples/demo.c)"
	@echo "make test    build and run every test (ctest, build/)"
	@echo "make asan    configure, build and test with ASan + UBSan (build-asan/)"
	@echo "make tsan    configure, build and test with TSan (build-tsan/)"
	@echo "make bench   Release build, run the sync, queue, process, pool and container benchmarks (build-release/)"
	@echo "             and the Python binding against multiprocessing (python-bench)"
	@echo "make python-bench  only the Python one: bench/python/mproc_vs_multiprocessing.py"
	@echo "make soak    Release build, then SOAK_SECONDS (default 300) of producers, consumers,"
	@echo "             lockers and pool workers under random SIGKILLs (tests/soak; build-release/)"
	@echo "make format  clang-format the tracked C/C++ files"
	@echo "make clean   remove the build directories"

deps:
	@bash scripts/install-deps.sh

# Configuring again is cheap (a second or two) and always leaves build/ consistent.
configure: deps
	cmake --preset dev --log-level=WARNING

build: configure
	cmake --build build -j $(JOBS)

demo: configure
	cmake --build build -j $(JOBS) --target mproc_demo
	build/examples/mproc_demo

test: build
	ctest --test-dir build --output-on-failure -j2 --timeout 600

asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

tsan: deps
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan

bench: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target mproc_sync_bench mproc_queue_bench \
		mproc_process_bench mproc_thread_pool_bench mproc_process_pool_bench \
		mproc_container_bench mproc_mpi_pool_bench mproc mproc_worker
	build-release/bench/mproc_sync_bench
	build-release/bench/mproc_queue_bench
	build-release/bench/mproc_process_bench
	build-release/bench/mproc_thread_pool_bench
	build-release/bench/mproc_process_pool_bench
	build-release/bench/mproc_container_bench
	if [ -x build-release/bench/mproc_mpi_pool_bench ]; then build-release/bench/mproc_mpi_pool_bench; \
	else echo "bench: mproc_mpi_pool_bench not built (no MPI backend), skipped"; fi
	$(PYTHON_BENCH)

# The Python binding (bindings/python, from the source tree) on the Release library.
PYTHON_BENCH = PYTHONPATH=bindings/python MPROC_LIBRARY=build-release/capi/libmproc.so \
	python3 bench/python/mproc_vs_multiprocessing.py

python-bench: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target mproc mproc_worker
	$(PYTHON_BENCH)

# The chaos soak (tests/soak): not part of `make test`, which runs only an 8-second smoke
# run of it. Release, like bench: the soak is about volume. SOAK_ARGS adds options
# (--seed S, --producers N, --json, ...; mproc_soak --help).
SOAK_SECONDS ?= 300
SOAK_ARGS ?=

soak: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target mproc_soak
	build-release/tests/soak/mproc_soak --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

format:
	git ls-files -z '*.c' '*.h' '*.cpp' '*.hpp' | xargs -0 -r clang-format -i

clean:
	rm -rf build build-release build-asan build-tsan
