/* SPDX-License-Identifier: MIT */
#include "vigil/vg_decision.h"

void vg_decision_init(vg_decision_t *d, uint16_t open_after, uint16_t close_after)
{
    d->open_after = open_after ? open_after : 1u;
    d->close_after = close_after ? close_after : 1u;
    d->over_run = 0;
    d->under_run = 0;
    d->open = 0;
}

vg_event_t vg_decision_step(vg_decision_t *d, int over)
{
    if (over) {
        d->under_run = 0;
        if (d->over_run < 0xFFFFu)
            d->over_run++;
        if (!d->open && d->over_run >= d->open_after) {
            d->open = 1;
            return VG_EVENT_OPEN;
        }
    } else {
        d->over_run = 0;
        if (d->under_run < 0xFFFFu)
            d->under_run++;
        if (d->open && d->under_run >= d->close_after) {
            d->open = 0;
            return VG_EVENT_CLOSE;
        }
    }
    return VG_EVENT_NONE;
}

float vg_score_unit(float raw, float threshold)
{
    /* raw >= 0 and threshold > 0 by contract; NaN raw maps to 1 so faults read as alarms.
     * 1 / (1 + t / r) equals r / (r + t) without the overflow of r + t near FLT_MAX, and
     * gives 1 for r = +inf. */
    if (!(raw >= 0.0f))
        return raw < 0.0f ? 0.0f : 1.0f;
    if (raw == 0.0f)
        return 0.0f;
    return 1.0f / (1.0f + threshold / raw);
}
