# Shared compile settings. Every Helpline target links helpline_options and
# helpline_warnings; nothing sets flags target by target.

add_library(helpline_options INTERFACE)
target_compile_features(helpline_options INTERFACE cxx_std_20)
target_include_directories(helpline_options INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(helpline_options INTERFACE
  HELPLINE_VERSION="${PROJECT_VERSION}"
  # Asio: no deprecated names, and the io_uring/epoll choice left to Asio.
  BOOST_ASIO_NO_DEPRECATED
  SPDLOG_FMT_EXTERNAL)
# The compiled spdlog (and its definitions) for every target, so that all of
# them share one precompiled header (cmake/HelplinePch.cmake); header-only
# spdlog would cost every file that logs ten seconds of compile time.
target_link_libraries(helpline_options INTERFACE spdlog::spdlog fmt::fmt)

if(HELPLINE_SANITIZE)
  target_compile_options(helpline_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(helpline_options INTERFACE -fsanitize=address,undefined)
endif()

if(HELPLINE_FUZZ)
  # Every library gets coverage instrumentation, or libFuzzer only sees the
  # edges of the fuzz target file itself. The targets add -fsanitize=fuzzer.
  target_compile_options(helpline_options INTERFACE -fsanitize=fuzzer-no-link)
endif()

add_library(helpline_warnings INTERFACE)
target_compile_options(helpline_warnings INTERFACE
  -Wall -Wextra              # the usual set
  -Wshadow                   # a local hiding a member or outer name is a bug magnet
  -Wconversion               # narrowing between integer sizes: lengths and ports
  -Wsign-conversion          #   ... and between signed and unsigned
  -Wnon-virtual-dtor         # interfaces are deleted through base pointers
  -Wold-style-cast           # casts say which kind they are
  -Woverloaded-virtual       # a hidden virtual is almost never meant
  -Wimplicit-fallthrough     # every fallthrough in a switch is deliberate
  -Wpedantic
  # GCC 12 flags Asio's coroutine frames (awaitable_frame_base's sized
  # operator delete) as mismatched when it inlines across a co_await: a
  # false positive in the compiler, not a real new/delete mismatch.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)

# Generated protobuf code and third-party headers are not ours to fix: callers
# mark them SYSTEM so these warnings apply to Helpline's own code only.

# Optimised builds without debug info (release, bench): every function and
# object in its own section, so that the linker drops what a binary never
# calls. The agent ships to every workstation; this keeps it small.
target_compile_options(helpline_options INTERFACE
  $<$<CONFIG:Release,MinSizeRel>:-ffunction-sections -fdata-sections>)
target_link_options(helpline_options INTERFACE $<$<CONFIG:Release,MinSizeRel>:-Wl,--gc-sections>)
