# Third-party dependencies of a Windows cross-build, from the same Debian packages as the
# native build: nlohmann-json and CLI11 are header-only (their headers are architecture
# independent), and GoogleTest is built from the sources libgtest-dev ships in
# /usr/src/googletest. Nothing is downloaded. find_package() finds these through
# CMAKE_FIND_PACKAGE_REDIRECTS_DIR, which it searches before anything else.

# Only the two header trees are exposed: adding all of /usr/include would mix glibc's headers
# into a Windows build.
set(_nipc_win_inc ${CMAKE_BINARY_DIR}/_deps/include)
file(MAKE_DIRECTORY ${_nipc_win_inc})
foreach(_dir nlohmann CLI)
  if(EXISTS /usr/include/${_dir} AND NOT EXISTS ${_nipc_win_inc}/${_dir})
    file(CREATE_LINK /usr/include/${_dir} ${_nipc_win_inc}/${_dir} SYMBOLIC)
  endif()
endforeach()

if(NOT TARGET nlohmann_json::nlohmann_json)
  add_library(nipc_win_nlohmann INTERFACE)
  target_include_directories(nipc_win_nlohmann SYSTEM INTERFACE ${_nipc_win_inc})
  add_library(nlohmann_json::nlohmann_json ALIAS nipc_win_nlohmann)
  add_library(nipc_win_cli11 INTERFACE)
  target_include_directories(nipc_win_cli11 SYSTEM INTERFACE ${_nipc_win_inc})
  add_library(CLI11::CLI11 ALIAS nipc_win_cli11)
endif()

if(EXISTS /usr/src/googletest/CMakeLists.txt AND NOT TARGET gtest)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  set(gtest_disable_pthreads OFF CACHE BOOL "" FORCE)
  add_subdirectory(/usr/src/googletest ${CMAKE_BINARY_DIR}/_deps/googletest EXCLUDE_FROM_ALL)
  # googletest's own CMakeLists defines the GTest:: aliases.
  set(_nipc_have_gtest TRUE)
endif()

foreach(_pkg nlohmann_json CLI11 GTest)
  if(_pkg STREQUAL "GTest" AND NOT _nipc_have_gtest)
    continue()
  endif()
  string(TOLOWER ${_pkg} _lower)
  file(WRITE ${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/${_lower}-config.cmake
    "# Provided by cmake/windows-deps.cmake.\nset(${_pkg}_FOUND TRUE)\n")
  file(WRITE ${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/${_lower}-config-version.cmake
    "set(PACKAGE_VERSION 99)\nset(PACKAGE_VERSION_COMPATIBLE TRUE)\n")
endforeach()
