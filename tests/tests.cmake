# SPDX-License-Identifier: MIT
# Unit tests (cmocka), fuzz corpus replay, golden and end-to-end tests, cross-compile check.
find_library(CMOCKA_LIB cmocka REQUIRED)
set(T ${CMAKE_SOURCE_DIR}/tests)

file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${T}/unit/test_*.c)
set(TEST_SUPPORT "")
if(EXISTS ${T}/unit/vg_test_artifact.c)
  set(TEST_SUPPORT ${T}/unit/vg_test_artifact.c)
endif()
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${TEST_SUPPORT})
  set_target_properties(${name} PROPERTIES C_STANDARD 11 RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_include_directories(${name} PRIVATE ${T}/unit ${T}/golden)
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror)
  target_link_libraries(${name} PRIVATE vigil_host vigil_posix vigil_collector ${CMOCKA_LIB})
  add_test(NAME unit.${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(unit.${name} PROPERTIES ENVIRONMENT "VIGIL_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()

# The Cortex-M DSP path of the int8 dense kernel, run on the host with stand-in intrinsics.
if(TARGET test_dense_dsp)
  target_include_directories(test_dense_dsp PRIVATE ${T}/unit/acle)
endif()

# The ESP-IDF port's portable logic (docs/esp-idf.md), tested on the host.
if(TARGET test_esp_util)
  set(ESPIDF_VIGIL ${CMAKE_SOURCE_DIR}/firmware/ports/esp-idf/components/vigil)
  target_sources(test_esp_util PRIVATE ${ESPIDF_VIGIL}/vge_util.c)
  target_include_directories(test_esp_util PRIVATE ${ESPIDF_VIGIL})
endif()

# Fuzz targets: each tests/fuzz/fuzz_<p>.c is linked with a replay main() that runs every
# file of tests/fuzz/corpus/<p>/ through it (libFuzzer builds live in `make fuzz`).
file(GLOB FUZZ_TARGETS CONFIGURE_DEPENDS ${T}/fuzz/fuzz_*.c)
foreach(src ${FUZZ_TARGETS})
  get_filename_component(name ${src} NAME_WE)
  string(REPLACE "fuzz_" "" corpus ${name})
  add_executable(replay_${corpus} ${src} ${T}/fuzz/replay_main.c)
  set_target_properties(replay_${corpus} PROPERTIES C_STANDARD 11 RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_compile_options(replay_${corpus} PRIVATE -Wall -Wextra -Werror)
  target_link_libraries(replay_${corpus} PRIVATE vigil_host vigil_app vigil_collector)
  add_test(NAME fuzz_replay.${corpus} COMMAND replay_${corpus} ${T}/fuzz/corpus/${corpus})
endforeach()

# Script tests: tests/e2e/*.sh and tests/golden/*.sh get the built `vigil` and the source dir.
file(GLOB SCRIPT_TESTS CONFIGURE_DEPENDS ${T}/e2e/*.sh ${T}/golden/*.sh)
foreach(src ${SCRIPT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(kind ${dir} NAME)
  add_test(NAME ${kind}.${name} COMMAND bash ${src})
  set_tests_properties(${kind}.${name} PROPERTIES
    ENVIRONMENT "VIGIL=$<TARGET_FILE:vigil>;VIGIL_LOADGEN=$<TARGET_FILE:vigil-loadgen>;VIGIL_SOURCE_DIR=${CMAKE_SOURCE_DIR};VIGIL_BUILD_DIR=${CMAKE_BINARY_DIR}"
    TIMEOUT 900)
endforeach()
# pq_pipeline trains and runs several stream models: minutes optimised, but 620 s under
# ASan/UBSan on the CI's 2 cores, too close to 900 s when the machine is shared.
if(VIGIL_SANITIZE)
  set_tests_properties(e2e.pq_pipeline PROPERTIES TIMEOUT 1800)
endif()

# The stream and snippet bars at full scale (tests/bar/): minutes of training, so the optimised
# build only.
if(NOT VIGIL_SANITIZE)
  foreach(b pq_stream_bar pq_snippet_bar)
    add_test(NAME bar.${b} COMMAND bash ${T}/bar/${b}.sh)
    set_tests_properties(bar.${b} PROPERTIES
      ENVIRONMENT "VIGIL=$<TARGET_FILE:vigil>;VIGIL_SOURCE_DIR=${CMAKE_SOURCE_DIR};VIGIL_BUILD_DIR=${CMAKE_BINARY_DIR}"
      TIMEOUT 1800)
  endforeach()
endif()

include(${T}/mcu/mcu.cmake)

# The ESP-IDF port (docs/esp-idf.md): its component for the ESP32-C3's ISA, and the
# consistency of the project (partitions, Kconfig, CMake, the API check list).
add_test(NAME cross.espidf_rv32 COMMAND bash ${CMAKE_SOURCE_DIR}/tests/esp-idf/cross_rv32.sh ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/cross-espidf)
add_test(NAME espidf.port_check COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/esp-idf/check_port.py ${CMAKE_SOURCE_DIR})

add_test(NAME cross.core_cortex_m COMMAND ${CMAKE_SOURCE_DIR}/tools/cross-core.sh ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/cross)

# STYLE.md section 12: .clang-format is enforced.
find_program(CLANG_FORMAT clang-format)
if(CLANG_FORMAT)
  file(GLOB_RECURSE FORMAT_SOURCES CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/core/*.[ch] ${CMAKE_SOURCE_DIR}/host/*.[ch]
    ${CMAKE_SOURCE_DIR}/tests/unit/*.[ch] ${CMAKE_SOURCE_DIR}/tests/fuzz/*.c ${CMAKE_SOURCE_DIR}/tests/e2e/*.c
    ${CMAKE_SOURCE_DIR}/firmware/*.[ch] ${CMAKE_SOURCE_DIR}/tests/mcu/*.c ${CMAKE_SOURCE_DIR}/tools/qemu-icount/*.c)
  add_test(NAME style.clang_format COMMAND ${CLANG_FORMAT} --dry-run -Werror ${FORMAT_SOURCES})
endif()
