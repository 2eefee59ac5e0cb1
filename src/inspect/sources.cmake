set(MPROC_inspect_SOURCES
  inspect/object_info.cpp
  inspect/kind_details.cpp
  inspect/container_items.cpp
  inspect/proc_maps.cpp)
