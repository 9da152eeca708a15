# `ctest -R format`: every C++ source of the project is formatted as .clang-format says (clang-format --dry-run
# -Werror), so formatting is checked, not hoped for. Run `clang-format -i` on the files it names to fix them.
# Usage: cmake -DSOURCE_DIR=<root> -DCLANG_FORMAT=<clang-format> -P check_format.cmake
file(GLOB_RECURSE sources RELATIVE ${SOURCE_DIR}
     ${SOURCE_DIR}/core/*.cpp ${SOURCE_DIR}/core/*.h ${SOURCE_DIR}/ui/*.cpp ${SOURCE_DIR}/ui/*.h
     ${SOURCE_DIR}/app/*.cpp ${SOURCE_DIR}/app/*.h ${SOURCE_DIR}/tests/*.cpp ${SOURCE_DIR}/tests/*.h
     ${SOURCE_DIR}/resources/*.cpp ${SOURCE_DIR}/resources/*.h)
set(bad "")
foreach(f ${sources})
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror ${f} WORKING_DIRECTORY ${SOURCE_DIR}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    list(APPEND bad ${f})
  endif()
endforeach()
list(LENGTH sources n)
if(bad)
  list(LENGTH bad nbad)
  string(REPLACE ";" "\n  " listed "${bad}")
  message(FATAL_ERROR "${nbad} of ${n} sources are not formatted as .clang-format says (clang-format -i them):\n  ${listed}")
endif()
message(STATUS "all ${n} sources formatted as .clang-format says")
