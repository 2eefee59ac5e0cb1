set(MPROC_pipe_SOURCES pipe/connection.cpp)
