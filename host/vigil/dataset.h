/* SPDX-License-Identifier: MIT */
/**
 * @file dataset.h
 * @brief Sensor recordings in CSV: which columns are channels, time, label and kind, row
 *        validation, and whole-file loading for training and evaluation.
 *
 * Column roles: `timestamp`, `time` or `t` is the time in seconds; `label` (0/1) marks
 * anomalous rows; `kind` names the anomaly; `class` and `segment` are reserved. Every other
 * column whose first value is numeric (or empty) is a sensor channel unless the caller
 * names the channels explicitly.
 */
#ifndef VGH_DATASET_H
#define VGH_DATASET_H
#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "vigil/vigil.h"

typedef struct {
    int time_col, label_col, kind_col; /* -1 when absent */
    int class_col, segment_col;        /* -1 when absent */
    size_t n_ch;
    int ch_col[VG_MAX_CHANNELS];
} vgh_colmap_t;

/**
 * @brief Decide the column roles of an open CSV whose first data row has been read.
 * @param[in] columns   NULL for every numeric non-reserved column, or "a,b,c"
 * @param[in] required  NULL, or channel names a model needs, in channel order
 */
int vgh_colmap_resolve(const vgh_csv_t *c, const char *columns, char *const *required,
                       size_t n_required, vgh_colmap_t *map, char *err, size_t errlen);

/** One validated row. */
typedef struct {
    double t; /**< seconds (row index / rate when there is no time column) */
    float x[VG_MAX_CHANNELS];
    uint8_t label;    /**< 0 without a label column */
    const char *kind; /**< "" without a kind column; valid until the next row */
    uint16_t cls;     /**< `class` column (0 without one) */
    long segment;     /**< `segment` column (-1 without one) */
} vgh_row_t;

/** Row reader state: remembers the previous timestamp to refuse time going backwards. */
typedef struct {
    vgh_colmap_t map;
    double rate; /**< used when there is no time column */
    size_t index;
    double prev_t;
    long prev_segment; /**< segment of the previous row */
    long max_segment;  /**< highest segment seen: ids must not come back */
    long prev_cls;     /**< class of the previous row (a segment holds one) */
} vgh_rows_t;

/** @brief Parse the current CSV row into @p row, checking every field. */
int vgh_rows_read(vgh_rows_t *r, const vgh_csv_t *c, vgh_row_t *row, char *err, size_t errlen);

/** A whole recording in memory. */
typedef struct {
    size_t n, n_ch;
    char *ch_names[VG_MAX_CHANNELS];
    double *t;
    float *x; /**< n x n_ch, row-major; NaN = missing */
    int has_label, has_kind, has_time;
    uint8_t *label;
    int *kind; /**< index into kind_names; 0 is "normal" */
    char **kind_names;
    size_t n_kinds;
    double rate; /**< Hz: given, or the median sampling interval's inverse */
    int has_class, has_segment;
    uint16_t *cls; /**< `class` per row (power-quality class numbers; 0 without) */
    long *segment; /**< `segment` per row (-1 without) */
} vgh_dataset_t;

/**
 * @brief Load @p path ("-" = stdin).
 * @param[in] rate  sampling rate to assume when the file has no time column (0: 1 Hz)
 */
int vgh_dataset_load(const char *path, const char *columns, char *const *required,
                     size_t n_required, double rate, vgh_dataset_t *ds, char *err, size_t errlen);
void vgh_dataset_free(vgh_dataset_t *ds);

/** A recording read a chunk at a time (vgh_dataset_load() reads it in one). */
typedef struct {
    vgh_csv_t *c;
    vgh_rows_t rows;
    size_t cap;   /**< rows the dataset's arrays hold */
    size_t total; /**< rows read so far */
    int more;     /**< 1 while a data row is waiting to be read */
} vgh_dataset_reader_t;

/**
 * @brief Open @p path and decide its columns as vgh_dataset_load() does; @p ds gets the
 *        names and column flags and no rows. On error everything is closed and freed.
 */
int vgh_dataset_begin(vgh_dataset_reader_t *r, const char *path, const char *columns,
                      char *const *required, size_t n_required, double rate, vgh_dataset_t *ds,
                      char *err, size_t errlen);
/**
 * @brief Append up to @p max_rows more rows to @p ds (set ds->n to 0 first to reuse its
 *        arrays for the next chunk).
 * @return 1 when rows remain, 0 at the end of the file, -1 with @p err on a bad row.
 */
int vgh_dataset_read(vgh_dataset_reader_t *r, vgh_dataset_t *ds, size_t max_rows, char *err,
                     size_t errlen);
/** @brief ds->rate as vgh_dataset_load() sets it, from the rows in @p ds (the first 10,001
 *         are enough, vgh_infer_rate()); -1 with @p err naming @p path if it cannot. */
int vgh_dataset_set_rate(vgh_dataset_t *ds, double rate, const char *path, char *err,
                         size_t errlen);
/** @brief Close the file (the dataset is freed apart, with vgh_dataset_free()). */
void vgh_dataset_end(vgh_dataset_reader_t *r);

/** @brief Median of the first (up to 10000) positive sampling intervals of @p t, as Hz; 0 if none.
 */
double vgh_infer_rate(const double *t, size_t n);
#endif
