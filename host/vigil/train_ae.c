/* SPDX-License-Identifier: MIT */
#include "train_ae.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/*
 * Batch layout. A mini-batch is processed in chunks of LN samples (LN = AE_WIDE while at
 * least that many remain, else AE_LANES; a final partial chunk is zero-padded). Inside a
 * chunk, activations are feature-major: A[j * LN + s] is feature j of sample s, so every
 * kernel works on LN contiguous lanes held in 4-float GNU C vectors. The kernels are
 * force-inlined with LN constant and their lane loops fully unrolled, so the accumulators
 * live in registers even at -O2 (AE_WIDE = 32 lanes = 8 independent add chains, enough to
 * hide the add latency). A chunk's forward and backward pass stays in L1; gradients are
 * summed over the chunks of a batch, then Adam takes one step.
 *
 * Each lane computes acc = b[o]; acc += W[o][i] * a[i] for i in order, exactly like
 * vgh_net_forward(), so the training forward pass is bit-identical to it. Padding lanes
 * hold zero inputs and get zero output deltas, so they add exactly 0 to every gradient.
 * Results do not depend on the optimisation level or on AE_SSE (checked: -O0/-O2/-O3,
 * -march=native, clang), as long as the compiler does not contract a*b+c into an FMA
 * (gcc -std=c11 implies -ffp-contract=off).
 */
#define AE_LANES 8u
#define AE_WIDE  32u

#ifndef VGH_DISABLE_SPECIALIZATION
#define VGH_DISABLE_SPECIALIZATION 0 /**< 1 forces the portable Adam loop (same results) */
#endif
#if defined(__SSE2__) && !VGH_DISABLE_SPECIALIZATION
#define AE_SSE 1
#include <emmintrin.h>
#else
#define AE_SSE 0
#endif

static const float ae__b1 = 0.9f;
static const float ae__b2 = 0.999f;
static const float ae__eps = 1e-8f;
static const double ae__stop_rel = 1e-4;

static void ae__err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static inline float ae__act(float x, unsigned act)
{
    switch (act) {
    case VG_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case VG_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case VG_ACT_TANH: return tanhf(x);
    default: return x;
    }
}

void vgh_ae_defaults(vgh_ae_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->hidden = NULL;
    cfg->n_hidden = 0;
    cfg->act_hidden = VG_ACT_RELU;
    cfg->epochs = 200;
    cfg->batch = 32;
    cfg->lr = 1e-3f;
    cfg->l2 = 0.0f;
    cfg->seed = 0;
    cfg->progress = NULL;
    cfg->patience = 0;
}

void vgh_net_free(vgh_net_t *net)
{
    if (net == NULL)
        return;
    free(net->params);
    memset(net, 0, sizeof *net);
}

void vgh_net_forward(const vgh_net_t *net, const float *x, float *y, float *scratch)
{
    const float *in = x;
    const float *p = net->params;
    for (unsigned l = 0; l < net->n_layers; l++) {
        const size_t n_in = net->layers[l].n_in, n_out = net->layers[l].n_out;
        const unsigned act = net->layers[l].act;
        const float *b = p + n_out * n_in;
        float *out = (l + 1u == net->n_layers) ? y : scratch + (l & 1u) * VG_MAX_UNITS;
        for (size_t o = 0; o < n_out; o++) {
            const float *w = p + o * n_in;
            float acc = b[o];
            for (size_t i = 0; i < n_in; i++)
                acc += w[i] * in[i];
            out[o] = ae__act(acc, act);
        }
        in = out;
        p = b + n_out;
    }
}

float vgh_ae_error(const vgh_net_t *net, const float *x, float *scratch)
{
    float y[VG_MAX_UNITS];
    const size_t d = net->layers[0].n_in;
    vgh_net_forward(net, x, y, scratch);
    float e = 0.0f;
    for (size_t j = 0; j < d; j++) {
        const float r = y[j] - x[j];
        e += r * r;
    }
    return e / (float)d;
}

/* ---- training ---------------------------------------------------------------------- */

typedef struct {
    vgh_net_t *net;
    float *grad, *m, *v;           /* n_params each, same layout as params */
    float *act[VG_MAX_LAYERS + 1]; /* act[0] = chunk input, act[l+1] = layer l output */
    float *delta[2];               /* VG_MAX_UNITS * AE_WIDE each */
    size_t off[VG_MAX_LAYERS];     /* offset of layer l's W in params */
    float l2;
    double b1t, b2t; /* beta^t for Adam's bias correction */
} ae__ctx_t;

#define AE_INLINE static inline __attribute__((always_inline))
/* Full unrolling of the (constant-count) vector loops lets gcc keep the accumulators in
 * registers; without it, -O2 keeps arrays of accumulators on the stack. */
#define AE_UNROLL _Pragma("GCC unroll 8")

/* Four float lanes; GNU C vector extension (SSE on x86-64, generic code elsewhere). Lane
 * arithmetic is ordinary IEEE float arithmetic, so results equal the scalar loops'. */
typedef float ae__v4 __attribute__((vector_size(16)));
typedef int32_t ae__m4 __attribute__((vector_size(16)));
#define AE_NV (AE_WIDE / 4u)
#if defined(__clang__)
#define AE_SHUF(a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#else
#define AE_SHUF(a, b, i0, i1, i2, i3) __builtin_shuffle(a, b, (ae__m4){i0, i1, i2, i3})
#endif

AE_INLINE ae__v4 ae__ld(const float *p)
{
    ae__v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

AE_INLINE void ae__st(float *p, ae__v4 v)
{
    memcpy(p, &v, sizeof v);
}

AE_INLINE ae__v4 ae__splat(float x)
{
    return (ae__v4){x, x, x, x};
}

/* x > 0 ? x : 0 per lane (the same result as the scalar ReLU, including for -0 and NaN). */
AE_INLINE ae__v4 ae__relu(ae__v4 x)
{
    const ae__m4 pos = x > ae__splat(0.0f);
    return (ae__v4)(pos & (ae__m4)x);
}

/* out[o][s] = act(b[o] + sum_i W[o][i] * in[i][s]) over ln lanes, summed in order of i. */
AE_INLINE void ae__fwd(const float *restrict w, const float *restrict b, const float *restrict in,
                       float *restrict out, size_t n_in, size_t n_out, unsigned act, unsigned ln)
{
    const unsigned nv = ln / 4u;
    for (size_t o = 0; o < n_out; o++) {
        const float *wr = w + o * n_in;
        ae__v4 acc[AE_NV];
        AE_UNROLL for (unsigned q = 0; q < nv; q++) acc[q] = ae__splat(b[o]);
        for (size_t i = 0; i < n_in; i++) {
            const ae__v4 wi = ae__splat(wr[i]);
            const float *a = in + i * ln;
            AE_UNROLL for (unsigned q = 0; q < nv; q++) acc[q] += wi * ae__ld(a + 4u * q);
        }
        float *orow = out + o * ln;
        if (act == VG_ACT_RELU) {
            AE_UNROLL for (unsigned q = 0; q < nv; q++) ae__st(orow + 4u * q, ae__relu(acc[q]));
        } else {
            AE_UNROLL for (unsigned q = 0; q < nv; q++) ae__st(orow + 4u * q, acc[q]);
            if (act == VG_ACT_SIGMOID || act == VG_ACT_TANH)
                for (unsigned j = 0; j < ln; j++)
                    orow[j] = ae__act(orow[j], act);
        }
    }
}

/* Lane-wise partial dot product: sum over q of d[q] * a[4q..4q+3], as a pairwise tree. */
AE_INLINE ae__v4 ae__dotv(const ae__v4 *d, const float *a, unsigned nv)
{
    ae__v4 p[AE_NV];
    AE_UNROLL for (unsigned q = 0; q < nv; q++) p[q] = d[q] * ae__ld(a + 4u * q);
    AE_UNROLL for (unsigned h = 1; h < nv; h *= 2u)
        AE_UNROLL for (unsigned q = 0; q + h < nv; q += 2u * h) p[q] += p[q + h];
    return p[0];
}

/*
 * Layer backward over one chunk. dout: n_out x ln deltas of the layer's pre-activations.
 * Adds this chunk's weight and bias gradients to gw, gb and, when din != NULL, writes the
 * input deltas din[i][s] = act'(in[i][s]) * sum_o W[o][i] * dout[o][s], with act'
 * expressed through the stored activation in[i][s].
 */
AE_INLINE void ae__bwd(const float *restrict w, const float *restrict in,
                       const float *restrict dout, float *restrict gw, float *restrict gb,
                       float *restrict din, size_t n_in, size_t n_out, unsigned in_act, unsigned ln)
{
    const unsigned nv = ln / 4u;
    for (size_t o = 0; o < n_out; o++) {
        const float *dr = dout + o * ln;
        float *gr = gw + o * n_in;
        ae__v4 dv[AE_NV];
        AE_UNROLL for (unsigned q = 0; q < nv; q++) dv[q] = ae__ld(dr + 4u * q);
        size_t i = 0;
        for (; i + 4 <= n_in; i += 4) { /* four dot products, then one 4x4 transpose-add */
            ae__v4 s4[4];
            AE_UNROLL for (unsigned r = 0; r < 4; r++) s4[r] = ae__dotv(dv, in + (i + r) * ln, nv);
            const ae__v4 t0 = AE_SHUF(s4[0], s4[1], 0, 4, 1, 5) + AE_SHUF(s4[0], s4[1], 2, 6, 3, 7);
            const ae__v4 t1 = AE_SHUF(s4[2], s4[3], 0, 4, 1, 5) + AE_SHUF(s4[2], s4[3], 2, 6, 3, 7);
            const ae__v4 r = AE_SHUF(t0, t1, 0, 1, 4, 5) + AE_SHUF(t0, t1, 2, 3, 6, 7);
            ae__st(gr + i, ae__ld(gr + i) + r);
        }
        for (; i < n_in; i++) {
            const ae__v4 p = ae__dotv(dv, in + i * ln, nv);
            gr[i] += (p[0] + p[2]) + (p[1] + p[3]);
        }
        AE_UNROLL for (unsigned h = 1; h < nv; h *= 2u)
            AE_UNROLL for (unsigned q = 0; q + h < nv; q += 2u * h) dv[q] += dv[q + h];
        gb[o] += (dv[0][0] + dv[0][1]) + (dv[0][2] + dv[0][3]);
    }
    if (din == NULL)
        return;
    for (size_t i = 0; i < n_in; i++) {
        ae__v4 acc[AE_NV];
        AE_UNROLL for (unsigned q = 0; q < nv; q++) acc[q] = ae__splat(0.0f);
        for (size_t o = 0; o < n_out; o++) {
            const ae__v4 wo = ae__splat(w[o * n_in + i]);
            const float *dd = dout + o * ln;
            AE_UNROLL for (unsigned q = 0; q < nv; q++) acc[q] += wo * ae__ld(dd + 4u * q);
        }
        float *di = din + i * ln;
        const float *ai = in + i * ln;
        const ae__v4 one = ae__splat(1.0f);
        AE_UNROLL for (unsigned q = 0; q < nv; q++)
        {
            const ae__v4 av = ae__ld(ai + 4u * q);
            ae__v4 r = acc[q];
            if (in_act == VG_ACT_RELU)
                r = (ae__v4)((av > ae__splat(0.0f)) & (ae__m4)r);
            else if (in_act == VG_ACT_SIGMOID)
                r = r * (av * (one - av));
            else if (in_act == VG_ACT_TANH)
                r = r * (one - av * av);
            ae__st(di + 4u * q, r);
        }
    }
}

/*
 * Forward and backward pass of one chunk of m <= ln rows (indices idx), adding its
 * gradients to c->grad. scale = 2 / (batch rows * d): the chunk's share of dLoss/dy.
 * Returns the chunk's summed squared error.
 */
AE_INLINE double ae__chunk(ae__ctx_t *c, const float *X, size_t d, const size_t *idx, size_t m,
                           float scale, unsigned ln)
{
    const vgh_net_t *net = c->net;
    const size_t L = net->n_layers;
    float *a0 = c->act[0];
    for (size_t s = 0; s < m; s++) {
        const float *row = X + idx[s] * d;
        for (size_t j = 0; j < d; j++)
            a0[j * ln + s] = row[j];
    }
    if (m < ln)
        for (size_t j = 0; j < d; j++)
            for (size_t s = m; s < ln; s++)
                a0[j * ln + s] = 0.0f;
    for (size_t l = 0; l < L; l++) {
        const size_t n_in = net->layers[l].n_in, n_out = net->layers[l].n_out;
        const float *w = net->params + c->off[l];
        ae__fwd(w, w + n_in * n_out, c->act[l], c->act[l + 1], n_in, n_out, net->layers[l].act, ln);
    }
    /* Deltas of loss = (1 / (rows d)) sum (y - x)^2; the output layer is linear. */
    const float *y = c->act[L];
    float *dl = c->delta[0];
    double loss = 0.0;
    for (size_t j = 0; j < d; j++) {
        float lsum = 0.0f;
        for (size_t s = 0; s < m; s++) {
            const float r = y[j * ln + s] - a0[j * ln + s];
            lsum += r * r;
            dl[j * ln + s] = scale * r;
        }
        for (size_t s = m; s < ln; s++)
            dl[j * ln + s] = 0.0f;
        loss += (double)lsum;
    }
    unsigned cur = 0;
    for (size_t l = L; l-- > 0;) {
        const size_t n_in = net->layers[l].n_in, n_out = net->layers[l].n_out;
        const float *w = net->params + c->off[l];
        float *gw = c->grad + c->off[l];
        float *din = l > 0 ? c->delta[cur ^ 1u] : NULL;
        const unsigned in_act = l > 0 ? net->layers[l - 1].act : VG_ACT_LINEAR;
        ae__bwd(w, c->act[l], c->delta[cur], gw, gw + n_in * n_out, din, n_in, n_out, in_act, ln);
        cur ^= 1u;
    }
    return loss;
}

static double ae__chunk_wide(ae__ctx_t *c, const float *X, size_t d, const size_t *idx, size_t m,
                             float scale)
{
    return ae__chunk(c, X, d, idx, m, scale, AE_WIDE);
}

static double ae__chunk_narrow(ae__ctx_t *c, const float *X, size_t d, const size_t *idx, size_t m,
                               float scale)
{
    return ae__chunk(c, X, d, idx, m, scale, AE_LANES);
}

/* p -= lr_t * m / (sqrt(v) + eps) after the moment updates; the SSE path performs the same
 * correctly rounded float operations in the same order, so both give the same bytes. */
static void ae__adam(ae__ctx_t *c, float lr)
{
    c->b1t *= (double)ae__b1;
    c->b2t *= (double)ae__b2;
    /* Bias correction folded into the step, as in Kingma & Ba section 2 (and sklearn). */
    const float lr_t = (float)((double)lr * sqrt(1.0 - c->b2t) / (1.0 - c->b1t));
    const float c1 = 1.0f - ae__b1, c2 = 1.0f - ae__b2;
    float *restrict p = c->net->params;
    const float *restrict g = c->grad;
    float *restrict m = c->m, *restrict v = c->v;
    const size_t np = c->net->n_params;
    size_t k = 0;
#if AE_SSE
    const __m128 vb1 = _mm_set1_ps(ae__b1), vb2 = _mm_set1_ps(ae__b2);
    const __m128 vc1 = _mm_set1_ps(c1), vc2 = _mm_set1_ps(c2);
    const __m128 veps = _mm_set1_ps(ae__eps), vlr = _mm_set1_ps(lr_t);
    for (; k + 4 <= np; k += 4) {
        const __m128 gk = _mm_loadu_ps(g + k);
        const __m128 mk = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(m + k)), _mm_mul_ps(vc1, gk));
        const __m128 vk =
            _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(v + k)), _mm_mul_ps(_mm_mul_ps(vc2, gk), gk));
        const __m128 st = _mm_div_ps(_mm_mul_ps(vlr, mk), _mm_add_ps(_mm_sqrt_ps(vk), veps));
        _mm_storeu_ps(m + k, mk);
        _mm_storeu_ps(v + k, vk);
        _mm_storeu_ps(p + k, _mm_sub_ps(_mm_loadu_ps(p + k), st));
    }
#endif
    for (; k < np; k++) {
        const float gk = g[k];
        m[k] = ae__b1 * m[k] + c1 * gk;
        v[k] = ae__b2 * v[k] + c2 * gk * gk;
        p[k] -= lr_t * m[k] / (sqrtf(v[k]) + ae__eps);
    }
}

/* One mini-batch of m rows: gradients over all chunks, then one Adam step.
 * Returns the summed per-row MSE of the batch before the update. */
static double ae__step(ae__ctx_t *c, const float *X, size_t d, const size_t *idx, size_t m,
                       float lr)
{
    const float scale = 2.0f / (float)(m * d);
    memset(c->grad, 0, c->net->n_params * sizeof *c->grad);
    double loss = 0.0;
    size_t s = 0;
    for (; m - s >= AE_WIDE; s += AE_WIDE)
        loss += ae__chunk_wide(c, X, d, idx + s, AE_WIDE, scale);
    for (; s < m; s += AE_LANES)
        loss += ae__chunk_narrow(c, X, d, idx + s, m - s < AE_LANES ? m - s : AE_LANES, scale);
    if (c->l2 > 0.0f) {
        for (size_t l = 0; l < c->net->n_layers; l++) {
            const size_t nw = (size_t)c->net->layers[l].n_in * c->net->layers[l].n_out;
            const float *w = c->net->params + c->off[l];
            float *gw = c->grad + c->off[l];
            for (size_t k = 0; k < nw; k++)
                gw[k] += c->l2 * w[k];
        }
    }
    ae__adam(c, lr);
    return loss / (double)d;
}

static void ae__progress(FILE *f, unsigned ep, unsigned total, double loss, int done)
{
    enum { W = 30 };
    char bar[W + 1];
    const unsigned fill = (unsigned)(((unsigned long long)ep * W) / (total ? total : 1u));
    for (unsigned k = 0; k < W; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[W] = '\0';
    fprintf(f, "\r[%s] epoch %u/%u loss %-12.6g", bar, ep, total, loss);
    if (done)
        fputc('\n', f);
    fflush(f);
}

static int ae__check(const float *X, size_t n, size_t d, const vgh_ae_cfg_t *cfg, char *err,
                     size_t errlen)
{
    if (X == NULL || cfg == NULL) {
        ae__err(err, errlen, "X and cfg must not be NULL");
        return -1;
    }
    if (n == 0) {
        ae__err(err, errlen, "no training rows (n == 0)");
        return -1;
    }
    if (d == 0 || d > VG_MAX_UNITS) {
        ae__err(err, errlen, "d = %zu features; must be 1..%d", d, VG_MAX_UNITS);
        return -1;
    }
    if (cfg->n_hidden > VG_MAX_LAYERS - 1) {
        ae__err(err, errlen, "%zu hidden layers; at most %d", cfg->n_hidden, VG_MAX_LAYERS - 1);
        return -1;
    }
    if (cfg->n_hidden > 0 && cfg->hidden == NULL) {
        ae__err(err, errlen, "hidden is NULL but n_hidden = %zu", cfg->n_hidden);
        return -1;
    }
    for (size_t k = 0; k < cfg->n_hidden; k++) {
        if (cfg->hidden[k] == 0 || cfg->hidden[k] > VG_MAX_UNITS) {
            ae__err(err, errlen, "hidden[%zu] = %u units; must be 1..%d", k, cfg->hidden[k],
                    VG_MAX_UNITS);
            return -1;
        }
    }
    if (cfg->act_hidden > VG_ACT_TANH) {
        ae__err(err, errlen, "act_hidden = %u is not a vg_act_t", cfg->act_hidden);
        return -1;
    }
    if (cfg->batch == 0) {
        ae__err(err, errlen, "batch must be >= 1");
        return -1;
    }
    if (!(cfg->lr > 0.0f) || !isfinite(cfg->lr)) {
        ae__err(err, errlen, "lr must be finite and > 0");
        return -1;
    }
    if (!(cfg->l2 >= 0.0f) || !isfinite(cfg->l2)) {
        ae__err(err, errlen, "l2 must be finite and >= 0");
        return -1;
    }
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            if (!isfinite(X[r * d + j])) {
                ae__err(err, errlen, "X[row %zu][col %zu] is not finite", r, j);
                return -1;
            }
    return 0;
}

static void ae__init(vgh_net_t *net, vgh_rng_t *rng)
{
    float *p = net->params;
    for (unsigned l = 0; l < net->n_layers; l++) {
        const size_t n_in = net->layers[l].n_in, n_out = net->layers[l].n_out;
        /* Glorot-uniform, bound sqrt(6 / (n_in + n_out)), sqrt(2 / ...) for sigmoid layers
         * (as sklearn's MLP). He init (sqrt(6 / n_in)) was tried for ReLU: it blows up the
         * layer after a narrow bottleneck and reached a clearly worse loss in equal epochs. */
        const double gain = net->layers[l].act == VG_ACT_SIGMOID ? 2.0 : 6.0;
        const double bound = sqrt(gain / (double)(n_in + n_out));
        for (size_t k = 0; k < n_in * n_out; k++)
            *p++ = (float)((2.0 * vgh_rng_uniform(rng) - 1.0) * bound);
        for (size_t k = 0; k < n_out; k++)
            *p++ = 0.0f;
    }
}

int vgh_ae_train(const float *X, size_t n, size_t d, const vgh_ae_cfg_t *cfg, vgh_net_t *net,
                 char *err, size_t errlen)
{
    if (net == NULL) {
        ae__err(err, errlen, "net must not be NULL");
        return -1;
    }
    memset(net, 0, sizeof *net);
    if (ae__check(X, n, d, cfg, err, errlen) != 0)
        return -1;

    /* Shapes: d -> hidden[0] -> ... -> hidden[nh-1] -> d. */
    const size_t L = cfg->n_hidden + 1;
    const size_t bs = cfg->batch < n ? cfg->batch : n;
    ae__ctx_t c;
    memset(&c, 0, sizeof c);
    size_t width_in = d, n_params = 0, act_floats = d * AE_WIDE;
    net->n_layers = (uint16_t)L;
    for (size_t l = 0; l < L; l++) {
        const size_t width_out = l + 1 < L ? cfg->hidden[l] : d;
        net->layers[l].n_in = (uint16_t)width_in;
        net->layers[l].n_out = (uint16_t)width_out;
        net->layers[l].act = (uint8_t)(l + 1 < L ? cfg->act_hidden : VG_ACT_LINEAR);
        c.off[l] = n_params;
        n_params += width_out * width_in + width_out;
        act_floats += width_out * AE_WIDE;
        width_in = width_out;
    }
    net->n_params = n_params;

    net->params = malloc(n_params * sizeof *net->params);
    float *work = calloc(3 * n_params + act_floats + 2 * VG_MAX_UNITS * AE_WIDE, sizeof *work);
    size_t *perm = malloc(n * sizeof *perm);
    if (net->params == NULL || work == NULL || perm == NULL) {
        free(work);
        free(perm);
        vgh_net_free(net);
        ae__err(err, errlen, "out of memory (%zu parameters, %zu rows)", n_params, n);
        return -1;
    }
    c.net = net;
    c.grad = work;
    c.m = work + n_params;
    c.v = work + 2 * n_params;
    float *a = work + 3 * n_params;
    c.act[0] = a;
    a += d * AE_WIDE;
    for (size_t l = 0; l < L; l++) {
        c.act[l + 1] = a;
        a += (size_t)net->layers[l].n_out * AE_WIDE;
    }
    c.delta[0] = a;
    c.delta[1] = a + VG_MAX_UNITS * AE_WIDE;
    c.l2 = cfg->l2;
    c.b1t = 1.0;
    c.b2t = 1.0;

    vgh_rng_t rng;
    vgh_rng_seed(&rng, cfg->seed);
    ae__init(net, &rng);
    for (size_t r = 0; r < n; r++)
        perm[r] = r;

    double best = INFINITY;
    unsigned stall = 0;
    for (unsigned ep = 1; ep <= cfg->epochs; ep++) {
        for (size_t r = n - 1; r > 0; r--) { /* Fisher-Yates */
            const size_t k = (size_t)vgh_rng_below(&rng, (uint64_t)r + 1u);
            const size_t t = perm[r];
            perm[r] = perm[k];
            perm[k] = t;
        }
        double loss = 0.0;
        for (size_t s0 = 0; s0 < n; s0 += bs)
            loss += ae__step(&c, X, d, perm + s0, n - s0 < bs ? n - s0 : bs, cfg->lr);
        loss /= (double)n;
        int stop = 0;
        if (cfg->patience > 0) {
            if (loss < best * (1.0 - ae__stop_rel)) {
                best = loss;
                stall = 0;
            } else if (++stall >= cfg->patience) {
                stop = 1;
            }
        }
        if (cfg->progress != NULL) {
            const int last = stop || ep == cfg->epochs;
            /* Redraw at most ~100 times: whenever the whole percentage changes. */
            if (last || ep == 1 ||
                (ep * 100ull) / cfg->epochs != ((ep - 1u) * 100ull) / cfg->epochs)
                ae__progress(cfg->progress, ep, cfg->epochs, loss, last);
        }
        if (stop)
            break;
    }
    free(work);
    free(perm);
    return 0;
}
