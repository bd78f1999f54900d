# Shims of the existing implementations (interop/shims/, label shims). They are built against
# a user's checkout of netdata/plugin-ipc named by the environment variable NIPC_IMPL_SOURCE at
# configure time; without it nothing of them is compiled and one test says why, as skipped.
set(NIPC_IMPL_SOURCE "$ENV{NIPC_IMPL_SOURCE}")
set(NIPC_SHIMS_CHECK ${NIPC_PYTHON} ${PROJECT_SOURCE_DIR}/cts shims check)
if(NOT NIPC_IMPL_SOURCE)
  message(STATUS "NIPC_IMPL_SOURCE is not set: the shims (label shims) are skipped")
  add_test(NAME shims.skipped COMMAND ${NIPC_SHIMS_CHECK} --skip-reason
           "NIPC_IMPL_SOURCE is not set: no checkout of the implementation to build the shims against")
  set_tests_properties(shims.skipped PROPERTIES LABELS shims SKIP_RETURN_CODE 77)
  return()
endif()
message(STATUS "shims: building against ${NIPC_IMPL_SOURCE} (label shims)")
# The build takes its default name (plugin-ipc-<short commit>), so the checks use the
# expected-failure lists of that revision (interop/expected/).
add_test(NAME shims.build
         COMMAND ${NIPC_PYTHON} ${PROJECT_SOURCE_DIR}/cts shims build --source ${NIPC_IMPL_SOURCE}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# Exit 2: every language was skipped (no build module yet, or the checkout lacks it).
set_tests_properties(shims.build PROPERTIES LABELS shims FIXTURES_SETUP nipc_shims TIMEOUT 1800
                     SKIP_RETURN_CODE 2)
foreach(lang c rust go)
  foreach(part vectors matrix bench)
    add_test(NAME shims.${lang}.${part}
             COMMAND ${NIPC_SHIMS_CHECK} --source ${NIPC_IMPL_SOURCE} --lang ${lang} --part ${part}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(shims.${lang}.${part} PROPERTIES LABELS shims FIXTURES_REQUIRED nipc_shims
                         SKIP_RETURN_CODE 77 TIMEOUT 900)
  endforeach()
endforeach()
