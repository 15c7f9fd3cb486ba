/* SPDX-License-Identifier: MIT */
#include "dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_reserved(const char *name)
{
    static const char *const r[] = {"timestamp", "time", "t", "label", "kind", "class", "segment"};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (strcmp(name, r[i]) == 0)
            return 1;
    return 0;
}

static int find_any(const vgh_csv_t *c, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int k = vgh_csv_find(c, names[i]);
        if (k >= 0)
            return k;
    }
    return -1;
}

static void list_columns(const vgh_csv_t *c, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < vgh_csv_ncols(c) && used + 1 < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? "," : "", vgh_csv_colname(c, i));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int add_channel(const vgh_csv_t *c, const char *name, size_t nl, vgh_colmap_t *map,
                       char *err, size_t errlen)
{
    char want[256];
    if (nl == 0 || nl >= sizeof want) {
        snprintf(err, errlen, "%s: empty or overlong column name in the channel list",
                 vgh_csv_name(c));
        return -1;
    }
    memcpy(want, name, nl);
    want[nl] = '\0';
    int k = vgh_csv_find(c, want);
    if (k < 0) {
        char cols[512];
        list_columns(c, cols, sizeof cols);
        snprintf(err, errlen, "%s: column '%s' is missing (the file has: %s)", vgh_csv_name(c),
                 want, cols);
        return -1;
    }
    if (map->n_ch >= VG_MAX_CHANNELS) {
        snprintf(err, errlen, "%s: more than %d channels", vgh_csv_name(c), VG_MAX_CHANNELS);
        return -1;
    }
    map->ch_col[map->n_ch++] = k;
    return 0;
}

int vgh_colmap_resolve(const vgh_csv_t *c, const char *columns, char *const *required,
                       size_t n_required, vgh_colmap_t *map, char *err, size_t errlen)
{
    static const char *const tnames[] = {"timestamp", "time", "t"};
    static const char *const lnames[] = {"label"};
    static const char *const knames[] = {"kind"};
    memset(map, 0, sizeof *map);
    map->time_col = find_any(c, tnames, 3);
    map->label_col = find_any(c, lnames, 1);
    map->kind_col = find_any(c, knames, 1);
    map->class_col = vgh_csv_find(c, "class");
    map->segment_col = vgh_csv_find(c, "segment");
    if (required) {
        for (size_t i = 0; i < n_required; i++)
            if (add_channel(c, required[i], strlen(required[i]), map, err, errlen) != 0)
                return -1;
        return 0;
    }
    if (columns) {
        const char *p = columns;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t l = comma ? (size_t)(comma - p) : strlen(p);
            if (add_channel(c, p, l, map, err, errlen) != 0)
                return -1;
            if (!comma)
                break;
            p = comma + 1;
        }
        return 0;
    }
    for (size_t i = 0; i < vgh_csv_ncols(c); i++) {
        const char *name = vgh_csv_colname(c, i);
        double v;
        char e2[8];
        if (is_reserved(name) || vgh_csv_number(c, i, &v, e2, sizeof e2) != 0)
            continue;
        if (map->n_ch >= VG_MAX_CHANNELS) {
            snprintf(err, errlen, "%s: more than %d numeric columns; choose some with --columns",
                     vgh_csv_name(c), VG_MAX_CHANNELS);
            return -1;
        }
        map->ch_col[map->n_ch++] = (int)i;
    }
    if (map->n_ch == 0) {
        char cols[512];
        list_columns(c, cols, sizeof cols);
        snprintf(err, errlen, "%s: no numeric sensor column found (the file has: %s)",
                 vgh_csv_name(c), cols);
        return -1;
    }
    return 0;
}

int vgh_rows_read(vgh_rows_t *r, const vgh_csv_t *c, vgh_row_t *row, char *err, size_t errlen)
{
    const vgh_colmap_t *m = &r->map;
    double v;
    row->segment = -1;
    if (m->segment_col >= 0) {
        const char *cell = vgh_csv_cell(c, (size_t)m->segment_col);
        char *end;
        long sg = strtol(cell, &end, 10);
        if (end == cell || *end != '\0' || sg < 0) {
            snprintf(err, errlen, "%s:%lu: column 'segment': '%.40s' is not a segment number",
                     vgh_csv_name(c), vgh_csv_line(c), cell);
            return -1;
        }
        if (r->index > 0 && sg != r->prev_segment) {
            /* Rows of one waveform are contiguous and segments come in increasing order, so a
             * reader can classify each segment as it ends, in constant memory. */
            if (sg < r->prev_segment) {
                snprintf(err, errlen,
                         "%s:%lu: column 'segment': segment %ld after segment %ld; rows of "
                         "each segment must be contiguous, segments in increasing order",
                         vgh_csv_name(c), vgh_csv_line(c), sg, r->prev_segment);
                return -1;
            }
            r->index = 0; /* time restarts with each segment */
        }
        r->prev_segment = sg;
        row->segment = sg;
    }
    row->cls = 0;
    if (m->class_col >= 0) {
        const char *cell = vgh_csv_cell(c, (size_t)m->class_col);
        char *end;
        long cl = strtol(cell, &end, 10);
        if (end == cell || *end != '\0' || cl < 0 || cl >= VG_MAX_CLASSES) {
            snprintf(err, errlen, "%s:%lu: column 'class': '%.40s' is not a class number 0..%d",
                     vgh_csv_name(c), vgh_csv_line(c), cell, VG_MAX_CLASSES - 1);
            return -1;
        }
        /* A snippet is one waveform of one class: its result is compared with that class. */
        if (m->segment_col >= 0 && r->index > 0 && cl != r->prev_cls) {
            snprintf(err, errlen,
                     "%s:%lu: column 'class': class %ld in segment %ld, which began as class %ld; "
                     "a segment holds one class",
                     vgh_csv_name(c), vgh_csv_line(c), cl, r->prev_segment, r->prev_cls);
            return -1;
        }
        r->prev_cls = cl;
        row->cls = (uint16_t)cl;
    }
    if (m->time_col >= 0) {
        if (vgh_csv_number(c, (size_t)m->time_col, &v, err, errlen) != 0)
            return -1;
        if (!isfinite(v)) {
            snprintf(err, errlen, "%s:%lu: column '%s': missing or non-finite time",
                     vgh_csv_name(c), vgh_csv_line(c), vgh_csv_colname(c, (size_t)m->time_col));
            return -1;
        }
        if (r->index > 0 && v < r->prev_t) {
            snprintf(err, errlen, "%s:%lu: column '%s': time goes backwards (%.17g after %.17g)",
                     vgh_csv_name(c), vgh_csv_line(c), vgh_csv_colname(c, (size_t)m->time_col), v,
                     r->prev_t);
            return -1;
        }
        row->t = v;
    } else {
        row->t = (double)r->index / (r->rate > 0 ? r->rate : 1.0);
    }
    r->prev_t = row->t;
    for (size_t k = 0; k < m->n_ch; k++) {
        if (vgh_csv_number(c, (size_t)m->ch_col[k], &v, err, errlen) != 0)
            return -1;
        /* NaN and inf stay: the core treats them as missing samples (dropout policy). */
        row->x[k] = fabs(v) > 3.0e38 ? (float)(v > 0 ? INFINITY : -INFINITY) : (float)v;
    }
    row->label = 0;
    if (m->label_col >= 0) {
        const char *cell = vgh_csv_cell(c, (size_t)m->label_col);
        if (strcmp(cell, "1") == 0 || strcmp(cell, "1.0") == 0) {
            row->label = 1;
        } else if (!(strcmp(cell, "0") == 0 || strcmp(cell, "0.0") == 0)) {
            snprintf(err, errlen, "%s:%lu: column 'label': '%.40s' is not 0 or 1", vgh_csv_name(c),
                     vgh_csv_line(c), cell);
            return -1;
        }
    }
    row->kind = m->kind_col >= 0 ? vgh_csv_cell(c, (size_t)m->kind_col) : "";
    r->index++;
    return 0;
}

double vgh_infer_rate(const double *t, size_t n)
{
    /* The median interval first (robust to gaps), then the rate over the longest run of
     * intervals within 25 % of it: timestamps printed with few decimals (6400 Hz as
     * 0.000156 s steps) round each interval, but not a run of thousands of them. */
    size_t m = n > 10001 ? 10001 : n;
    double *d = malloc(sizeof(double) * (m ? m : 1));
    size_t k = 0;
    for (size_t i = 1; d && i < m; i++)
        if (t[i] > t[i - 1])
            d[k++] = t[i] - t[i - 1];
    if (!k) {
        free(d);
        return 0;
    }
    for (size_t i = 1; i < k; i++) {
        double x = d[i];
        size_t j = i;
        for (; j > 0 && d[j - 1] > x; j--)
            d[j] = d[j - 1];
        d[j] = x;
    }
    double med = d[k / 2];
    free(d);
    size_t best_len = 0, run = 0, start = 0, best_start = 0;
    for (size_t i = 1; i < m; i++) {
        double dt = t[i] - t[i - 1];
        if (fabs(dt - med) <= 0.25 * med) {
            if (run == 0)
                start = i - 1;
            run++;
            if (run > best_len) {
                best_len = run;
                best_start = start;
            }
        } else {
            run = 0;
        }
    }
    if (best_len < 2)
        return 1.0 / med;
    return (double)best_len / (t[best_start + best_len] - t[best_start]);
}

static int grow(vgh_dataset_t *ds, size_t *cap)
{
    size_t nc = *cap ? *cap * 2 : 4096;
    double *t = realloc(ds->t, nc * sizeof *t);
    if (t)
        ds->t = t;
    float *x = realloc(ds->x, nc * ds->n_ch * sizeof *x);
    if (x)
        ds->x = x;
    uint8_t *l = realloc(ds->label, nc);
    if (l)
        ds->label = l;
    int *k = realloc(ds->kind, nc * sizeof *k);
    if (k)
        ds->kind = k;
    uint16_t *cl = realloc(ds->cls, nc * sizeof *cl);
    if (cl)
        ds->cls = cl;
    long *sg = realloc(ds->segment, nc * sizeof *sg);
    if (sg)
        ds->segment = sg;
    if (!t || !x || !l || !k || !cl || !sg)
        return -1;
    *cap = nc;
    return 0;
}

static int kind_id(vgh_dataset_t *ds, const char *name)
{
    if (name[0] == '\0' || strcmp(name, "normal") == 0)
        return 0;
    for (size_t i = 1; i < ds->n_kinds; i++)
        if (strcmp(ds->kind_names[i], name) == 0)
            return (int)i;
    char **kn = realloc(ds->kind_names, (ds->n_kinds + 1) * sizeof *kn);
    if (!kn)
        return -1;
    ds->kind_names = kn;
    kn[ds->n_kinds] = strdup(name);
    return kn[ds->n_kinds] ? (int)ds->n_kinds++ : -1;
}

int vgh_dataset_begin(vgh_dataset_reader_t *r, const char *path, const char *columns,
                      char *const *required, size_t n_required, double rate, vgh_dataset_t *ds,
                      char *err, size_t errlen)
{
    memset(ds, 0, sizeof *ds);
    memset(r, 0, sizeof *r);
    r->c = vgh_csv_open(path, err, errlen);
    if (!r->c)
        return -1;
    int rc = vgh_csv_next(r->c, err, errlen);
    if (rc <= 0) {
        if (rc == 0)
            snprintf(err, errlen, "%s: no data rows after the header", vgh_csv_name(r->c));
        goto fail;
    }
    r->more = 1; /* the first data row is read and waiting */
    r->rows.rate = rate;
    if (vgh_colmap_resolve(r->c, columns, required, n_required, &r->rows.map, err, errlen) != 0)
        goto fail;
    ds->n_ch = r->rows.map.n_ch;
    for (size_t k = 0; k < ds->n_ch; k++)
        ds->ch_names[k] = strdup(vgh_csv_colname(r->c, (size_t)r->rows.map.ch_col[k]));
    ds->has_time = r->rows.map.time_col >= 0;
    ds->has_label = r->rows.map.label_col >= 0;
    ds->has_kind = r->rows.map.kind_col >= 0;
    ds->has_class = r->rows.map.class_col >= 0;
    ds->has_segment = r->rows.map.segment_col >= 0;
    ds->kind_names = malloc(sizeof(char *));
    if (ds->kind_names) {
        ds->kind_names[0] = strdup("normal");
        ds->n_kinds = 1;
    }
    return 0;
fail:
    vgh_dataset_end(r);
    vgh_dataset_free(ds);
    return -1;
}

int vgh_dataset_read(vgh_dataset_reader_t *r, vgh_dataset_t *ds, size_t max_rows, char *err,
                     size_t errlen)
{
    for (size_t got = 0; r->more == 1 && got < max_rows; got++) {
        if (ds->n == r->cap && grow(ds, &r->cap) != 0) {
            snprintf(err, errlen, "%s: out of memory at line %lu", vgh_csv_name(r->c),
                     vgh_csv_line(r->c));
            return -1;
        }
        vgh_row_t row;
        if (vgh_rows_read(&r->rows, r->c, &row, err, errlen) != 0)
            return -1;
        ds->t[ds->n] = row.t;
        memcpy(ds->x + ds->n * ds->n_ch, row.x, ds->n_ch * sizeof(float));
        ds->label[ds->n] = row.label;
        int k = kind_id(ds, row.kind);
        if (k < 0) {
            snprintf(err, errlen, "%s: out of memory", vgh_csv_name(r->c));
            return -1;
        }
        ds->kind[ds->n] = row.label ? k : 0;
        ds->cls[ds->n] = row.cls;
        ds->segment[ds->n] = row.segment;
        ds->n++;
        r->total++;
        if ((r->more = vgh_csv_next(r->c, err, errlen)) < 0)
            return -1;
    }
    return r->more;
}

int vgh_dataset_set_rate(vgh_dataset_t *ds, double rate, const char *path, char *err, size_t errlen)
{
    ds->rate = ds->has_time ? vgh_infer_rate(ds->t, ds->n) : (rate > 0 ? rate : 1.0);
    if (ds->has_time && ds->rate <= 0) {
        snprintf(err, errlen, "%s: cannot infer the sampling rate (all timestamps equal?)", path);
        return -1;
    }
    return 0;
}

void vgh_dataset_end(vgh_dataset_reader_t *r)
{
    if (r->c)
        vgh_csv_close(r->c);
    r->c = NULL;
}

int vgh_dataset_load(const char *path, const char *columns, char *const *required,
                     size_t n_required, double rate, vgh_dataset_t *ds, char *err, size_t errlen)
{
    vgh_dataset_reader_t r;
    if (vgh_dataset_begin(&r, path, columns, required, n_required, rate, ds, err, errlen) != 0)
        return -1;
    int rc = vgh_dataset_read(&r, ds, SIZE_MAX, err, errlen);
    vgh_dataset_end(&r);
    if (rc != 0 || vgh_dataset_set_rate(ds, rate, path, err, errlen) != 0) {
        vgh_dataset_free(ds);
        return -1;
    }
    return 0;
}

void vgh_dataset_free(vgh_dataset_t *ds)
{
    for (size_t k = 0; k < VG_MAX_CHANNELS; k++)
        free(ds->ch_names[k]);
    for (size_t i = 0; i < ds->n_kinds; i++)
        free(ds->kind_names[i]);
    free(ds->kind_names);
    free(ds->t);
    free(ds->x);
    free(ds->label);
    free(ds->kind);
    free(ds->cls);
    free(ds->segment);
    memset(ds, 0, sizeof *ds);
}
