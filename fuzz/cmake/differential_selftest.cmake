# differential_fuzz against a testee that lies about one family must report the lie: it
# writes at least one vector candidate for that family and none for the others.
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE ${OUT_DIR})
set(ENV{NIPC_DIFF_TESTEE} "${PYTHON} ${TESTEE} --lie increment")
set(ENV{NIPC_DIFF_OUT} ${OUT_DIR})
execute_process(COMMAND ${FUZZER} -runs=3000 -seed=1 ${SEEDS_DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "differential_fuzz failed (exit ${rc}):\n${out}")
endif()
file(GLOB lies ${OUT_DIR}/increment-*.json)
file(GLOB all ${OUT_DIR}/*.json)
list(LENGTH lies lie_count)
list(LENGTH all all_count)
if(lie_count EQUAL 0)
  message(FATAL_ERROR "no disagreement recorded for the lying family; output:\n${out}")
endif()
if(NOT lie_count EQUAL all_count)
  message(FATAL_ERROR "disagreements recorded for families the testee decodes honestly: ${all}")
endif()
message(STATUS "differential self-test: ${lie_count} candidate(s) for the lying family")
