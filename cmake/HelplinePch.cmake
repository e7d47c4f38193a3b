# Precompiled headers, to keep a full build on two cores short.
#
# Four small host targets each compile one set of headers once (cmake/pch/):
#   base       the standard library, fmt, protobuf-lite, tl::expected, spdlog
#   asio       base + Asio and Beast (the relay's targets)
#   test       base + GoogleTest/GoogleMock
#   asio_test  asio + GoogleTest/GoogleMock
# helpline_apply_pch(), called once at the end of the top-level
# CMakeLists.txt, makes every Helpline target reuse one of them (REUSE_FROM),
# chosen by where the target's sources live and whether it links GoogleTest.
# A target never has to ask for it, and a target added later is covered.
#
# Generated protobuf code keeps its own includes. The fuzz build (clang with
# coverage instrumentation) goes without, as does -DHELPLINE_PCH=OFF, which
# is also how to check that every file includes what it uses.

option(HELPLINE_PCH "Precompile the standard and third-party headers most files include" ON)

function(_helpline_pch_host name)
  cmake_parse_arguments(H "" "" "HEADERS;LIBS" ${ARGN})
  add_library(${name} OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch/empty.cpp)
  # The same options and definitions as the targets that reuse it: a
  # precompiled header is only valid for matching flags.
  target_link_libraries(${name} PRIVATE helpline_options helpline_warnings
    spdlog::spdlog fmt::fmt protobuf::libprotobuf-lite tl::expected ${H_LIBS})
  target_precompile_headers(${name} PRIVATE ${H_HEADERS})
endfunction()

function(_helpline_collect_targets dir out)
  get_property(found DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _helpline_collect_targets(${sub} more)
    list(APPEND found ${more})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

function(helpline_apply_pch)
  if(NOT HELPLINE_PCH OR HELPLINE_FUZZ)
    return()
  endif()
  set(pch ${PROJECT_SOURCE_DIR}/cmake/pch)
  _helpline_pch_host(helpline_pch_base HEADERS ${pch}/base.h)
  _helpline_pch_host(helpline_pch_asio HEADERS ${pch}/asio.h LIBS Boost::headers)
  set(with_tests FALSE)
  if(TARGET GTest::gtest AND TARGET GTest::gmock)
    set(with_tests TRUE)
    _helpline_pch_host(helpline_pch_test HEADERS ${pch}/base.h ${pch}/test.h
      LIBS GTest::gtest GTest::gmock)
    _helpline_pch_host(helpline_pch_asio_test HEADERS ${pch}/asio.h ${pch}/test.h
      LIBS Boost::headers GTest::gtest GTest::gmock)
  endif()

  _helpline_collect_targets(${PROJECT_SOURCE_DIR} targets)
  foreach(target IN LISTS targets)
    if(target MATCHES "^helpline_pch_")
      continue()
    endif()
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY)$")
      continue()
    endif()
    get_target_property(source_dir ${target} SOURCE_DIR)
    file(RELATIVE_PATH where ${PROJECT_SOURCE_DIR} ${source_dir})
    if(where MATCHES "^proto(/|$)")
      continue()
    endif()
    set(host helpline_pch_base)
    if(where MATCHES "^(server|tests/unit/server)(/|$)")
      set(host helpline_pch_asio)
    endif()
    get_target_property(links ${target} LINK_LIBRARIES)
    if(with_tests AND "${links}" MATCHES "GTest::")
      set(host ${host}_test)
      string(REPLACE "_base_test" "_test" host ${host})
    endif()
    target_precompile_headers(${target} REUSE_FROM ${host})
  endforeach()
endfunction()
