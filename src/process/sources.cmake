set(MPROC_process_SOURCES process/child.cpp process/current_process.cpp process/forkserver.cpp
    process/forkserver_protocol.cpp process/forkserver_server.cpp process/process.cpp
    process/spawn_start.cpp process/thread.cpp)
