# mproc_warnings(target): the project's warning set, as errors unless MPROC_WERROR is OFF.
function(mproc_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wformat=2)
  if(MPROC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
