/* SPDX-License-Identifier: MIT */
#include "train_forest.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rng.h"

_Static_assert(VGH_RF_MAX_FEATURES < VG_TREE_LEAF, "feature indices must not collide with LEAF");
_Static_assert(VG_MAX_TREES <= 65535, "n_trees is stored as uint16");
_Static_assert(VG_MAX_CLASSES >= 2 && VG_MAX_CLASSES <= 65535, "labels are uint16");
/* A tree of m distinct rows has at most 2 m - 1 nodes: relative indices fit the u32 right. */
_Static_assert(2ull * VGH_RF_MAX_ROWS < 0xFFFFFFFFull, "tree node count must fit uint32");

#define RF__NONE     UINT32_MAX
#define RF__INSERT_N 32u /* below this many rows a node is sorted by insertion */

static void rf__err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void vgh_rf_defaults(vgh_rf_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->n_trees = 100;
    cfg->max_depth = 16;
    cfg->min_split = 5;
    cfg->min_leaf = 1;
    cfg->bootstrap = 1;
    cfg->balanced = VGH_RF_BAL_NONE;
}

void vgh_rf_free(vgh_rf_t *f)
{
    if (f == NULL)
        return;
    free(f->nodes);
    free(f->roots);
    memset(f, 0, sizeof *f);
}

uint16_t vgh_rf_predict(const vgh_rf_t *f, const float *x, uint16_t *votes)
{
    uint16_t local[VG_MAX_CLASSES];
    uint16_t *v = votes ? votes : local;
    memset(v, 0, f->n_classes * sizeof *v);
    for (unsigned t = 0; t < f->n_trees; t++) {
        const vg_tree_node_t *tree = f->nodes + f->roots[t];
        uint32_t i = 0;
        while (tree[i].feature != VG_TREE_LEAF)
            i = x[tree[i].feature] < tree[i].value ? i + 1u : tree[i].right;
        v[tree[i].cls]++;
    }
    uint16_t best = 0;
    for (uint16_t c = 1; c < f->n_classes; c++)
        if (v[c] > v[best])
            best = c;
    return best;
}

/* ---- training ---------------------------------------------------------------------- */

/*
 * Shared by all workers; read-only while trees grow except the scheduling fields, which
 * the mutex guards. Features are replaced by their rank among the feature's distinct values
 * (computed once): a node then sorts small integers, ties are equal ranks, and the threshold
 * is looked up half way between two distinct values.
 */
typedef struct {
    size_t n, d;
    unsigned k, mtry;
    const uint16_t *y;
    uint32_t *rank; /* d x n, column-major: rank[j n + r] */
    float *uval;    /* distinct values of feature j, ascending, at uval + uoff[j] */
    size_t *uoff;   /* d offsets */
    uint32_t *byc;  /* rows grouped by class (balanced bootstrap) */
    size_t coff[VG_MAX_CLASSES + 1];
    unsigned k_present;
    double cw[VG_MAX_CLASSES]; /* class weights */
    const vgh_rf_cfg_t *cfg;
    uint64_t *seeds;        /* per tree: the forest does not depend on which thread grew it */
    vg_tree_node_t **trees; /* per tree, exactly sized */
    uint32_t *sizes;
    pthread_mutex_t mu;
    unsigned next, done;
    int failed;
} rf__shared_t;

typedef struct {
    uint32_t s, e, depth, parent; /* rows [s, e) of the tree's arrays; parent awaiting right */
} rf__todo_t;

/* One worker's scratch, sized for n rows. */
typedef struct {
    rf__shared_t *sh;
    uint32_t *row; /* the tree's distinct rows, partitioned node by node */
    uint16_t *cls; /* their classes and weights, permuted alongside */
    double *w;
    uint32_t *cnt;
    uint64_t *a, *b; /* sort items: (rank - lo) << 32 | position in the node */
    vg_tree_node_t *out;
    uint32_t n_out;
    rf__todo_t *todo;
    uint16_t feats[VGH_RF_MAX_FEATURES];
    double tot[VG_MAX_CLASSES], lw[VG_MAX_CLASSES], rw[VG_MAX_CLASSES];
    vgh_rng_t rng;
} rf__ws_t;

/* Items ascending by (key, position). LSD radix on the key's bytes above lo (stable, so
 * positions stay ascending within a key), insertion sort for small nodes. Returns the
 * buffer that holds the result. */
static uint64_t *rf__sort(uint64_t *a, uint64_t *b, uint32_t m, uint32_t lo, uint32_t range)
{
    if (m < RF__INSERT_N) {
        for (uint32_t i = 1; i < m; i++) {
            const uint64_t v = a[i];
            uint32_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return a;
    }
    for (unsigned shift = 0; shift < 32 && (range >> shift) != 0; shift += 8) {
        uint32_t pos[256] = {0};
        for (uint32_t i = 0; i < m; i++)
            pos[(((uint32_t)(a[i] >> 32) - lo) >> shift) & 255u]++;
        uint32_t sum = 0;
        for (unsigned q = 0; q < 256; q++) {
            const uint32_t c = pos[q];
            pos[q] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < m; i++)
            b[pos[(((uint32_t)(a[i] >> 32) - lo) >> shift) & 255u]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    return a;
}

typedef struct {
    double proxy;
    uint32_t lo, hi; /* ranks either side of the threshold */
    uint16_t feat;
} rf__split_t;

/*
 * Best Gini split of node rows [s, s + m) over up to mtry drawn features. Minimising the
 * weighted child impurity is maximising sum_c L_c^2 / W_L + sum_c R_c^2 / W_R; both sums of
 * squares are updated in O(1) per row moved, so a scan costs O(m) whatever the class count.
 * Returns 0 when no feature varies or min_leaf rules every split out.
 */
static int rf__best_split(rf__ws_t *ws, uint32_t s, uint32_t m, double wsum, double sq,
                          rf__split_t *best)
{
    const rf__shared_t *sh = ws->sh;
    const uint32_t min_leaf = sh->cfg->min_leaf;
    const uint32_t *row = ws->row + s;
    const uint16_t *cl = ws->cls + s;
    const double *wt = ws->w + s;
    double *lw = ws->lw, *rw = ws->rw;
    unsigned left = (unsigned)sh->d, visited = 0, varying = 0;
    best->proxy = -1.0;
    /* sklearn's rule: keep drawing past mtry while every feature drawn was constant */
    while (left > 0 && (visited < sh->mtry || varying == 0)) {
        const unsigned j = (unsigned)vgh_rng_below(&ws->rng, left);
        const uint16_t f = ws->feats[j];
        ws->feats[j] = ws->feats[--left];
        ws->feats[left] = f;
        visited++;
        const uint32_t *rk = sh->rank + (size_t)f * sh->n;
        uint32_t lo = UINT32_MAX, hi = 0;
        uint64_t *a = ws->a;
        for (uint32_t i = 0; i < m; i++) {
            const uint32_t r = rk[row[i]];
            lo = r < lo ? r : lo;
            hi = r > hi ? r : hi;
            a[i] = (uint64_t)r << 32 | i;
        }
        if (lo == hi)
            continue;
        varying++;
        const uint64_t *it = rf__sort(a, ws->b, m, lo, hi - lo);
        memset(lw, 0, sh->k * sizeof *lw);
        memcpy(rw, ws->tot, sh->k * sizeof *rw);
        double sql = 0.0, sqr = sq, wl = 0.0, wr = wsum;
        for (uint32_t p = 0; p + 1 < m; p++) {
            const uint32_t i = (uint32_t)it[p];
            const uint16_t c = cl[i];
            const double x = wt[i];
            sql += x * (2.0 * lw[c] + x);
            sqr += x * (x - 2.0 * rw[c]);
            lw[c] += x;
            rw[c] -= x;
            wl += x;
            wr -= x;
            if ((it[p] >> 32) == (it[p + 1] >> 32) || p + 1 < min_leaf)
                continue;
            if (m - (p + 1) < min_leaf)
                break;
            const double proxy = sql / wl + sqr / wr;
            if (proxy > best->proxy) {
                best->proxy = proxy;
                best->lo = (uint32_t)(it[p] >> 32);
                best->hi = (uint32_t)(it[p + 1] >> 32);
                best->feat = f;
            }
        }
    }
    return best->proxy >= 0.0;
}

/* Grow one tree over rows [0, m) of the workspace arrays into ws->out, in pre-order, with an
 * explicit stack (depth is unbounded when max_depth is 0). */
static void rf__grow(rf__ws_t *ws, uint32_t m)
{
    const rf__shared_t *sh = ws->sh;
    const vgh_rf_cfg_t *cfg = sh->cfg;
    const unsigned k = sh->k;
    uint32_t sp = 0;
    ws->n_out = 0;
    ws->todo[sp++] = (rf__todo_t){0, m, 0, RF__NONE};
    while (sp > 0) {
        const rf__todo_t e = ws->todo[--sp];
        const uint32_t me = ws->n_out++;
        vg_tree_node_t *nd = &ws->out[me];
        if (e.parent != RF__NONE)
            ws->out[e.parent].right = me;
        const uint32_t s = e.s, cnt = e.e - e.s;
        memset(ws->tot, 0, k * sizeof ws->tot[0]);
        double wsum = 0.0, sq = 0.0;
        for (uint32_t i = s; i < e.e; i++) {
            ws->tot[ws->cls[i]] += ws->w[i];
            wsum += ws->w[i];
        }
        unsigned top = 0, present = 0;
        for (unsigned c = 0; c < k; c++) {
            sq += ws->tot[c] * ws->tot[c];
            present += ws->tot[c] > 0.0;
            if (ws->tot[c] > ws->tot[top])
                top = c;
        }
        rf__split_t b;
        const int leaf = (cfg->max_depth && e.depth >= cfg->max_depth) || cnt < cfg->min_split ||
                         cnt < 2u * cfg->min_leaf || present <= 1 ||
                         !rf__best_split(ws, s, cnt, wsum, sq, &b);
        if (leaf) {
            nd->feature = VG_TREE_LEAF;
            nd->cls = (uint16_t)top;
            nd->value = (float)(ws->tot[top] / wsum);
            nd->right = 0;
            continue;
        }
        /* Partition by rank: rows of this node have no rank strictly between lo and hi. */
        const uint32_t *rk = sh->rank + (size_t)b.feat * sh->n;
        uint32_t nl = 0;
        for (uint32_t i = s; i < e.e; i++) {
            if (rk[ws->row[i]] <= b.lo) {
                const uint32_t tr = ws->row[i];
                const uint16_t tc = ws->cls[i];
                const double tw = ws->w[i];
                ws->row[i] = ws->row[s + nl];
                ws->cls[i] = ws->cls[s + nl];
                ws->w[i] = ws->w[s + nl];
                ws->row[s + nl] = tr;
                ws->cls[s + nl] = tc;
                ws->w[s + nl] = tw;
                nl++;
            }
        }
        /* Half way, like sklearn; x < t sends v_lo left and v_hi right even when the
         * midpoint rounds down to v_lo (then t = v_hi). */
        const float vlo = sh->uval[sh->uoff[b.feat] + b.lo];
        const float vhi = sh->uval[sh->uoff[b.feat] + b.hi];
        float t = (float)(((double)vlo + (double)vhi) * 0.5);
        if (!(t > vlo))
            t = vhi;
        nd->feature = b.feat;
        nd->cls = 0;
        nd->value = t;
        nd->right = 0;
        ws->todo[sp++] = (rf__todo_t){s + nl, e.e, e.depth + 1u, me};
        ws->todo[sp++] = (rf__todo_t){s, s + nl, e.depth + 1u, RF__NONE};
    }
}

/* Draw the tree's rows: distinct rows with their multiplicity (times the class weight) as
 * sample weight, which grows the same tree as the repeated rows would. Returns the count. */
static uint32_t rf__sample(rf__ws_t *ws)
{
    const rf__shared_t *sh = ws->sh;
    const size_t n = sh->n;
    const int bal = sh->cfg->balanced;
    if (bal == VGH_RF_BAL_BOOTSTRAP) {
        memset(ws->cnt, 0, n * sizeof *ws->cnt);
        const size_t q = (n + sh->k_present - 1u) / sh->k_present;
        for (unsigned c = 0; c < sh->k; c++) {
            const size_t nc = sh->coff[c + 1] - sh->coff[c];
            for (size_t i = 0; nc && i < q; i++)
                ws->cnt[sh->byc[sh->coff[c] + vgh_rng_below(&ws->rng, nc)]]++;
        }
    } else if (sh->cfg->bootstrap) {
        memset(ws->cnt, 0, n * sizeof *ws->cnt);
        for (size_t i = 0; i < n; i++)
            ws->cnt[vgh_rng_below(&ws->rng, n)]++;
    } else {
        for (size_t r = 0; r < n; r++)
            ws->cnt[r] = 1;
    }
    uint32_t m = 0;
    for (size_t r = 0; r < n; r++) {
        if (ws->cnt[r] == 0)
            continue;
        ws->row[m] = (uint32_t)r;
        ws->cls[m] = sh->y[r];
        ws->w[m] = (double)ws->cnt[r] * sh->cw[sh->y[r]];
        m++;
    }
    return m;
}

static void *rf__worker(void *arg)
{
    rf__ws_t *ws = arg;
    rf__shared_t *sh = ws->sh;
    const unsigned nt = sh->cfg->n_trees;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        const unsigned t = sh->failed ? nt : sh->next++;
        pthread_mutex_unlock(&sh->mu);
        if (t >= nt)
            break;
        vgh_rng_seed(&ws->rng, sh->seeds[t]);
        for (size_t j = 0; j < sh->d; j++)
            ws->feats[j] = (uint16_t)j;
        rf__grow(ws, rf__sample(ws));
        vg_tree_node_t *copy = malloc(ws->n_out * sizeof *copy);
        if (copy != NULL)
            memcpy(copy, ws->out, ws->n_out * sizeof *copy);
        pthread_mutex_lock(&sh->mu);
        sh->trees[t] = copy;
        sh->sizes[t] = ws->n_out;
        sh->failed |= copy == NULL;
        sh->done++;
        if (sh->cfg->progress && (sh->done % (nt >= 10 ? nt / 10 : 1) == 0 || sh->done == nt))
            fprintf(sh->cfg->progress, "forest: tree %u/%u\n", sh->done, nt);
        pthread_mutex_unlock(&sh->mu);
    }
    return NULL;
}

static int rf__ws_alloc(rf__ws_t *ws, rf__shared_t *sh)
{
    const size_t n = sh->n;
    memset(ws, 0, sizeof *ws);
    ws->sh = sh;
    ws->row = malloc(n * sizeof *ws->row);
    ws->cls = malloc(n * sizeof *ws->cls);
    ws->w = malloc(n * sizeof *ws->w);
    ws->cnt = malloc(n * sizeof *ws->cnt);
    ws->a = malloc(n * sizeof *ws->a);
    ws->b = malloc(n * sizeof *ws->b);
    ws->out = malloc((2 * n) * sizeof *ws->out);
    ws->todo = malloc((n + 1) * sizeof *ws->todo);
    return ws->row && ws->cls && ws->w && ws->cnt && ws->a && ws->b && ws->out && ws->todo ? 0 : -1;
}

static void rf__ws_free(rf__ws_t *ws)
{
    free(ws->row);
    free(ws->cls);
    free(ws->w);
    free(ws->cnt);
    free(ws->a);
    free(ws->b);
    free(ws->out);
    free(ws->todo);
}

typedef struct {
    float v;
    uint32_t r;
} rf__pair_t;

static int rf__cmp(const void *pa, const void *pb)
{
    const rf__pair_t *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return (a->r > b->r) - (a->r < b->r);
}

/* Ranks and distinct values of every feature; class weights and class groups. */
static int rf__prepare(rf__shared_t *sh, const float *X)
{
    const size_t n = sh->n, d = sh->d;
    sh->rank = malloc(n * d * sizeof *sh->rank);
    sh->uval = malloc(n * d * sizeof *sh->uval);
    sh->uoff = malloc(d * sizeof *sh->uoff);
    sh->byc = malloc(n * sizeof *sh->byc);
    rf__pair_t *p = malloc(n * sizeof *p);
    if (!sh->rank || !sh->uval || !sh->uoff || !sh->byc || !p) {
        free(p);
        return -1;
    }
    size_t u = 0;
    for (size_t j = 0; j < d; j++) {
        for (size_t r = 0; r < n; r++)
            p[r] = (rf__pair_t){X[r * d + j], (uint32_t)r};
        qsort(p, n, sizeof *p, rf__cmp);
        sh->uoff[j] = u;
        uint32_t rk = 0;
        sh->uval[u++] = p[0].v;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && p[i].v != p[i - 1].v) {
                sh->uval[u++] = p[i].v;
                rk++;
            }
            sh->rank[j * n + p[i].r] = rk;
        }
    }
    free(p);
    size_t cnt[VG_MAX_CLASSES] = {0};
    for (size_t r = 0; r < n; r++)
        cnt[sh->y[r]]++;
    sh->k_present = 0;
    sh->coff[0] = 0;
    for (unsigned c = 0; c < sh->k; c++) {
        sh->k_present += cnt[c] > 0;
        sh->coff[c + 1] = sh->coff[c] + cnt[c];
    }
    size_t fill[VG_MAX_CLASSES];
    memcpy(fill, sh->coff, sh->k * sizeof *fill);
    for (size_t r = 0; r < n; r++)
        sh->byc[fill[sh->y[r]]++] = (uint32_t)r;
    for (unsigned c = 0; c < sh->k; c++)
        sh->cw[c] = sh->cfg->balanced == VGH_RF_BAL_WEIGHTS && cnt[c]
                        ? (double)n / ((double)sh->k_present * (double)cnt[c])
                        : 1.0;
    return 0;
}

static int rf__check(const float *X, const uint16_t *y, size_t n, size_t d, uint16_t k,
                     const vgh_rf_cfg_t *c, char *err, size_t errlen)
{
    const char *bad = NULL;
    if (X == NULL || y == NULL || c == NULL)
        bad = "X, y and cfg must not be NULL";
    else if (n < 2 || n > VGH_RF_MAX_ROWS)
        bad = "n (rows) must be 2..2^30-1";
    else if (d == 0 || d > VGH_RF_MAX_FEATURES)
        bad = "d (features) must be 1..VGH_RF_MAX_FEATURES";
    else if (k < 2 || k > VG_MAX_CLASSES)
        bad = "n_classes must be 2..VG_MAX_CLASSES";
    else if (c->n_trees == 0 || c->n_trees > VG_MAX_TREES)
        bad = "n_trees must be 1..VG_MAX_TREES";
    else if (c->min_split < 2 || c->min_leaf < 1 || c->min_leaf > VGH_RF_MAX_ROWS)
        bad = "min_split must be >= 2 and min_leaf >= 1";
    else if (!(c->max_features_frac >= 0.0f && c->max_features_frac <= 1.0f))
        bad = "max_features_frac must be in [0, 1]";
    else if (c->balanced < VGH_RF_BAL_NONE || c->balanced > VGH_RF_BAL_BOOTSTRAP)
        bad = "balanced must be 0 (none), 1 (class weights) or 2 (balanced bootstrap)";
    if (bad) {
        rf__err(err, errlen, "%s", bad);
        return -1;
    }
    for (size_t r = 0; r < n; r++) {
        if (y[r] >= k) {
            rf__err(err, errlen, "y[row %zu] = %u; labels must be < n_classes = %u", r,
                    (unsigned)y[r], (unsigned)k);
            return -1;
        }
        for (size_t j = 0; j < d; j++)
            if (!isfinite(X[r * d + j])) {
                rf__err(err, errlen, "X[row %zu][col %zu] is not finite", r, j);
                return -1;
            }
    }
    return 0;
}

int vgh_rf_train(const float *X, const uint16_t *y, size_t n, size_t d, uint16_t n_classes,
                 const vgh_rf_cfg_t *cfg, vgh_rf_t *f, char *err, size_t errlen)
{
    if (f == NULL) {
        rf__err(err, errlen, "f must not be NULL");
        return -1;
    }
    memset(f, 0, sizeof *f);
    if (rf__check(X, y, n, d, n_classes, cfg, err, errlen) != 0)
        return -1;
    rf__shared_t sh = {.n = n, .d = d, .k = n_classes, .y = y, .cfg = cfg};
    if (cfg->max_features_frac > 0.0f)
        sh.mtry = (unsigned)floor((double)cfg->max_features_frac * (double)d);
    else if (cfg->max_features == 0)
        sh.mtry = (unsigned)floor(sqrt((double)d));
    else
        sh.mtry = cfg->max_features < d ? cfg->max_features : (unsigned)d;
    sh.mtry = sh.mtry ? sh.mtry : 1u;
    unsigned nth = cfg->threads;
    if (nth == 0) {
        const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        nth = cpus > 0 ? (unsigned)cpus : 1u;
    }
    nth = nth < cfg->n_trees ? nth : cfg->n_trees;
    nth = nth < 256u ? nth : 256u;

    const unsigned nt = cfg->n_trees;
    sh.seeds = malloc(nt * sizeof *sh.seeds);
    sh.trees = calloc(nt, sizeof *sh.trees);
    sh.sizes = calloc(nt, sizeof *sh.sizes);
    rf__ws_t *ws = calloc(nth, sizeof *ws);
    pthread_t *tid = calloc(nth, sizeof *tid);
    int rc = -1, mu_ok = 0;
    unsigned n_ws = 0, started = 0;
    if (!sh.seeds || !sh.trees || !sh.sizes || !ws || !tid || rf__prepare(&sh, X) != 0)
        goto out;
    if (pthread_mutex_init(&sh.mu, NULL) != 0)
        goto out;
    mu_ok = 1;
    vgh_rng_t master;
    vgh_rng_seed(&master, cfg->seed);
    for (unsigned t = 0; t < nt; t++)
        sh.seeds[t] = vgh_rng_u64(&master);
    for (; n_ws < nth; n_ws++)
        if (rf__ws_alloc(&ws[n_ws], &sh) != 0) {
            rf__ws_free(&ws[n_ws]);
            goto out;
        }
    /* Threads that fail to start just leave their share to the others. */
    for (unsigned i = 1; i < nth; i++)
        if (pthread_create(&tid[started], NULL, rf__worker, &ws[i]) == 0)
            started++;
    rf__worker(&ws[0]);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (sh.failed)
        goto out;
    uint64_t total = 0;
    for (unsigned t = 0; t < nt; t++)
        total += sh.sizes[t];
    if (total > UINT32_MAX)
        goto out;
    f->nodes = malloc((size_t)total * sizeof *f->nodes);
    f->roots = malloc(nt * sizeof *f->roots);
    if (!f->nodes || !f->roots)
        goto out;
    for (unsigned t = 0; t < nt; t++) {
        f->roots[t] = f->n_nodes;
        memcpy(f->nodes + f->n_nodes, sh.trees[t], sh.sizes[t] * sizeof *f->nodes);
        f->n_nodes += sh.sizes[t];
    }
    f->n_trees = (uint16_t)nt;
    f->n_classes = n_classes;
    rc = 0;
out:
    if (rc != 0) {
        vgh_rf_free(f);
        rf__err(err, errlen, "out of memory (%zu rows x %zu features, %u trees)", n, d, nt);
    }
    for (unsigned i = 0; i < n_ws; i++)
        rf__ws_free(&ws[i]);
    for (unsigned t = 0; sh.trees && t < nt; t++)
        free(sh.trees[t]);
    if (mu_ok)
        pthread_mutex_destroy(&sh.mu);
    free(ws);
    free(tid);
    free(sh.seeds);
    free(sh.trees);
    free(sh.sizes);
    free(sh.rank);
    free(sh.uval);
    free(sh.uoff);
    free(sh.byc);
    return rc;
}
