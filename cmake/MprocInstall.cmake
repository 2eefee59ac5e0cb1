# What `cmake --install` puts besides the targets (installed where they are defined:
# libmproc in capi/, mproc-worker in src/, the Python package in bindings/python/): the
# headers, the CMake package (find_package(mproc CONFIG) -> mproc::mproc, and
# mproc::mproc_static when built) and the pkg-config file mproc.pc.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/mproc
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

set(MPROC_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mproc)
install(EXPORT mprocTargets
  NAMESPACE mproc::
  FILE mprocTargets.cmake
  DESTINATION ${MPROC_CMAKE_INSTALL_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mprocConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/mprocConfig.cmake
  INSTALL_DESTINATION ${MPROC_CMAKE_INSTALL_DIR})
# 0.x: SameMajorVersion treats 0.1 and 0.2 as compatible; the SONAME (libmproc.so.0)
# says the same.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/mprocConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/mprocConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/mprocConfigVersion.cmake
  DESTINATION ${MPROC_CMAKE_INSTALL_DIR})

# mproc.pc: its prefix is found from the file's own place (${pcfiledir}), so that the
# install works under any `cmake --install --prefix`; an absolute libdir or includedir is
# written as it is.
set(MPROC_PC_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE ${CMAKE_INSTALL_LIBDIR})
  set(MPROC_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
else()
  file(RELATIVE_PATH MPROC_PC_UP ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
  string(REGEX REPLACE "/$" "" MPROC_PC_UP "${MPROC_PC_UP}")
  set(MPROC_PC_PREFIX "\${pcfiledir}/${MPROC_PC_UP}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE ${CMAKE_INSTALL_${dir}})
    set(MPROC_PC_${dir} ${CMAKE_INSTALL_${dir}})
  else()
    set(MPROC_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
# libmproc.a holds the core, which needs libffi, the C++ runtime, threads, rt and libdl:
# `pkg-config --static --libs mproc` adds them.
set(MPROC_PC_REQUIRES_PRIVATE "")
set(MPROC_PC_LIBS_PRIVATE "")
if(MPROC_BUILD_STATIC)
  set(MPROC_PC_REQUIRES_PRIVATE "Requires.private: libffi")
  set(MPROC_PC_LIBS_PRIVATE "Libs.private: -lstdc++ -lrt -pthread")
  foreach(lib IN LISTS CMAKE_DL_LIBS)
    string(APPEND MPROC_PC_LIBS_PRIVATE " -l${lib}")
  endforeach()
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/mproc.pc.in ${PROJECT_BINARY_DIR}/cmake/mproc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/mproc.pc DESTINATION ${MPROC_PC_INSTALL_DIR})
