# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (package mingw-w64). The POSIX
# thread model (the -posix compilers) gives std::thread and std::mutex.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(NIPC_MINGW_TRIPLE x86_64-w64-mingw32)
find_program(CMAKE_CXX_COMPILER NAMES ${NIPC_MINGW_TRIPLE}-g++-posix ${NIPC_MINGW_TRIPLE}-g++
  REQUIRED)
find_program(CMAKE_C_COMPILER NAMES ${NIPC_MINGW_TRIPLE}-gcc-posix ${NIPC_MINGW_TRIPLE}-gcc
  REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${NIPC_MINGW_TRIPLE}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${NIPC_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Self-contained executables: wine then needs no mingw runtime DLLs on its path.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
# Tests run the executables under wine.
find_program(NIPC_WINE NAMES wine wine64)
if(NIPC_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${NIPC_WINE})
endif()
