/* SPDX-License-Identifier: MIT */
/* Two waveform models side by side, a chunk at a time: each runs in its own detector (the
 * segment classifier of `vigil eval`, or the stream runner with its event tracker), and the
 * chunk's per-row or per-segment results are compared as they come. */
#include "pq_compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vgh_pq_cmp_free(vgh_pq_cmp_t *c)
{
    vgh_pq_segs_free(&c->sf);
    vgh_pq_segs_free(&c->sq);
    vgh_pq_runner_free(&c->rf);
    vgh_pq_runner_free(&c->rq);
    free(c->af);
    free(c->aq);
    free(c->cf);
    free(c->cq);
    memset(c, 0, sizeof *c);
}

int vgh_pq_cmp_begin(vgh_pq_cmp_t *c, const vg_model_t *mf, const vg_model_t *mq, int segments,
                     char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->segments = segments;
    int rc = segments ? vgh_pq_segs_begin(&c->sf, mf, err, errlen)
                      : vgh_pq_runner_begin(&c->rf, mf, 0, err, errlen);
    if (rc == 0)
        rc = segments ? vgh_pq_segs_begin(&c->sq, mq, err, errlen)
                      : vgh_pq_runner_begin(&c->rq, mq, 0, err, errlen);
    if (rc != 0)
        vgh_pq_cmp_free(c);
    return rc;
}

/* Room for a chunk's per-row results: chunks are bounded, so these do not grow with the
 * recording. */
static int cmp__room(vgh_pq_cmp_t *c, size_t n)
{
    if (n <= c->cap)
        return 0;
    uint8_t *af = realloc(c->af, n);
    if (af)
        c->af = af;
    uint8_t *aq = af ? realloc(c->aq, n) : NULL;
    if (aq)
        c->aq = aq;
    uint16_t *cf = aq ? realloc(c->cf, n * sizeof *cf) : NULL;
    if (cf)
        c->cf = cf;
    uint16_t *cq = cf ? realloc(c->cq, n * sizeof *cq) : NULL;
    if (!cq)
        return -1;
    c->cq = cq;
    c->cap = n;
    return 0;
}

int vgh_pq_cmp_push(vgh_pq_cmp_t *c, const vgh_dataset_t *ds, char *err, size_t errlen)
{
    if (c->segments) {
        if (vgh_pq_segs_push(&c->sf, ds, err, errlen) != 0 ||
            vgh_pq_segs_push(&c->sq, ds, err, errlen) != 0)
            return -1;
        return 0;
    }
    if (cmp__room(c, ds->n) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (vgh_pq_runner_push(&c->rf, ds, NULL, c->af, c->cf, err, errlen) != 0 ||
        vgh_pq_runner_push(&c->rq, ds, NULL, c->aq, c->cq, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < ds->n; i++) {
        c->g.n++;
        c->g.differ += c->cf[i] != c->cq[i];
        c->g.flag_differ += c->af[i] != c->aq[i];
    }
    return 0;
}

/* Per segment: class and flag agreement, and the accuracy of both. */
static void cmp__segments(const vgh_pq_seg_t *sf, const vgh_pq_seg_t *sq, size_t n,
                          vgh_pq_agree_t *a)
{
    for (size_t i = 0; i < n; i++) {
        a->n++;
        a->differ += sf[i].pred != sq[i].pred;
        a->flag_differ += sf[i].anomaly != sq[i].anomaly;
        if (sf[i].truth) {
            const int dist = sf[i].truth != VGH_PQ_NORMAL_CLASS;
            a->bin_f += sf[i].anomaly == dist;
            a->bin_q += sq[i].anomaly == dist;
            a->classified++;
            a->right_f += sf[i].pred == sf[i].truth;
            a->right_q += sq[i].pred == sq[i].truth;
        }
    }
}

/* A stream's events, both lists in row order: those with the same first row, last row and
 * class. */
static void cmp__events(const vgh_pq_event_t *ef, size_t nf, const vgh_pq_event_t *eq, size_t nq,
                        vgh_pq_agree_t *a)
{
    a->events_f = nf;
    a->events_q = nq;
    for (size_t i = 0, j = 0; i < nf && j < nq;) {
        if (ef[i].start == eq[j].start) {
            a->events_same += ef[i].end == eq[j].end && ef[i].cls == eq[j].cls;
            i++;
            j++;
        } else if (ef[i].start < eq[j].start) {
            i++;
        } else {
            j++;
        }
    }
}

int vgh_pq_cmp_end(vgh_pq_cmp_t *c, vgh_pq_agree_t *a, char *err, size_t errlen)
{
    int rc = 0;
    if (c->segments) {
        vgh_pq_seg_t *sf = NULL, *sq = NULL;
        size_t nf = 0, nq = 0;
        rc = vgh_pq_segs_end(&c->sf, &sf, &nf, err, errlen);
        if (rc == 0)
            rc = vgh_pq_segs_end(&c->sq, &sq, &nq, err, errlen);
        if (rc == 0 && nq != nf) {
            snprintf(err, errlen, "internal error: %zu and %zu segments", nf, nq);
            rc = -1;
        }
        if (rc == 0)
            cmp__segments(sf, sq, nf, &c->g);
        free(sf);
        free(sq);
    } else {
        vgh_pq_event_t *ef = NULL, *eq = NULL;
        size_t nf = 0, nq = 0;
        rc = vgh_pq_runner_end(&c->rf, &ef, &nf, err, errlen);
        if (rc == 0)
            rc = vgh_pq_runner_end(&c->rq, &eq, &nq, err, errlen);
        if (rc == 0)
            cmp__events(ef, nf, eq, nq, &c->g);
        vgh_pq_events_free(ef, nf);
        vgh_pq_events_free(eq, nq);
    }
    *a = c->g;
    vgh_pq_cmp_free(c);
    return rc;
}
