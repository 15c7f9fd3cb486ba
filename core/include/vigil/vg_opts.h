/* SPDX-License-Identifier: MIT */
/**
 * @file vg_opts.h
 * @brief Compile-time limits of the core. A project may override any of them in an
 *        optional `vg_config.h` (define VG_HAVE_CONFIG_H=1 to include it).
 */
#ifndef VG_OPTS_H
#define VG_OPTS_H

#if defined(VG_HAVE_CONFIG_H) && VG_HAVE_CONFIG_H
#include "vg_config.h"
#endif

/** Most sensor channels one pipeline reads. */
#ifndef VG_MAX_CHANNELS
#define VG_MAX_CHANNELS 16
#endif
/** Most features one pipeline computes (over all channels). */
#ifndef VG_MAX_FEATURES
#define VG_MAX_FEATURES 96
#endif
/** Longest window, in samples. */
#ifndef VG_MAX_WINDOW
#define VG_MAX_WINDOW 4096
#endif
/** Most dense layers in a network. */
#ifndef VG_MAX_LAYERS
#define VG_MAX_LAYERS 8
#endif
/** Most units in one dense layer. */
#ifndef VG_MAX_UNITS
#define VG_MAX_UNITS 64
#endif
/** Most trees in an isolation forest. */
#ifndef VG_MAX_TREES
#define VG_MAX_TREES 1024
#endif
/**
 * Trees vg_forest_predict() walks at once (1..16). Lanes pay on a core that runs ahead
 * (out of order, behind caches and a branch predictor): the walks' loads overlap and no
 * split is mispredicted, for about twice the instructions per step. A microcontroller core
 * (Cortex-M, RISC-V, Xtensa) runs those instructions one after another, so it walks one
 * tree at a time. The votes are the same either way.
 */
#ifndef VG_FOREST_LANES
#if (defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M') || defined(__riscv) ||              \
    defined(__XTENSA__)
#define VG_FOREST_LANES 1
#else
#define VG_FOREST_LANES 8
#endif
#endif
/**
 * Nodes a forest needs before vg_forest_predict() walks it in lanes. A smaller forest's nodes
 * stay in the core's caches, its walks do not wait on memory, and the lanes' extra
 * instructions are only cost: on the development machine (AMD EPYC) lanes took 0.63x-0.97x
 * the time of one tree at a time below about 24,000 nodes (12 bytes each) and 1.13x-1.37x
 * less above (bench/README.md, "A forest sized for a device"). The votes are the same.
 */
#ifndef VG_FOREST_LANES_MIN_NODES
#define VG_FOREST_LANES_MIN_NODES 24576u
#endif

/**
 * @name What a build can run (STYLE.md section 6: 0/1 flags, default 1)
 * A device that runs one kind of model compiles the others out: the parser then answers
 * VG_ERR_UNSUPPORTED for an artifact that needs a disabled part, and the code and the state
 * of the disabled parts take neither flash nor RAM. docs/mcu.md measures the minimal images.
 * @{
 */
/** MODL kind 1: the z-score baseline. */
#ifndef VG_ENABLE_ZSCORE
#define VG_ENABLE_ZSCORE 1
#endif
/** MODL kind 2: the float32 autoencoder. */
#ifndef VG_ENABLE_AE_F32
#define VG_ENABLE_AE_F32 1
#endif
/** Sigmoid and tanh layers of float32 autoencoders (they need the C library's expf and
 *  tanhf); with 0, ReLU and linear layers only. int8 networks use tables, not these. */
#ifndef VG_ENABLE_F32_SIGMOID_TANH
#define VG_ENABLE_F32_SIGMOID_TANH 1
#endif
/** MODL kind 3: the isolation forest. */
#ifndef VG_ENABLE_IFOREST
#define VG_ENABLE_IFOREST 1
#endif
/** MODL kind 4: the random forest classifier. */
#ifndef VG_ENABLE_FOREST
#define VG_ENABLE_FOREST 1
#endif
/** MODL kind 5: the int8 autoencoder. */
#ifndef VG_ENABLE_AE_S8
#define VG_ENABLE_AE_S8 1
#endif
/** MODL kinds 6 and 7: isolation and random forests with int16 thresholds and per-feature
 *  quantization (vg_tree_s16.h). Independent of the float kinds' switches. */
#ifndef VG_ENABLE_TREES_S16
#define VG_ENABLE_TREES_S16 1
#endif
/** Waveform pipelines (WAVE section): the power-quality frontend, its filters and FFT. With
 *  0 the detector holds only the slow-sensor frontend's state. */
#ifndef VG_ENABLE_WAVEFORM
#define VG_ENABLE_WAVEFORM 1
#endif
/** @} */

/** 1 forces the portable C path of every kernel that has an ISA-specific variant (the
 *  Cortex-M DSP-extension int8 dense layer), so tests can compare both; 0 (default) lets a
 *  target with the extension use it. Both give bit-identical results. */
#ifndef VG_DISABLE_SPECIALIZATION
#define VG_DISABLE_SPECIALIZATION 0
#endif

/** Keeps a rarely taken helper out of line (code size), where the compiler supports it. */
#if defined(__GNUC__)
#define VG_NOINLINE __attribute__((noinline))
#else
#define VG_NOINLINE
#endif

#if (VG_ENABLE_ZSCORE != 0 && VG_ENABLE_ZSCORE != 1) ||                                            \
    (VG_ENABLE_AE_F32 != 0 && VG_ENABLE_AE_F32 != 1) ||                                            \
    (VG_ENABLE_F32_SIGMOID_TANH != 0 && VG_ENABLE_F32_SIGMOID_TANH != 1) ||                        \
    (VG_ENABLE_IFOREST != 0 && VG_ENABLE_IFOREST != 1) ||                                          \
    (VG_ENABLE_FOREST != 0 && VG_ENABLE_FOREST != 1) ||                                            \
    (VG_ENABLE_AE_S8 != 0 && VG_ENABLE_AE_S8 != 1) ||                                              \
    (VG_ENABLE_TREES_S16 != 0 && VG_ENABLE_TREES_S16 != 1) ||                                      \
    (VG_ENABLE_WAVEFORM != 0 && VG_ENABLE_WAVEFORM != 1) ||                                        \
    (VG_DISABLE_SPECIALIZATION != 0 && VG_DISABLE_SPECIALIZATION != 1)
#error "the VG_ENABLE_* and VG_DISABLE_SPECIALIZATION switches are 0 or 1"
#endif
#if !VG_ENABLE_ZSCORE && !VG_ENABLE_AE_F32 && !VG_ENABLE_IFOREST && !VG_ENABLE_FOREST &&           \
    !VG_ENABLE_AE_S8 && !VG_ENABLE_TREES_S16
#error                                                                                             \
    "enable at least one model kind (VG_ENABLE_ZSCORE, _AE_F32, _IFOREST, _FOREST, _AE_S8, _TREES_S16)"
#endif
#if VG_ENABLE_F32_SIGMOID_TANH && !VG_ENABLE_AE_F32
#error "VG_ENABLE_F32_SIGMOID_TANH needs VG_ENABLE_AE_F32 (set it to 0 too)"
#endif
#if VG_ENABLE_WAVEFORM && !VG_ENABLE_FOREST && !VG_ENABLE_IFOREST && !VG_ENABLE_TREES_S16
#error                                                                                             \
    "waveform pipelines are scored by forests: VG_ENABLE_WAVEFORM needs VG_ENABLE_FOREST, _IFOREST or _TREES_S16"
#endif

#if VG_MAX_FEATURES > VG_MAX_UNITS * 4
#error "VG_MAX_FEATURES is unreasonably large compared with VG_MAX_UNITS"
#endif
#if VG_MAX_WINDOW > 65535
#error "VG_MAX_WINDOW must fit the artifact's 16-bit window field"
#endif
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) &&                                    \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "the Vigil core runs artifacts in place and needs a little-endian target"
#endif

#endif
