# Driver of the consumer tests (cmake -P). MODE:
#   install  PREFIX BUILD_DIR: empties PREFIX and runs `cmake --install BUILD_DIR --prefix PREFIX`;
#   project  SOURCE_DIR BINARY_DIR PREFIX EXECUTABLE [ARGS] [C_COMPILER CXX_COMPILER
#            GENERATOR]: configures the out-of-tree project SOURCE_DIR in a fresh BINARY_DIR
#            against PREFIX only (CMAKE_PREFIX_PATH and PKG_CONFIG_PATH), builds it and runs
#            BINARY_DIR/EXECUTABLE ARGS;
#   python   PREFIX PYTHON: finds the installed package under PREFIX, then runs `import mproc`
#            with PYTHONPATH set to it and no MPROC_LIBRARY, checking that the library
#            comes from PREFIX and that a Lock works.
# Any failure is a FATAL_ERROR (the test fails) with the output of the failing step.
cmake_minimum_required(VERSION 3.25)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out
                  TIMEOUT 240)
  message("${out}")
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "consumer: ${what} failed (${rc})")
  endif()
endfunction()

# Only what the install prefix provides: no build-tree library or worker overrides.
unset(ENV{MPROC_LIBRARY})
unset(ENV{MPROC_WORKER})
unset(ENV{LD_LIBRARY_PATH})

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE ${PREFIX})
  run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})
elseif(MODE STREQUAL "project")
  file(GLOB_RECURSE pc_files ${PREFIX}/*mproc.pc)
  set(pc_path)
  foreach(pc IN LISTS pc_files)
    get_filename_component(dir ${pc} DIRECTORY)
    get_filename_component(name ${pc} NAME)
    if(name STREQUAL "mproc.pc")
      list(APPEND pc_path ${dir})
    endif()
  endforeach()
  string(REPLACE ";" ":" pc_path "${pc_path}")
  set(ENV{PKG_CONFIG_PATH} "${pc_path}")
  set(compilers)
  if(C_COMPILER)
    list(APPEND compilers -DCMAKE_C_COMPILER=${C_COMPILER})
  endif()
  if(CXX_COMPILER)
    list(APPEND compilers -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
  endif()
  if(NOT GENERATOR)
    set(GENERATOR "Unix Makefiles")
  endif()
  file(REMOVE_RECURSE ${BINARY_DIR})
  run("configure ${SOURCE_DIR}" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR}
      -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH=${PREFIX}
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF ${compilers})
  run("build ${SOURCE_DIR}" ${CMAKE_COMMAND} --build ${BINARY_DIR})
  run("${EXECUTABLE}" ${BINARY_DIR}/${EXECUTABLE} ${ARGS})
elseif(MODE STREQUAL "python")
  file(GLOB_RECURSE found ${PREFIX}/*_install_paths.py)
  set(markers)
  foreach(file IN LISTS found)
    if(file MATCHES "/mproc/_install_paths\\.py$")
      list(APPEND markers ${file})
    endif()
  endforeach()
  list(LENGTH markers count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "consumer: expected one mproc/_install_paths.py under ${PREFIX}, found: ${markers}")
  endif()
  get_filename_component(package_dir ${markers} DIRECTORY)
  get_filename_component(python_path ${package_dir} DIRECTORY)
  set(ENV{PYTHONPATH} ${python_path})
  set(ENV{PYTHONDONTWRITEBYTECODE} 1)
  set(check [[
import os, sys
import mproc
prefix = os.path.realpath(sys.argv[1])
library = os.path.realpath(mproc.library_path)
print("mproc", mproc.__version__, "from", library)
assert library.startswith(prefix + os.sep), "library not from the prefix: " + library
lock = mproc.Lock()
assert lock.acquire(timeout=5)
assert not lock.acquire(block=False)
lock.release()
print("consumer (Python): OK")
]])
  run("python3 -c 'import mproc'" ${PYTHON} -c "${check}" ${PREFIX})
else()
  message(FATAL_ERROR "consumer: unknown MODE '${MODE}'")
endif()
