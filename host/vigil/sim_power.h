/* SPDX-License-Identifier: MIT */
/**
 * @file sim_power.h
 * @brief Power-quality waveform synthesizer: the 29 disturbance classes of R. Igual,
 *        C. Medrano, F.J. Arcega, G. Mantescu, "Integral mathematical model of power quality
 *        disturbances", 18th Int. Conf. on Harmonics and Quality of Power (ICHQP), 2018
 *        (IEEE Xplore 8378902), written from the paper's equations. docs/power-simulation.md
 *        lists the equations, the parameter ranges and every choice made here.
 *
 * Two outputs:
 * - snippets: per_class waveforms of `cycles` cycles for each selected class, CSV
 *   `segment,t,v,class`, segments in a shuffled (deterministic) order;
 * - stream: one continuous recording of `minutes` with disturbances inserted at random
 *   times, CSV `t,v,label,class` or, with `current`, `t,v,i,label,class`.
 *
 * Voltages are in pu (peak of the nominal fundamental = amp). Rows are written as they are
 * generated: a stream uses O(events) memory, a snippet run O(segments + samples of one
 * waveform). The same configuration gives byte-identical output on one platform (libm
 * differences between platforms can change the last printed digit).
 *
 * Thread safety: no global state; concurrent calls with different outputs are safe.
 */
#ifndef VGH_SIM_POWER_H
#define VGH_SIM_POWER_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Number of disturbance classes; class numbers are 1..VGH_PQ_NCLASSES as in the paper. */
#define VGH_PQ_NCLASSES 29u
/** Mask with every class: bit c-1 stands for class c. */
#define VGH_PQ_ALL ((1u << VGH_PQ_NCLASSES) - 1u)

/** Output modes for vgh_simpower_check(). Values are never renumbered. */
enum { VGH_SIMPOWER_SNIPPETS = 0, VGH_SIMPOWER_STREAM = 1 };

/** Synthesizer settings; start from vgh_simpower_defaults(). */
typedef struct {
    double fs;              /**< sampling rate, Hz, 1000..1e6 and >= 2.5 x the highest component
                                 of the selected classes (default 6400) */
    double f0;              /**< nominal frequency, Hz, 40..100 (default 50) */
    double freq_dev;        /**< frequency deviation, Hz, 0..2: snippets draw f0 + U(-d, d) per
                                 waveform; streams move linearly between such values drawn every
                                 10 s (default 0.05) */
    double amp;             /**< voltage amplitude A in pu, > 0 (default 1.0) */
    double snr_db;          /**< white Gaussian noise, dB: INFINITY = none, else finite >= -10
                                 (default INFINITY) */
    uint64_t seed;          /**< PRNG seed (default 1) */
    uint32_t classes;       /**< bit c-1 selects class c; 0 = all (default 0) */
    unsigned per_class;     /**< snippets: waveforms per class, 1..1e6 (default 100) */
    unsigned cycles;        /**< snippets: cycles per waveform, 3..100 (default 10) */
    double minutes;         /**< stream: duration in minutes, > 0 (default 60) */
    double events_per_hour; /**< stream: disturbances per hour, 0..1e5 (default 60) */
    int current;            /**< stream: 1 = add the current column (default 0) */
    double cur_amp;         /**< stream: current amplitude I in pu, > 0 (default 1.0) */
} vgh_simpower_cfg_t;

/**
 * @brief Fill @p c with the defaults listed in vgh_simpower_cfg_t.
 * @param[out] c Settings to initialise.
 */
void vgh_simpower_defaults(vgh_simpower_cfg_t *c);

/**
 * @brief Validate @p c for one mode without writing anything.
 *
 * Refuses non-finite or out-of-range fields, unknown class bits, an fs below 1000 Hz or
 * below 2.5 x the highest component the selected classes generate (900 Hz for an
 * oscillatory transient, 7 (f0 + freq_dev) for class 7, 5 (f0 + freq_dev) for the other
 * harmonic classes, f0 + freq_dev + 25 Hz for flicker), more than 2^53 rows, and (stream) events
 * that would not fit in the recording at their longest with 2 cycles of normal signal around each.
 * @param[in]  c      Settings.
 * @param[in]  mode   VGH_SIMPOWER_SNIPPETS or VGH_SIMPOWER_STREAM.
 * @param[out] err    Message buffer (may be NULL), prefixed "sim_power: ", naming the field.
 * @param[in]  errlen Size of @p err in bytes.
 * @retval 0  the configuration can be generated.
 * @retval -1 it cannot (message says why).
 */
int vgh_simpower_check(const vgh_simpower_cfg_t *c, int mode, char *err, size_t errlen);

/**
 * @brief Write labelled waveforms of the selected classes, CSV `segment,t,v,class`.
 *
 * per_class waveforms of each selected class, each P = round(cycles * fs / f0) samples;
 * segment is 0.., t = i / fs seconds from the segment start (6 decimals), v in pu
 * (6 decimals), class 1..29. Segment order is a seeded shuffle, not sorted by class.
 * Noise (when snr_db is finite) has power (mean v^2 of the clean waveform) / 10^(snr/10)
 * and comes from its own PRNG stream: the noisy file minus the clean file of the same seed
 * is the noise.
 * @param[in]  c      Settings (see vgh_simpower_check()).
 * @param[out] out    Output stream.
 * @param[out] err    Message buffer (may be NULL).
 * @param[in]  errlen Size of @p err in bytes.
 * @retval 0  success.
 * @retval -1 invalid settings, out of memory or write error.
 */
int vgh_sim_power_snippets(const vgh_simpower_cfg_t *c, FILE *out, char *err, size_t errlen);

/**
 * @brief Write a continuous recording with inserted disturbances, CSV `t,v,label,class`
 *        (`t,v,i,label,class` when c->current is set).
 *
 * round(minutes * 60 * fs) rows; t = i / fs seconds (6 decimals); phase-continuous
 * fundamental. round(minutes / 60 * events_per_hour) events, classes taken in turn from
 * the selected ones (class 1 is the background and is never inserted) and shuffled, at
 * random non-overlapping times with at least 2 cycles of normal signal before, between
 * and after them. Rows inside an event have label 1 and its class; all others `0,1`.
 * Noise power is (A^2 / 2) / 10^(snr/10) throughout (I^2 / 2 for the current).
 * Memory is O(events).
 * @param[in]  c      Settings (see vgh_simpower_check()).
 * @param[out] out    Output stream.
 * @param[out] err    Message buffer (may be NULL).
 * @param[in]  errlen Size of @p err in bytes.
 * @retval 0  success.
 * @retval -1 invalid settings, out of memory or write error.
 */
int vgh_sim_power_stream(const vgh_simpower_cfg_t *c, FILE *out, char *err, size_t errlen);

/**
 * @brief Parse a class list into a mask (bit c-1 for class c).
 *
 * Items separated by commas: a class number ("7"), a range ("5-9"), a class name
 * ("sag", see vgh_pq_class_name()) or "all". Blanks around items are ignored.
 * @param[in]  list   NUL-terminated list, e.g. "2,3,5-9".
 * @param[out] mask   Union of the classes; unchanged on error.
 * @param[out] err    Message buffer (may be NULL).
 * @param[in]  errlen Size of @p err in bytes.
 * @retval 0  success (the mask is never 0).
 * @retval -1 empty list or item, unknown name, number outside 1..29, reversed range, NULL.
 */
int vgh_pq_classes_parse(const char *list, uint32_t *mask, char *err, size_t errlen);

/**
 * @brief Short snake_case name of a class ("pure", "sag", ..., "swell_harm_flicker_osc").
 * @param[in] cls Class number 1..29.
 * @retval name  for 1..29.
 * @retval NULL  otherwise.
 */
const char *vgh_pq_class_name(unsigned cls);

#endif
