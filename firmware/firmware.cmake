# SPDX-License-Identifier: MIT
# Host-side helpers of the device images (docs/mcu.md). The images themselves are built by
# firmware/build-image.sh with the cross compilers, from the tests and the benchmark.

# vigil-stream-header: a CSV stream as the C header the replay images compile in.
add_executable(vigil-stream-header ${CMAKE_SOURCE_DIR}/host/tools/stream_header.c)
set_target_properties(vigil-stream-header PROPERTIES C_STANDARD 11 RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
target_compile_options(vigil-stream-header PRIVATE -Wall -Wextra -Wconversion -Werror)
target_link_libraries(vigil-stream-header PRIVATE vigil_host)

# The instruction-count plugin for QEMU (tools/qemu-icount). It is loaded into QEMU, so it
# is built without the sanitizers even in the sanitizer build (ASan must be the first
# library of a process).
add_library(vigil-qemu-icount MODULE ${CMAKE_SOURCE_DIR}/tools/qemu-icount/icount.c)
set_target_properties(vigil-qemu-icount PROPERTIES C_STANDARD 11 PREFIX "" OUTPUT_NAME qemu-icount
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR} COMPILE_OPTIONS "" LINK_OPTIONS "")
target_compile_options(vigil-qemu-icount PRIVATE -O2 -Wall -Wextra -Werror -fvisibility=hidden)
