set(MPROC_task_SOURCES
  task/task.cpp
  task/signature.cpp
  task/library.cpp
  task/ffi_call.cpp
)
