set(MPROC_array_SOURCES array/typecode.cpp array/array.cpp)
