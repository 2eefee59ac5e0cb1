# Futures, the thread pool and the process pool. Files join as they appear.
set(MPROC_pool_SOURCES pool/future.cpp)
foreach(file thread_pool.cpp process_pool.cpp pool_worker.cpp pool_wire.cpp dispatch.cpp
             remote_pool.cpp remote_worker.cpp mpi_plugin.cpp pool_submit.cpp)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${file})
    list(APPEND MPROC_pool_SOURCES pool/${file})
  endif()
endforeach()
