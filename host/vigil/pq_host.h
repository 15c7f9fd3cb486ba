/* SPDX-License-Identifier: MIT */
/**
 * @file pq_host.h
 * @brief Host side of power-quality models: training windows from waveform CSVs, and the
 *        classification and event evaluation of `vigil detect` / `vigil eval`.
 */
#ifndef VGH_PQ_HOST_H
#define VGH_PQ_HOST_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "artifact.h"
#include "dataset.h"
#include "pq_evnt.h"
#include "vigil/vigil.h"

/** Class number of "no disturbance" in power-quality.md's table. */
#define VGH_PQ_NORMAL_CLASS 1u
/** Predicted class of a window that failed the missing-sample policy (not classified). */
#define VGH_PQ_NO_CLASS 0xFFFFu

/** @brief The frontend configuration an artifact spec describes. */
void vgh_pq_cfg_from_spec(const vgh_artifact_spec_t *s, vg_pq_cfg_t *cfg);

/** @brief Whole cycles in the first segment of a snippet recording. */
unsigned long vgh_pq_segment_cycles(const vgh_dataset_t *ds, uint16_t frame);

/**
 * @brief Feature windows and labels through the core frontend.
 *        Snippets (a `segment` column): one window per segment, the segment's class; a
 *        segment too short for a window is an error naming it. A stream: a window every hop,
 *        labelled with the class of the disturbance it holds when at least half a cycle of
 *        it is inside, else VGH_PQ_NORMAL_CLASS.
 * @param[out] X  n x n_features (malloc'd), @param[out] y n labels (malloc'd)
 */
int vgh_pq_windows(const vg_pq_cfg_t *cfg, const vgh_dataset_t *ds, float **X, uint16_t **y,
                   size_t *n, char *err, size_t errlen);

/**
 * @brief vgh_pq_windows() with the missing-sample policy of training (docs/detectors.md):
 *        windows with more than max_missing_pm per mille of missing samples are left out
 *        (a snippet segment whose window fails is left out whole); *skipped counts them.
 *        It is an error when no window is left.
 */
int vgh_pq_windows_policy(const vg_pq_cfg_t *cfg, const vgh_dataset_t *ds, uint16_t max_missing_pm,
                          float **X, uint16_t **y, size_t *n, size_t *skipped, char *err,
                          size_t errlen);

/** vgh_pq_windows_policy() a chunk of rows at a time: the frontend's state, the labelling's
 *  state and the windows so far (memory: the windows, not the rows). */
typedef struct {
    const vg_pq_cfg_t *cfg;
    uint16_t max_missing_pm, frame;
    int segments;
    vg_pq_t p;
    void *arena;
    float *F; /**< n x n_features */
    uint16_t *Y;
    uint8_t *T; /**< per window: a disturbed row in it or in the PQ_NEAR_CYCLES before it */
    size_t n, cap, skipped;
    /* snippets: the open segment */
    int in_seg, got, seg_touch;
    long seg;
    uint16_t seg_cls, last_miss;
    size_t seg_len;
    float seg_feats[VG_MAX_FEATURES];
    /* a stream: rows so far, disturbed rows among the last span, the open disturbance */
    size_t rows, span, dist, ev_start, block_end, since_dist;
    uint8_t *dist_ring; /**< span flags: was each of the last span rows disturbed */
    int ev_open;
    uint16_t last, miss;
    uint8_t done;
    double f_lo, f_hi; /**< fundamentals `vigil train` measured (vgh_pq_f0_range()), 0 before any */
    size_t longer;     /**< segments a cycle or more longer than the window (last one decides;
                        *   still set after vgh_pq_win_end()) */
} vgh_pq_win_t;

/** @brief Start collecting windows (@p segments: snippets with a `segment` column). */
int vgh_pq_win_begin(vgh_pq_win_t *w, const vg_pq_cfg_t *cfg, uint16_t max_missing_pm, int segments,
                     char *err, size_t errlen);
/** @brief Feed the rows of @p ds, the recording's next rows in order (a segment may continue
 *         from the previous chunk). */
int vgh_pq_win_push(vgh_pq_win_t *w, const vgh_dataset_t *ds, char *err, size_t errlen);
/** @brief The last segment, then the windows and labels as vgh_pq_windows_policy() returns
 *         them (the same errors); @p w is freed either way. With @p touched, also one flag
 *         per window: 1 when a disturbed row (a class other than 1, or label 1) lies in the
 *         window or in the few cycles before it (a snippet: in its segment), so that
 *         learning normal from the rest leaves out the edges of disturbances. */
int vgh_pq_win_end(vgh_pq_win_t *w, float **X, uint16_t **y, uint8_t **touched, size_t *n,
                   size_t *skipped, char *err, size_t errlen);
/** @brief Free what @p w holds (after an error of vgh_pq_win_push()). */
void vgh_pq_win_free(vgh_pq_win_t *w);

/**
 * @brief The fundamental frequency of the voltage: the median over blocks (each segment's
 *        first 10 nominal cycles, or a stream's first 24 blocks of 10 cycles; blocks shorter
 *        than 2 cycles or with missing samples are left out) of the strongest frequency in
 *        [0.6, 1.6] x f_nominal, to f_nominal / 400.
 * @return Hz, or 0 when no block qualifies.
 */
double vgh_pq_measure_f0(const vgh_dataset_t *ds, double fs, double f_nominal);
/** @brief Widen [*lo, *hi] (0 for "none yet") to the quartiles of the fundamentals
 *         vgh_pq_measure_f0() finds in the blocks of @p ds: over a recording's chunks, the
 *         range a model is trained on, `fundamental_range` in META. */
/** META key of the fundamentals a waveform model was trained on: "LO..HI Hz". */
#define VGH_PQ_F0_RANGE_KEY "fundamental_range"
void vgh_pq_f0_range(const vgh_dataset_t *ds, double fs, double f_nominal, double *lo, double *hi);

/** @brief The four near-identical pairs merged: 20 -> 15, 21 -> 16, 28 -> 22, 29 -> 23. */
uint16_t vgh_pq_merge(uint16_t cls);

/** One segment's result. */
typedef struct {
    long segment;
    uint16_t truth, pred; /**< pred is VGH_PQ_NO_CLASS when the window failed the policy */
    float score;
    uint8_t dropout; /**< the deciding window failed the missing-sample policy */
    uint8_t anomaly; /**< the deciding window was over the threshold; with a segment
                      *   classifier, its class is not normal */
} vgh_pq_seg_t;

/** What a waveform model reports: classes, normal/disturbed votes, or anomaly only. */
enum { VGH_PQ_MULTICLASS = 0, VGH_PQ_BINARY = 1, VGH_PQ_DETECTOR = 2 };

/** @brief The reporting mode of a parsed waveform model. */
int vgh_pq_mode(const vg_model_t *m);

/**
 * @brief Classify every segment of a snippet recording with the model (the detector is reset
 *        at each segment; the segment's last window decides).
 */
int vgh_pq_classify_segments(const vg_model_t *m, const vgh_dataset_t *ds, vgh_pq_seg_t **out,
                             size_t *n, char *err, size_t errlen);

/** vgh_pq_classify_segments() a chunk of rows at a time: the detector, the open segment and
 *  the results so far (memory: the results, not the rows). */
typedef struct {
    const vg_model_t *m;
    vg_detector_t d;
    void *arena;
    vgh_pq_seg_t *seg;
    size_t n, cap;
    int in_seg;
    long sg;
    uint16_t truth;
    size_t seg_len;
    vg_result_t last; /**< the open segment's latest window */
    /* The segment classifier (SEGC section), and the segment's samples for its fit. */
    vgh_pq_evmodel_t sc;
    vgh_pq_ring_t ring;
    uint64_t seg_first; /**< ring index of the open segment's first sample */
    int keep;           /**< keep every segment's features in X (training) */
    float *X;           /**< n x vgh_pq_segment_n_features(m, VGH_PQ_SEGC_LAYOUT) when keep */
    size_t cap_x;
    size_t longer;     /**< segments a cycle or more longer than the window: the last one decides */
    size_t seg_cycles; /**< cycles of the open segment */
    float seg_rms_max; /**< its largest half-cycle-refreshed RMS (per unit of peak) */
} vgh_pq_segs_t;

/** @brief Start classifying segments (the detector's arena is allocated here). A model with a
 *         segment classifier (SEGC) takes each segment's class from it. */
int vgh_pq_segs_begin(vgh_pq_segs_t *c, const vg_model_t *m, char *err, size_t errlen);
/** @brief Keep every segment's features (vgh_pq_segment_n_features() values of the current
 *         layout per segment, in
 *         c->X, for `vigil train --kind segments`); call right after vgh_pq_segs_begin(). */
int vgh_pq_segs_keep(vgh_pq_segs_t *c, char *err, size_t errlen);
/** @brief Close the last segment (before taking c->X; vgh_pq_segs_end() then has no more to
 *         close). */
int vgh_pq_segs_close_last(vgh_pq_segs_t *c, char *err, size_t errlen);
/** @brief Feed the next rows of a snippet recording (a segment may go on in the next chunk). */
int vgh_pq_segs_push(vgh_pq_segs_t *c, const vgh_dataset_t *ds, char *err, size_t errlen);
/** @brief The last segment, then the results as vgh_pq_classify_segments() returns them (the
 *         same errors); @p c is freed either way. */
int vgh_pq_segs_end(vgh_pq_segs_t *c, vgh_pq_seg_t **out, size_t *n, char *err, size_t errlen);
/** @brief Free what @p c holds (after an error of vgh_pq_segs_push()). */
void vgh_pq_segs_free(vgh_pq_segs_t *c);
/**
 * @brief A snippet recording begun with vgh_dataset_begin() through the model, a chunk at a
 *        time (`vigil detect`, `eval`, `train --kind segments`): its first rows checked for
 *        the model's rate and fundamental, then every segment classified.
 * @param X NULL, or every segment's features (vgh_pq_segment_n_features() of the current layout
 *          each, malloc'd)
 * @return an exit status; the error is printed, naming @p cmd and the file.
 */
int vgh_pq_run_segments(const char *cmd, const char *model_path, const char *in,
                        const vg_model_t *m, vgh_dataset_reader_t *rd, vgh_dataset_t *ds,
                        vgh_pq_seg_t **seg, size_t *n, float **X);

/** @brief Print accuracy, macro-F1, the binary and merged-pair accuracies and the confusion
 *         matrix (text or JSON). */
void vgh_pq_report_segments(FILE *f, const vgh_pq_seg_t *seg, size_t n, int mode, int json,
                            const char *model, const char *data);

/** A detected event on a stream. */
typedef struct {
    size_t start, end;      /**< rows */
    uint16_t cls;           /**< its class (event classifier, else soft vote; then the rules) */
    uint16_t vote_cls;      /**< the soft vote of its windows' trees alone */
    float sag_pu, swell_pu; /**< lowest and highest half-cycle RMS, per unit of nominal RMS */
    float thd_max, peak_pu; /**< largest THD, largest |v| in per unit of nominal peak */
    double t_start, t_end;  /**< times of the start and end rows */
    float *feat;            /**< event features, when the tracker was asked to keep them */
    uint32_t n_dropout;     /**< its windows over the threshold for missing samples */
    uint8_t dropout;        /**< as many of those as of windows over it with samples: a gap in
                             *   the data, no class (named "dropout") */
} vgh_pq_event_t;

/** Follows a detector's results and builds its events incrementally (constant memory). */
typedef struct {
    const vg_model_t *m;
    const vg_detector_t *d;
    vgh_pq_evmodel_t em;
    int open, keep_features;
    vgh_pq_event_t cur;
    uint32_t votes[VG_MAX_CLASSES];
    uint16_t peak[VG_MAX_CLASSES];        /**< most trees voting for each class in one window */
    uint32_t n_windows, n_cycles, n_over; /* n_over: windows over it with their samples */
    float fmax[VG_MAX_FEATURES], fmin[VG_MAX_FEATURES]; /**< window features over the event */
    float feat[VGH_PQ_EV_MAX_FEATURES];
    /* Splitting an event at an RMS re-entry (docs/power-quality.md, "Two disturbances, two
     * events"): cycles seen, whether the open event has left 0.9-1.1 pu, the calm cycles in a
     * row since, where that run began, and the first cycle a window of the second part may
     * start at (0: none awaited; until one does, its accumulators hold mixed windows). */
    uint64_t cyc, calm_cyc, clean_from;
    uint32_t calm;
    int split, rms_out; /* split: on (--split-events) */
    size_t calm_row;
    double calm_time;
    /* The event fit (pq_evfit.h, EVNT layout 2): the stream's last samples (buf NULL for a
     * model without event features), and the row of the last sample pushed. */
    vgh_pq_ring_t ring;
    size_t row;
} vgh_pq_tracker_t;

/** Flags of vgh_pq_runner_begin() and vgh_pq_stream_events(): keep every event's features
 *  (for training an event classifier); split events at an RMS re-entry (`--split-events`). */
#define VGH_PQ_KEEP_FEATURES 1u
#define VGH_PQ_SPLIT_EVENTS  2u

/** Calm cycles in a row (both half-cycle RMS within 0.92-1.08 pu, the 3rd, 5th and 7th
 *  harmonics each below 3.5 % of the fundamental) that end an RMS event inside an open event:
 *  a new excursion beyond 0.9 or 1.1 pu after them starts a new event. */
#define VGH_PQ_SPLIT_CALM 2u

/** @brief Start a tracker (free it with vgh_pq_track_free()); -1 with @p err when the
 *         model's EVNT section is malformed or memory runs out. */
int vgh_pq_track_start(vgh_pq_tracker_t *t, const vg_model_t *m, const vg_detector_t *d, char *err,
                       size_t errlen);
/** @brief Feed one pushed sample's result, and its raw voltage @p v (the value pushed to the
 *         detector, for the event fit); 1 and the event in @p done when one closes
 *         (done->feat points into the tracker until the next call when keep_features). Rows
 *         are fed one after the other, each once. */
int vgh_pq_track(vgh_pq_tracker_t *t, const vg_result_t *r, float v, size_t row, double time,
                 vgh_pq_event_t *done);
/** @brief Free what a tracker holds (after vgh_pq_track_start(), or a zeroed tracker). */
void vgh_pq_track_free(vgh_pq_tracker_t *t);
/** @brief Close an event still open at the end of the input; 1 and the event if there was one. */
int vgh_pq_track_end(vgh_pq_tracker_t *t, size_t row, double time, vgh_pq_event_t *done);

/** @brief The event features of the tracker's current event into @p f, in the latest layout
 *         (vgh_pq_event_n_features(m, VGH_PQ_EVNT_LAYOUT) values; a layout-1 classifier reads
 *         the first ones). The event fit's are computed when the tracker keeps features or
 *         its EVNT section has layout 2, else left 0. */
void vgh_pq_event_features(const vgh_pq_tracker_t *t, float *f);

/** A waveform model run over a stream a chunk of rows at a time: the detector, the event
 *  tracker and the events so far (memory: the events, not the rows). */
typedef struct {
    const vg_model_t *m;
    vg_detector_t d;
    void *arena;
    vgh_pq_tracker_t *tr;
    vgh_pq_event_t *ev;
    size_t n_ev, cap_ev;
    uint16_t nef;  /**< event features kept per event (0: none) */
    size_t row;    /**< rows pushed so far */
    double last_t; /**< time of the last row pushed */
} vgh_pq_runner_t;

/** @brief Start a run (@p flags: VGH_PQ_KEEP_FEATURES, VGH_PQ_SPLIT_EVENTS); -1 with @p err
 *         when the detector cannot start or the model's EVNT section is malformed. */
int vgh_pq_runner_begin(vgh_pq_runner_t *r, const vg_model_t *m, unsigned flags, char *err,
                        size_t errlen);
/**
 * @brief Feed the stream's next rows; per-row outputs for them (any may be NULL, else
 *        ds->n values), as vgh_pq_run_stream() gives them. Events closed by these rows join
 *        the list; their rows count from the stream's first row.
 */
int vgh_pq_runner_push(vgh_pq_runner_t *r, const vgh_dataset_t *ds, float *score, uint8_t *anomaly,
                       uint16_t *cls, char *err, size_t errlen);
/** @brief Close an event still open at the last row, then hand over the events (free with
 *         vgh_pq_events_free()); @p r is freed either way. */
int vgh_pq_runner_end(vgh_pq_runner_t *r, vgh_pq_event_t **events, size_t *n_events, char *err,
                      size_t errlen);
/** @brief Free what @p r holds (after an error). */
void vgh_pq_runner_free(vgh_pq_runner_t *r);

/**
 * @brief Run a stream through the detector; per-row outputs (any may be NULL) and events.
 *        cls is VGH_PQ_NO_CLASS while the latest window failed the missing-sample policy.
 */
int vgh_pq_run_stream(const vg_model_t *m, const vgh_dataset_t *ds, float *score, uint8_t *anomaly,
                      uint16_t *cls, vgh_pq_event_t **events, size_t *n_events, char *err,
                      size_t errlen);

void vgh_pq_events_free(vgh_pq_event_t *ev, size_t n);

/**
 * @brief Refuse a recording's first rows (@p ds) when their timestamps show a sampling rate
 *        more than 1 % off the model's (with a time column), or their fundamental is more than
 *        5 % off its nominal one (60 Hz data for a 50 Hz model: every frame would hold 1.2
 *        cycles): -1 with @p err naming @p path and @p model, else 0 (also when the rows are too
 *        few to tell).
 */
int vgh_pq_check_head(const vg_model_t *m, const vgh_dataset_t *ds, const char *path,
                      const char *model, char *err, size_t errlen);

/** Rows per chunk when a recording is read a chunk at a time (after its first rows). */
#define VGH_PQ_CHUNK_ROWS 65536u

/**
 * @brief The first rows of a recording begun with vgh_dataset_begin(): at least the 10,001
 *        that fix its rate (vgh_infer_rate()), and then 48 blocks of 10 cycles of a stream at
 *        the rate they show, or 48 whole snippets: twice what vgh_pq_measure_f0() looks at,
 *        and the first segment for its length.
 * @param f0  nominal fundamental, Hz
 * @return 1 when rows remain, 0 at the end of the file, -1 with @p err on a bad row.
 */
int vgh_pq_read_head(vgh_dataset_reader_t *rd, vgh_dataset_t *ds, double f0, char *err,
                     size_t errlen);

/** Takes the next rows of a recording (a chunk); -1 with a message in @p err. */
typedef int (*vgh_pq_push_fn)(void *ctx, const vgh_dataset_t *ds, char *err, size_t errlen);

/**
 * @brief Push the rows in @p ds (the first ones, e.g. vgh_pq_read_head()'s), then every further
 *        chunk of VGH_PQ_CHUNK_ROWS rows of the recording, to @p push: the one chunk loop of
 *        the commands that read a recording a chunk at a time.
 * @param more  what the last vgh_dataset_read() returned (0: @p ds holds every row)
 * @return 0, or -1 after reporting the failure as @p cmd (exit status VGH_EXIT_INPUT): a bad
 *         row's message (it names the file and line), or a push error as "@p in: message".
 */
int vgh_pq_chunks(vgh_dataset_reader_t *rd, vgh_dataset_t *ds, int more, vgh_pq_push_fn push,
                  void *ctx, const char *cmd, const char *in, char *err, size_t errlen);

/** A labelled disturbance of a stream: consecutive rows of one class other than normal. */
typedef struct {
    double t0, t1; /**< times of its first and last rows */
    uint16_t cls;
} vgh_pq_run_t;

/** What vgh_pq_stream_events() gathers from a stream. */
typedef struct {
    vgh_pq_event_t *ev; /**< the detected events, in time order */
    size_t n_ev;
    uint16_t *truth;    /**< vgh_pq_stream_events_csv(): each event's labelled class, 0 for none */
    vgh_pq_run_t *runs; /**< the labelled runs (none without a class column) */
    size_t n_runs;
    double t_first, t_last; /**< times of the first and last rows */
    size_t rows;
} vgh_pq_stream_t;

/**
 * @brief Run a waveform model over a stream read a second at a time from @p rd (begun with the
 *        model's channels; @p ds holds no rows yet and is the chunk buffer), as
 *        vgh_pq_run_stream() would over it in memory: the events, the labelled runs and the
 *        first and last times. Memory holds those, not the stream. The first second is checked
 *        for the model's sampling rate and fundamental (errors name @p path and @p model).
 * @param flags  VGH_PQ_KEEP_FEATURES: keep every event's features (ev[i].feat, for training
 *               an event classifier); VGH_PQ_SPLIT_EVENTS: split events at an RMS re-entry
 * @return 0, or -1 with @p err (naming the file and line of a bad row) and nothing in @p out.
 */
int vgh_pq_stream_events(const vg_model_t *m, vgh_dataset_reader_t *rd, vgh_dataset_t *ds,
                         const char *path, const char *model, unsigned flags, vgh_pq_stream_t *out,
                         char *err, size_t errlen);

/**
 * @brief vgh_pq_stream_events() over the labelled stream CSV @p path, keeping every event's
 *        features, with out->truth[i] the class of the labelled disturbance overlapping
 *        event i most (within the slack of vgh_pq_report_events()), 0 for none.
 * @param channels  the model's channel names (vgh_model_file_t), for the columns
 * @param model     the model's path, for messages
 */
int vgh_pq_stream_events_csv(const vg_model_t *m, char *const *channels, const char *path,
                             const char *model, unsigned flags, vgh_pq_stream_t *out, char *err,
                             size_t errlen);

/** @brief Free what a vgh_pq_stream_t holds. */
void vgh_pq_stream_free(vgh_pq_stream_t *o);

/** @brief Event recall, false alarms per hour, class accuracy per event (text or JSON), from
 *         a stream's labelled runs and detected events. */
int vgh_pq_report_events(FILE *f, const vgh_pq_stream_t *st, const vg_model_t *m, int json,
                         const char *model, const char *data);
#endif
