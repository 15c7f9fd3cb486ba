# SPDX-License-Identifier: MIT
# Microcontroller images under QEMU (docs/mcu.md): the replay images against `vigil detect`,
# and the instruction-count plugin's known answer. Each builds its own images with the cross
# compilers into a temporary directory.
set(MCU_ENV "VIGIL=$<TARGET_FILE:vigil>;VIGIL_SOURCE_DIR=${CMAKE_SOURCE_DIR};VIGIL_BUILD_DIR=${CMAKE_BINARY_DIR}")
foreach(case autoencoder iforest zscore pq ae_s8 ae_s8_net iforest_s16 pq_s16)
  add_test(NAME mcu.replay_${case} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mcu/replay.sh ${case})
  set_tests_properties(mcu.replay_${case} PROPERTIES ENVIRONMENT "${MCU_ENV}" TIMEOUT 300)
endforeach()
add_test(NAME mcu.icount_plugin COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mcu/icount.sh)
set_tests_properties(mcu.icount_plugin PROPERTIES ENVIRONMENT "${MCU_ENV}" TIMEOUT 120)
add_test(NAME mcu.minimal_image COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mcu/minimal.sh)
set_tests_properties(mcu.minimal_image PROPERTIES ENVIRONMENT "${MCU_ENV}" TIMEOUT 300)
