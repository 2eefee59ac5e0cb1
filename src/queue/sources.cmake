set(MPROC_queue_SOURCES queue/queue.cpp)
