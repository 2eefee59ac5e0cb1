set(MPROC_process_SOURCES process/child.cpp process/current_process.cpp process/process.cpp
    process/spawn_start.cpp process/thread.cpp)
