set(MPROC_container_SOURCES container/mirrored_heap.cpp container/dict.cpp container/list.cpp)
