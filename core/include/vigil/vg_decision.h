/* SPDX-License-Identifier: MIT */
/**
 * @file vg_decision.h
 * @brief Threshold with hysteresis: an event opens after @c open_after consecutive windows
 *        over the threshold and closes after @c close_after consecutive windows under it.
 */
#ifndef VG_DECISION_H
#define VG_DECISION_H
#include <stdint.h>

typedef enum { VG_EVENT_NONE = 0, VG_EVENT_OPEN = 1, VG_EVENT_CLOSE = 2 } vg_event_t;

typedef struct {
    uint16_t open_after, close_after; /* >= 1 */
    uint16_t over_run, under_run;
    uint8_t open;
} vg_decision_t;

/** @brief Start closed. Counts of 0 are treated as 1. */
void vg_decision_init(vg_decision_t *d, uint16_t open_after, uint16_t close_after);

/** @brief Feed one window's verdict (nonzero = over the threshold); returns the transition. */
vg_event_t vg_decision_step(vg_decision_t *d, int over);

/** @brief Map a raw score to [0, 1] so that @p threshold maps to 0.5: raw / (raw + threshold). */
float vg_score_unit(float raw, float threshold);
#endif
