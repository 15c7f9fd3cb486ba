/* SPDX-License-Identifier: MIT */
/* Unit tests of host/vigil/train_ae.c: forward pass, training behaviour, errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rng.h"
#include "train_ae.h"

#define SEED 20240611u
/* |a - b| <= tol in double (cmocka's assert_float_equal narrows to float). */
#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* n x d matrix of N(0, 1) values from vgh_rng (seed printed for reproduction). */
static float *gauss(size_t n, size_t d, uint64_t seed)
{
    float *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    vgh_rng_t r;
    vgh_rng_seed(&r, seed);
    for (size_t k = 0; k < n * d; k++)
        x[k] = (float)vgh_rng_normal(&r);
    return x;
}

static double mean_error(const vgh_net_t *net, const float *X, size_t n, size_t d)
{
    float scratch[2 * VG_MAX_UNITS];
    double e = 0.0;
    for (size_t r = 0; r < n; r++)
        e += vgh_ae_error(net, X + r * d, scratch);
    return e / (double)n;
}

/* ---- forward pass against hand-computed values ---------------------------------- */

static void set_layer(vgh_net_t *net, unsigned l, uint16_t n_in, uint16_t n_out, unsigned act)
{
    net->layers[l].n_in = n_in;
    net->layers[l].n_out = n_out;
    net->layers[l].act = (uint8_t)act;
}

static void test_forward_hand(void **state)
{
    (void)state;
    /* 2 -> 2 (ReLU) -> 1 (linear). W1 = [[1,-1],[0.5,2]], b1 = [0,-1]; W2 = [[1,1]], b2 = .5
     * x = [2,1]: z1 = [1, 2] -> relu [1, 2]; y = 1 + 2 + .5 = 3.5
     * x = [-2,1]: z1 = [-3, -1] -> relu [0, 0]; y = .5 */
    float params[] = {1.0f, -1.0f, 0.5f, 2.0f, 0.0f, -1.0f, 1.0f, 1.0f, 0.5f};
    vgh_net_t net;
    memset(&net, 0, sizeof net);
    net.n_layers = 2;
    set_layer(&net, 0, 2, 2, VG_ACT_RELU);
    set_layer(&net, 1, 2, 1, VG_ACT_LINEAR);
    net.params = params;
    net.n_params = 9;
    float scratch[2 * VG_MAX_UNITS], y[1];
    vgh_net_forward(&net, (const float[]){2.0f, 1.0f}, y, scratch);
    assert_true(y[0] == 3.5f);
    vgh_net_forward(&net, (const float[]){-2.0f, 1.0f}, y, scratch);
    assert_true(y[0] == 0.5f);

    /* Same weights, sigmoid hidden: x = [1,1]: z1 = [0, 1.5]; h = [.5, 1/(1+e^-1.5)] */
    set_layer(&net, 0, 2, 2, VG_ACT_SIGMOID);
    vgh_net_forward(&net, (const float[]){1.0f, 1.0f}, y, scratch);
    assert_near(y[0], 0.5 + 1.0 / (1.0 + exp(-1.5)) + 0.5, 1e-6);
    /* tanh hidden: h = [0, tanh 1.5] */
    set_layer(&net, 0, 2, 2, VG_ACT_TANH);
    vgh_net_forward(&net, (const float[]){1.0f, 1.0f}, y, scratch);
    assert_near(y[0], tanh(1.5) + 0.5, 1e-6);
    /* linear hidden: h = [0, 1.5] */
    set_layer(&net, 0, 2, 2, VG_ACT_LINEAR);
    vgh_net_forward(&net, (const float[]){1.0f, 1.0f}, y, scratch);
    assert_true(y[0] == 2.0f);
}

static void test_error_hand(void **state)
{
    (void)state;
    /* One linear 2 -> 2 layer y = x + [1, 0]: error = (1^2 + 0^2) / 2 = 0.5 for every x. */
    float params[] = {1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f};
    vgh_net_t net;
    memset(&net, 0, sizeof net);
    net.n_layers = 1;
    set_layer(&net, 0, 2, 2, VG_ACT_LINEAR);
    net.params = params;
    net.n_params = 6;
    float scratch[2 * VG_MAX_UNITS];
    assert_true(vgh_ae_error(&net, (const float[]){3.0f, -7.0f}, scratch) == 0.5f);
    params[4] = 0.0f;
    assert_true(vgh_ae_error(&net, (const float[]){3.0f, -7.0f}, scratch) == 0.0f);
}

/* ---- training ---------------------------------------------------------------------- */

static void test_shapes_and_layout(void **state)
{
    (void)state;
    const unsigned hidden[] = {8, 3, 8};
    vgh_ae_cfg_t cfg;
    vgh_ae_defaults(&cfg);
    assert_int_equal(cfg.epochs, 200);
    assert_int_equal(cfg.batch, 32);
    assert_int_equal(cfg.act_hidden, VG_ACT_RELU);
    assert_near(cfg.lr, 1e-3, 1e-9);
    cfg.hidden = hidden;
    cfg.n_hidden = 3;
    cfg.epochs = 2;
    float *X = gauss(50, 5, SEED);
    vgh_net_t net;
    char err[128];
    assert_int_equal(vgh_ae_train(X, 50, 5, &cfg, &net, err, sizeof err), 0);
    assert_int_equal(net.n_layers, 4);
    const unsigned w[] = {5, 8, 3, 8, 5};
    size_t np = 0;
    for (unsigned l = 0; l < 4; l++) {
        assert_int_equal(net.layers[l].n_in, w[l]);
        assert_int_equal(net.layers[l].n_out, w[l + 1]);
        assert_int_equal(net.layers[l].act, l < 3 ? VG_ACT_RELU : VG_ACT_LINEAR);
        np += w[l] * w[l + 1] + w[l + 1];
    }
    assert_int_equal(net.n_params, np);
    for (size_t k = 0; k < np; k++)
        assert_true(isfinite(net.params[k]));
    vgh_net_free(&net);
    assert_null(net.params);
    vgh_net_free(&net); /* idempotent */
    vgh_net_free(NULL);
    free(X);
}

static void test_loss_decreases(void **state)
{
    (void)state;
    /* 4-D data with a 2-D latent structure: a 2-unit bottleneck can fit it well. */
    const size_t n = 301, d = 4;
    float *X = gauss(n, d, SEED);
    for (size_t r = 0; r < n; r++) {
        X[r * d + 2] = 0.5f * X[r * d] - X[r * d + 1];
        X[r * d + 3] = 0.25f * X[r * d] + 0.75f * X[r * d + 1];
    }
    const unsigned hidden[] = {16, 2, 16};
    vgh_ae_cfg_t cfg;
    vgh_ae_defaults(&cfg);
    cfg.hidden = hidden;
    cfg.n_hidden = 3;
    cfg.seed = SEED;
    double prev = INFINITY;
    const unsigned epochs[] = {0, 5, 50, 200};
    for (unsigned k = 0; k < 4; k++) {
        vgh_net_t net;
        cfg.epochs = epochs[k];
        assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, NULL, 0), 0);
        const double e = mean_error(&net, X, n, d);
        print_message("seed %u epochs %3u: mean error %.6f\n", SEED, epochs[k], e);
        assert_true(e < prev);
        prev = e;
        vgh_net_free(&net);
    }
    assert_true(prev < 0.02);
    free(X);
}

static void test_deterministic(void **state)
{
    (void)state;
    const size_t n = 77, d = 6; /* n, batch chosen so batches and chunks have padding */
    float *X = gauss(n, d, SEED + 1);
    const unsigned hidden[] = {5, 2, 5};
    vgh_ae_cfg_t cfg;
    vgh_ae_defaults(&cfg);
    cfg.hidden = hidden;
    cfg.n_hidden = 3;
    cfg.epochs = 7;
    cfg.batch = 45;
    cfg.seed = 99;
    for (unsigned act = VG_ACT_LINEAR; act <= VG_ACT_TANH; act++) {
        vgh_net_t a, b, c;
        cfg.act_hidden = act;
        cfg.seed = 99;
        assert_int_equal(vgh_ae_train(X, n, d, &cfg, &a, NULL, 0), 0);
        assert_int_equal(vgh_ae_train(X, n, d, &cfg, &b, NULL, 0), 0);
        cfg.seed = 100;
        assert_int_equal(vgh_ae_train(X, n, d, &cfg, &c, NULL, 0), 0);
        assert_int_equal(a.n_params, b.n_params);
        assert_memory_equal(a.params, b.params, a.n_params * sizeof *a.params);
        assert_memory_equal(a.layers, b.layers, sizeof a.layers);
        assert_memory_not_equal(a.params, c.params, a.n_params * sizeof *a.params);
        vgh_net_free(&a);
        vgh_net_free(&b);
        vgh_net_free(&c);
    }
    free(X);
}

static void test_line(void **state)
{
    (void)state;
    /* Points on the line y = 0.5 x (x in [-2, 2]); the AE must learn the line. */
    const size_t n = 512, d = 2;
    float *X = malloc(n * d * sizeof *X);
    assert_non_null(X);
    vgh_rng_t r;
    vgh_rng_seed(&r, SEED);
    for (size_t k = 0; k < n; k++) {
        const float t = (float)(4.0 * vgh_rng_uniform(&r) - 2.0);
        X[2 * k] = t;
        X[2 * k + 1] = 0.5f * t;
    }
    const unsigned hidden[] = {16, 1, 16};
    vgh_ae_cfg_t cfg;
    vgh_ae_defaults(&cfg);
    cfg.hidden = hidden;
    cfg.n_hidden = 3;
    cfg.seed = SEED;
    cfg.epochs = 300;
    vgh_net_t net;
    assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, NULL, 0), 0);
    float scratch[2 * VG_MAX_UNITS];
    double on = 0.0, off = 0.0;
    for (int k = -15; k <= 15; k++) {
        const float t = (float)k / 10.0f;
        on += vgh_ae_error(&net, (const float[]){t, 0.5f * t}, scratch);
        off += vgh_ae_error(&net, (const float[]){t - 0.5f, 0.5f * t + 1.0f}, scratch);
    }
    print_message("line: on-line error %.6f, off-line %.6f\n", on / 31, off / 31);
    assert_true(on / 31 < 0.01);
    assert_true(on < 0.05 * off);
    vgh_net_free(&net);
    free(X);
}

/*
 * Reference trainer: plain per-sample backprop and Adam in double, reproducing the
 * documented init (Glorot-uniform in parameter order, zero biases) and shuffles
 * (Fisher-Yates from the same vgh_rng stream). The vectorised float trainer must agree
 * to float accuracy, which checks its gradients, chunking and padding.
 */
typedef struct {
    unsigned L, w[VG_MAX_LAYERS + 1], act;
} ref_shape_t;

static double ref_act(double x, unsigned act)
{
    switch (act) {
    case VG_ACT_RELU: return x > 0.0 ? x : 0.0;
    case VG_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case VG_ACT_TANH: return tanh(x);
    default: return x;
    }
}

static double ref_dact(double a, unsigned act)
{
    switch (act) {
    case VG_ACT_RELU: return a > 0.0 ? 1.0 : 0.0;
    case VG_ACT_SIGMOID: return a * (1.0 - a);
    case VG_ACT_TANH: return 1.0 - a * a;
    default: return 1.0;
    }
}

static void ref_train(const float *X, size_t n, const ref_shape_t *s, const vgh_ae_cfg_t *cfg,
                      double *p, size_t np)
{
    const size_t d = s->w[0];
    double *g = calloc(np, sizeof *g), *m = calloc(np, sizeof *m), *v = calloc(np, sizeof *v);
    size_t *perm = malloc(n * sizeof *perm);
    assert_non_null(g);
    assert_non_null(m);
    assert_non_null(v);
    assert_non_null(perm);
    vgh_rng_t r;
    vgh_rng_seed(&r, cfg->seed);
    size_t off[VG_MAX_LAYERS + 1];
    size_t q = 0;
    for (unsigned l = 0; l < s->L; l++) {
        off[l] = q;
        const unsigned act = l + 1 < s->L ? s->act : VG_ACT_LINEAR;
        const double bound =
            sqrt((act == VG_ACT_SIGMOID ? 2.0 : 6.0) / (double)(s->w[l] + s->w[l + 1]));
        for (size_t k = 0; k < (size_t)s->w[l] * s->w[l + 1]; k++)
            p[q++] = (double)(float)((2.0 * vgh_rng_uniform(&r) - 1.0) * bound);
        for (size_t k = 0; k < s->w[l + 1]; k++)
            p[q++] = 0.0;
    }
    assert_int_equal(q, np);
    for (size_t k = 0; k < n; k++)
        perm[k] = k;
    const size_t bs = cfg->batch < n ? cfg->batch : n;
    double b1t = 1.0, b2t = 1.0;
    double a[VG_MAX_LAYERS + 1][VG_MAX_UNITS], dl[VG_MAX_UNITS], dn[VG_MAX_UNITS];
    for (unsigned ep = 0; ep < cfg->epochs; ep++) {
        for (size_t k = n - 1; k > 0; k--) {
            const size_t j = (size_t)vgh_rng_below(&r, (uint64_t)k + 1u);
            const size_t t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        for (size_t s0 = 0; s0 < n; s0 += bs) {
            const size_t mb = n - s0 < bs ? n - s0 : bs;
            memset(g, 0, np * sizeof *g);
            for (size_t e = 0; e < mb; e++) {
                const float *x = X + perm[s0 + e] * d;
                for (size_t j = 0; j < d; j++)
                    a[0][j] = x[j];
                for (unsigned l = 0; l < s->L; l++) {
                    const unsigned act = l + 1 < s->L ? s->act : VG_ACT_LINEAR;
                    const double *W = p + off[l], *B = W + s->w[l] * s->w[l + 1];
                    for (unsigned o = 0; o < s->w[l + 1]; o++) {
                        double z = B[o];
                        for (unsigned i = 0; i < s->w[l]; i++)
                            z += W[o * s->w[l] + i] * a[l][i];
                        a[l + 1][o] = ref_act(z, act);
                    }
                }
                for (size_t j = 0; j < d; j++)
                    dl[j] = 2.0 / (double)(mb * d) * (a[s->L][j] - x[j]);
                for (unsigned l = s->L; l-- > 0;) {
                    const double *W = p + off[l];
                    double *gW = g + off[l], *gB = gW + s->w[l] * s->w[l + 1];
                    for (unsigned o = 0; o < s->w[l + 1]; o++) {
                        for (unsigned i = 0; i < s->w[l]; i++)
                            gW[o * s->w[l] + i] += dl[o] * a[l][i];
                        gB[o] += dl[o];
                    }
                    if (l == 0)
                        break;
                    for (unsigned i = 0; i < s->w[l]; i++) {
                        double acc = 0.0;
                        for (unsigned o = 0; o < s->w[l + 1]; o++)
                            acc += W[o * s->w[l] + i] * dl[o];
                        dn[i] = acc * ref_dact(a[l][i], s->act);
                    }
                    memcpy(dl, dn, s->w[l] * sizeof *dl);
                }
            }
            for (unsigned l = 0; l < s->L; l++)
                for (size_t k = 0; k < (size_t)s->w[l] * s->w[l + 1]; k++)
                    g[off[l] + k] += (double)cfg->l2 * p[off[l] + k];
            b1t *= 0.9;
            b2t *= 0.999;
            const double lr_t = cfg->lr * sqrt(1.0 - b2t) / (1.0 - b1t);
            for (size_t k = 0; k < np; k++) {
                m[k] = 0.9 * m[k] + 0.1 * g[k];
                v[k] = 0.999 * v[k] + 0.001 * g[k] * g[k];
                p[k] -= lr_t * m[k] / (sqrt(v[k]) + 1e-8);
            }
        }
    }
    free(g);
    free(m);
    free(v);
    free(perm);
}

static void test_matches_reference(void **state)
{
    (void)state;
    const size_t n = 37, d = 5;
    float *X = gauss(n, d, SEED + 2);
    const unsigned hidden[] = {6, 3, 6};
    const unsigned batches[] = {16, 37, 100, 5};
    for (unsigned act = VG_ACT_LINEAR; act <= VG_ACT_TANH; act++) {
        for (unsigned bi = 0; bi < 4; bi++) {
            vgh_ae_cfg_t cfg;
            vgh_ae_defaults(&cfg);
            cfg.hidden = hidden;
            cfg.n_hidden = 3;
            cfg.act_hidden = act;
            cfg.epochs = 3;
            cfg.batch = batches[bi];
            cfg.lr = 1e-2f;
            cfg.seed = SEED + act;
            cfg.l2 = bi == 1 ? 0.05f : 0.0f;
            vgh_net_t net;
            assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, NULL, 0), 0);
            const ref_shape_t s = {4, {5, 6, 3, 6, 5}, act};
            double *p = malloc(net.n_params * sizeof *p);
            assert_non_null(p);
            ref_train(X, n, &s, &cfg, p, net.n_params);
            double worst = 0.0;
            for (size_t k = 0; k < net.n_params; k++) {
                const double e = fabs((double)net.params[k] - p[k]);
                worst = e > worst ? e : worst;
            }
            if (worst > 1e-5)
                print_message("act %u batch %u: max |float - reference| = %g\n", act, batches[bi],
                              worst);
            assert_true(worst <= 1e-5);
            free(p);
            vgh_net_free(&net);
        }
    }
    free(X);
}

static void test_l2_shrinks_weights(void **state)
{
    (void)state;
    const size_t n = 64, d = 3;
    float *X = gauss(n, d, SEED + 3);
    const unsigned hidden[] = {4};
    vgh_ae_cfg_t cfg;
    vgh_ae_defaults(&cfg);
    cfg.hidden = hidden;
    cfg.n_hidden = 1;
    cfg.epochs = 100;
    cfg.lr = 1e-2f;
    vgh_net_t a, b;
    assert_int_equal(vgh_ae_train(X, n, d, &cfg, &a, NULL, 0), 0);
    cfg.l2 = 1.0f;
    assert_int_equal(vgh_ae_train(X, n, d, &cfg, &b, NULL, 0), 0);
    double na = 0.0, nb = 0.0;
    for (size_t k = 0; k < 12; k++) { /* first layer's weights */
        na += (double)a.params[k] * a.params[k];
        nb += (double)b.params[k] * b.params[k];
    }
    assert_true(nb < 0.5 * na);
    vgh_net_free(&a);
    vgh_net_free(&b);
    free(X);
}

static char *run_progress(unsigned epochs, unsigned patience, float lr)
{
    const size_t n = 40, d = 3;
    float *X = gauss(n, d, SEED + 4);
    const unsigned hidden[] = {2};
    vgh_ae_cfg_t cfg;
    vgh_ae_defaults(&cfg);
    cfg.hidden = hidden;
    cfg.n_hidden = 1;
    cfg.epochs = epochs;
    cfg.patience = patience;
    cfg.lr = lr;
    FILE *f = tmpfile();
    assert_non_null(f);
    cfg.progress = f;
    vgh_net_t net;
    assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, NULL, 0), 0);
    vgh_net_free(&net);
    free(X);
    const long len = ftell(f);
    assert_true(len > 0);
    char *buf = calloc((size_t)len + 1, 1);
    assert_non_null(buf);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return buf;
}

static void test_progress_and_early_stop(void **state)
{
    (void)state;
    char *s = run_progress(5, 0, 1e-3f);
    assert_true(s[0] == '\r');
    assert_non_null(strstr(s, "epoch 5/5 loss "));
    assert_true(strchr(s, '\n') == s + strlen(s) - 1); /* one newline, at the end */
    free(s);
    /* lr so small the loss cannot improve by 1e-4 relative: epoch 1 sets the best, then
     * 3 stalled epochs stop training at epoch 4. */
    s = run_progress(200, 3, 1e-9f);
    assert_non_null(strstr(s, "epoch 4/200"));
    assert_null(strstr(s, "epoch 5/200"));
    assert_true(s[strlen(s) - 1] == '\n');
    free(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    const size_t n = 10, d = 3;
    float *X = gauss(n, d, SEED + 5);
    const unsigned ok[] = {2}, zero[] = {0}, wide[] = {VG_MAX_UNITS + 1};
    const unsigned many[VG_MAX_LAYERS] = {2, 2, 2, 2, 2, 2, 2, 2};
    vgh_ae_cfg_t cfg;
    vgh_net_t net;
    char err[160];
    float sentinel = 0.0f;
#define BAD(expr)                                                                                  \
    do {                                                                                           \
        vgh_ae_defaults(&cfg);                                                                     \
        cfg.hidden = ok;                                                                           \
        cfg.n_hidden = 1;                                                                          \
        cfg.epochs = 1;                                                                            \
        memset(err, 0, sizeof err);                                                                \
        net.params = &sentinel;                                                                    \
        expr;                                                                                      \
        assert_null(net.params);                                                                   \
        assert_true(err[0] != '\0');                                                               \
    } while (0)
    BAD(assert_int_equal(vgh_ae_train(NULL, n, d, &cfg, &net, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_ae_train(X, n, d, NULL, &net, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_ae_train(X, 0, d, &cfg, &net, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_ae_train(X, n, 0, &cfg, &net, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_ae_train(X, 1, VG_MAX_UNITS + 1, &cfg, &net, err, sizeof err), -1));
    BAD(cfg.hidden = zero; assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    BAD(cfg.hidden = wide; assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    BAD(cfg.hidden = NULL; assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    BAD(cfg.hidden = many; cfg.n_hidden = VG_MAX_LAYERS;
        assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    BAD(cfg.act_hidden = 4; assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    BAD(cfg.batch = 0; assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    BAD(cfg.lr = 0.0f; assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    BAD(cfg.lr = NAN; assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    BAD(cfg.l2 = -1.0f; assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, 160), -1));
    X[7 * d + 2] = INFINITY;
    BAD(assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, sizeof err), -1));
    assert_non_null(strstr(err, "row 7"));
    assert_non_null(strstr(err, "col 2"));
    X[7 * d + 2] = NAN;
    BAD(assert_int_equal(vgh_ae_train(X, n, d, &cfg, &net, err, sizeof err), -1));
    assert_non_null(strstr(err, "row 7"));
    X[7 * d + 2] = 0.0f;
    /* NULL net, NULL or tiny err buffers are fine */
    assert_int_equal(vgh_ae_train(X, n, d, &cfg, NULL, err, sizeof err), -1);
    assert_int_equal(vgh_ae_train(X, 0, d, &cfg, &net, NULL, 0), -1);
    assert_int_equal(vgh_ae_train(X, 0, d, &cfg, &net, err, 1), -1);
    assert_true(err[0] == '\0');
#undef BAD
    /* Limits themselves are accepted: d = VG_MAX_UNITS, width VG_MAX_UNITS, all layers. */
    const unsigned maxw[VG_MAX_LAYERS - 1] = {VG_MAX_UNITS, 1, 2, 3, 4, 5, VG_MAX_UNITS};
    float *Y = gauss(3, VG_MAX_UNITS, SEED + 6);
    vgh_ae_defaults(&cfg);
    cfg.hidden = maxw;
    cfg.n_hidden = VG_MAX_LAYERS - 1;
    cfg.epochs = 1;
    assert_int_equal(vgh_ae_train(Y, 3, VG_MAX_UNITS, &cfg, &net, err, sizeof err), 0);
    assert_int_equal(net.n_layers, VG_MAX_LAYERS);
    vgh_net_free(&net);
    /* No hidden layer: one linear d -> d layer. n = 1. */
    cfg.n_hidden = 0;
    cfg.hidden = NULL;
    assert_int_equal(vgh_ae_train(Y, 1, VG_MAX_UNITS, &cfg, &net, err, sizeof err), 0);
    assert_int_equal(net.n_layers, 1);
    assert_int_equal(net.n_params, VG_MAX_UNITS * VG_MAX_UNITS + VG_MAX_UNITS);
    vgh_net_free(&net);
    free(Y);
    free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_hand),
        cmocka_unit_test(test_error_hand),
        cmocka_unit_test(test_shapes_and_layout),
        cmocka_unit_test(test_loss_decreases),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_l2_shrinks_weights),
        cmocka_unit_test(test_progress_and_early_stop),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
