set(MPROC_subprocess_SOURCES subprocess/spawn.cpp subprocess/reaper.cpp subprocess/popen.cpp subprocess/run.cpp)
