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
