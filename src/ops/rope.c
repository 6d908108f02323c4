/* ops/rope.c: rotary position embeddings (Su et al. 2021) in the
 * rotate-half pairing of Hugging Face's LLaMA (rotate_half,
 * apply_rotary_pos_emb). x (B, T, C) holds NH heads of hs = C / NH (hs
 * even) side by side; in each head, dim i pairs with i + hs/2 and the pair
 * turns by the angle a = (pos0 + t) * base^(-2i / hs), i < hs/2:
 *   y_i        = x_i cos a - x_{i+hs/2} sin a,
 *   y_{i+hs/2} = x_{i+hs/2} cos a + x_i sin a.
 * Backward turns the gradient back by -a (a rotation's inverse is its
 * transpose). The cos / sin table (T, hs/2) is computed in double once
 * per node and saved. Threaded over the B T rows. */
#include "ops.h"

LIGO__OP(ROPE, "rope", 1, 0);

typedef struct ligo__rope_param {
    int64_t n_head, pos0;
    float base;
    float *cs; /* (T, hs/2) cos, then (T, hs/2) sin, saved by forward */
} ligo__rope_param;

LIGO__PRIV ligo_status ligo__shape_ROPE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    const ligo__rope_param *p = (const ligo__rope_param *)a->param;
    int64_t C;
    if (x->ndim != 3) return ligo__bad(ctx, LIGO_ESHAPE, "rope", "x must be (B, T, C), got %s%s", x, NULL);
    C = x->shape[2];
    if (p->n_head < 1 || C % p->n_head != 0 || (C / p->n_head) % 2 != 0)
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_rope: %lld heads do not split C = %lld into heads of even size",
                              (long long)p->n_head, (long long)C);
    if (!(p->base > 0.0f) || !isfinite(p->base))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_rope: base is %g (want a finite base > 0)", (double)p->base);
    if (p->pos0 < 0 || p->pos0 > ((int64_t)1 << 40))
        return ligo_set_error(ctx, LIGO_ERANGE, "ligo_rope: pos0 is %lld (want 0 to 2^40)", (long long)p->pos0);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}

typedef struct ligo__rope_job {
    const float *src; /* forward: x; backward: dy */
    float *dst;       /* forward: y; backward: dx */
    const float *cs;
    int64_t R, T, C, hs;
    float sign;       /* +1 forward, -1 backward (the inverse rotation) */
    int add;          /* backward into a gradient that holds something: add */
} ligo__rope_job;

static void ligo__rope_task(void *arg, int ith, int nth) {
    const ligo__rope_job *j = (const ligo__rope_job *)arg;
    int64_t half = j->hs / 2, r, h, i, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) {
        int64_t t = r % j->T;
        const float *co = j->cs + t * half, *si = j->cs + (j->T + t) * half;
        for (h = 0; h < j->C; h += j->hs) {
            const float *u = j->src + r * j->C + h;
            float *o = j->dst + r * j->C + h;
            for (i = 0; i < half; i++) {
                float s = j->sign * si[i], a = u[i], b = u[i + half];
                float y0 = a * co[i] - b * s, y1 = b * co[i] + a * s;
                o[i] = j->add ? o[i] + y0 : y0;
                o[i + half] = j->add ? o[i + half] + y1 : y1;
            }
        }
    }
}

static void ligo__rope_run(ligo_ctx *ctx, ligo_tensor *out, const float *src, float *dst, float sign, int add) {
    const ligo__rope_param *p = (const ligo__rope_param *)out->param;
    ligo__rope_job j;
    j.src = src;
    j.dst = dst;
    j.cs = p->cs;
    j.T = out->shape[1];
    j.C = out->shape[2];
    j.R = out->shape[0] * j.T;
    j.hs = j.C / p->n_head;
    j.sign = sign;
    j.add = add;
    ligo_parallel_for(ctx, ligo__rope_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
}

/* FLOPs: 3 per element each way. */
LIGO__PRIV void ligo__fwd_ROPE(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__rope_param *p = (ligo__rope_param *)out->param;
    int64_t T = out->shape[1], hs = out->shape[2] / p->n_head, half = hs / 2, t, i;
    p->cs = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(2 * T * half) * sizeof(float), "scratch", 0);
    if (!p->cs) return;
    for (i = 0; i < half; i++) {
        double f = pow((double)p->base, -2.0 * (double)i / (double)hs);
        for (t = 0; t < T; t++) {
            double a = (double)(p->pos0 + t) * f;
            p->cs[t * half + i] = (float)cos(a);
            p->cs[(T + t) * half + i] = (float)sin(a);
        }
    }
    ligo__rope_run(ctx, out, out->src[0]->data, out->data, 1.0f, 0);
    ligo_flops_add(ctx, 3.0 * (double)out->n, 0.0);
}

LIGO__PRIV void ligo__bwd_ROPE(ligo_ctx *ctx, ligo_tensor *out) {
    int fresh;
    float *dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
    if (!dx) return;
    ligo__rope_run(ctx, out, out->grad, dx, -1.0f, !fresh);
    ligo_flops_add(ctx, 0.0, 3.0 * (double)out->n);
}

/* Rotary position embeddings, as Hugging Face's LLaMA (rotate_half): x
 * (B, T, C) holds n_head heads of hs = C / n_head (even) dims; in each
 * head, dim i and i + hs/2 (i < hs/2) turn by the angle
 * (pos0 + t) * base^(-2i / hs) at position t -> x's shape. base > 0
 * (LLaMA: 10000); pos0 >= 0 is the first position (a cache's length when
 * decoding). Apply it to the queries and the keys before the scores. */
LIGO_API ligo_tensor *ligo_rope(ligo_ctx *ctx, ligo_tensor *x, int64_t n_head, float base, int64_t pos0) {
    ligo__rope_param p;
    ligo__args a;
    p.n_head = n_head;
    p.pos0 = pos0;
    p.base = base;
    p.cs = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_ROPE, &a);
}

#ifdef LIGO_OP_TESTS
/* i0 heads, i1 pos0, ids[0] base */
static ligo_tensor *ligo__rope_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_rope(ctx, in[0], c->i0, (float)c->ids[0], c->i1);
}

/* every pair turned in float64 */
static void ligo__rope_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    const ligo_tensor *x = in[0];
    int64_t T = x->shape[1], C = x->shape[2], hs = C / c->i0, half = hs / 2, r, h, i;
    for (r = 0; r < x->n / C; r++)
        for (h = 0; h < C; h += hs)
            for (i = 0; i < half; i++) {
                double a = (double)(c->i1 + r % T) * pow((double)c->ids[0], -2.0 * (double)i / (double)hs);
                double u = x->data[r * C + h + i], v = x->data[r * C + h + i + half];
                out[r * C + h + i] = u * cos(a) - v * sin(a);
                out[r * C + h + i + half] = v * cos(a) + u * sin(a);
            }
}

LIGO__PRIV int ligo__cases_ROPE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "rope", .run = ligo__rope_case, .n_in = 1, .in = {{3, {2, 4, 8}, 1.0f}}, .i0 = 2, .i1 = 3,
         .ids = {10000}, .ref = ligo__rope_ref, .ref_tol = 1e-6},
        {.name = "rope 3 heads", .run = ligo__rope_case, .n_in = 1, .in = {{3, {1, 7, 12}, 1.0f}}, .i0 = 3, .i1 = 0,
         .ids = {100}, .ref = ligo__rope_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
