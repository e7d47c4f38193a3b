# helpline_unit_test(NAME SOURCES a_test.cpp ... LIBS lib ...)
# One GoogleTest executable, discovered into ctest with the "unit" label.
function(helpline_unit_test name)
  cmake_parse_arguments(T "" "LABEL" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL)
    set(T_LABEL unit)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock
    helpline_options helpline_warnings)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${T_LABEL})
endfunction()
