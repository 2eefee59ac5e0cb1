# mproc_python_preload(<out-var>): the environment an uninstrumented python3 needs to load
# this build's libmproc through ctypes. A sanitized libmproc can only be dlopen()ed when the
# sanitizer's runtime was loaded first: under ASan (+ UBSan) <out-var> preloads both (leak
# checks off: the interpreter keeps memory to its end on purpose). TSan cannot follow an
# uninstrumented interpreter's threads: there <out-var> is "UNSUPPORTED". Otherwise empty.
function(mproc_python_preload out_var)
  if(CMAKE_C_FLAGS MATCHES "-fsanitize=[^ ]*thread")
    set(${out_var} "UNSUPPORTED" PARENT_SCOPE)
  elseif(CMAKE_C_FLAGS MATCHES "-fsanitize=[^ ]*address")
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
      OUTPUT_VARIABLE asan_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libubsan.so
      OUTPUT_VARIABLE ubsan_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(${out_var} "LD_PRELOAD=${asan_runtime}:${ubsan_runtime}" "ASAN_OPTIONS=detect_leaks=0"
      PARENT_SCOPE)
  else()
    set(${out_var} "" PARENT_SCOPE)
  endif()
endfunction()
