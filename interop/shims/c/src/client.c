/* The client role: one L1 session, the scenarios of spec/shim-contract.md, every response
 * checked (SHIM-VERIFY-001), one JSON result line (SHIM-RESULT-001). No retries: every
 * failure is visible. */
#include "json.h"
#include "plat.h"
#include "shim.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(_WIN32)
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#endif

typedef struct {
    uint64_t requests, items, verified;
    uint32_t effective_depth;
    bool have_err;
    shim_err_t err;
    char failure[256];
    bool connected;
    link_info_t info;
    /* bench (SHIM-BENCH-001) */
    bool bench;
    double seconds, client_cpu_s, p50_us, p95_us, p99_us;
} outcome_t;

static const shim_args_t *g_a;
static plat_mutex_t g_print_lock;
static int g_printed;
static volatile int g_connect_done;
static uint64_t g_start_ms;
static uint32_t g_attach_failures;
static shim_err_t g_attach_err;

void link_note_attach_failure(const shim_err_t *e) {
    g_attach_failures++;
    g_attach_err = *e;
}

static bool expected(const shim_args_t *a, const outcome_t *o) {
    return o->have_err && ((o->err.kind && !strcmp(a->expect_error, o->err.kind)) ||
                           (o->err.rule && !strcmp(a->expect_error, o->err.rule)));
}

static uint64_t wanted_verified(const shim_args_t *a) {
    if (!strcmp(a->scenario, "connect")) return 0;
    if (!strcmp(a->scenario, "batch")) return a->count * a->items;
    if (!strcmp(a->scenario, "bench")) return 1;
    return a->count;
}

/* Prints the one result line (once, whoever comes first) and returns the exit code. */
static int finish(const shim_args_t *a, const outcome_t *o, const char *not_supported) {
    int code;
    if (not_supported) code = EXIT_UNSUPPORTED;
    else if (a->expect_error) code = expected(a, o) ? 0 : EXIT_FAILED;
    else if (o->have_err) code = o->err.exit_code ? o->err.exit_code : EXIT_FAILED;
    else if (o->failure[0] || o->verified < wanted_verified(a)) code = EXIT_FAILED;
    else if (!strcmp(a->scenario, "bench") && o->verified != o->items) code = EXIT_FAILED;
    else code = 0;

    jbuf_t b;
    jb_init(&b);
    jb_obj_begin(&b);
    jb_key(&b, "role"); jb_str(&b, "client");
    jb_key(&b, "ok"); jb_bool(&b, code == 0);
    jb_key(&b, "scenario"); jb_str(&b, a->scenario);
    jb_key(&b, "service_kind"); jb_str(&b, a->kind_name);
    jb_key(&b, "count"); jb_u64(&b, a->count);
    jb_key(&b, "requests"); jb_u64(&b, o->requests);
    jb_key(&b, "items"); jb_u64(&b, o->items);
    jb_key(&b, "verified"); jb_u64(&b, o->verified);
    jb_key(&b, "effective_depth"); jb_u64(&b, o->effective_depth);
    if (o->connected) {
        jb_key(&b, "profile"); jb_u64(&b, o->info.profile);
        jb_key(&b, "session_id"); jb_u64(&b, o->info.session_id);
        jb_key(&b, "packet_size"); jb_u64(&b, o->info.packet_size);
        jb_key(&b, "agreed_max_request_payload"); jb_u64(&b, o->info.max_request_payload);
        jb_key(&b, "agreed_max_response_payload"); jb_u64(&b, o->info.max_response_payload);
    }
    jb_key(&b, "shm_attach_failures"); jb_u64(&b, g_attach_failures);
    if (g_attach_failures) {
        jb_key(&b, "shm_attach_error");
        jb_obj_begin(&b);
        jb_key(&b, "kind"); jb_str(&b, g_attach_err.kind);
        jb_key(&b, "requirement"); jb_str(&b, g_attach_err.requirement);
        jb_key(&b, "text"); jb_str(&b, g_attach_err.text);
        jb_obj_end(&b);
    }
    jb_key(&b, "elapsed_ms"); jb_u64(&b, plat_now_ms() - g_start_ms);
    jb_key(&b, "error");
    if (o->have_err) {
        jb_obj_begin(&b);
        jb_key(&b, "kind"); jb_str(&b, o->err.kind);
        jb_key(&b, "rule"); if (o->err.rule) jb_str(&b, o->err.rule); else jb_null(&b);
        jb_key(&b, "requirement"); jb_str(&b, o->err.requirement ? o->err.requirement : "");
        jb_key(&b, "text"); jb_str(&b, o->err.text);
        jb_obj_end(&b);
    } else {
        jb_null(&b);
    }
    if (o->bench) {
        double secs = o->seconds > 0 ? o->seconds : 1e-9;
        jb_key(&b, "duration_ms"); jb_u64(&b, a->duration_ms);
        jb_key(&b, "depth"); jb_u64(&b, a->depth);
        jb_key(&b, "batch_items"); jb_u64(&b, a->items ? a->items : 1);
        jb_key(&b, "seconds"); jb_f64(&b, o->seconds);
        jb_key(&b, "rate"); jb_f64(&b, (double)o->requests / secs);
        jb_key(&b, "items_rate"); jb_f64(&b, (double)o->items / secs);
        jb_key(&b, "p50_us"); jb_f64(&b, o->p50_us);
        jb_key(&b, "p95_us"); jb_f64(&b, o->p95_us);
        jb_key(&b, "p99_us"); jb_f64(&b, o->p99_us);
        jb_key(&b, "client_cpu_s");
        if (o->client_cpu_s >= 0) jb_f64(&b, o->client_cpu_s); else jb_null(&b);
    }
    jb_key(&b, "failure"); if (o->failure[0]) jb_str(&b, o->failure); else jb_null(&b);
    if (a->expect_error) { jb_key(&b, "expected_error"); jb_str(&b, a->expect_error); }
    if (not_supported) { jb_key(&b, "not_supported"); jb_str(&b, not_supported); }
    jb_key(&b, "implementation"); jb_str(&b, "netipc C library (" SHIM_API_REVISION ")");
    jb_obj_end(&b);

    plat_lock(&g_print_lock);
    if (!g_printed) {
        g_printed = 1;
        printf("%s\n", b.p);
        fflush(stdout);
    }
    plat_unlock(&g_print_lock);
    jb_free(&b);
    return code;
}

/* The library's connect has no deadline of its own: a server that never answers the HELLO
 * would hold the client forever, so a watchdog ends the run at --timeout-ms. */
static void *handshake_watchdog(void *arg) {
    (void)arg;
    uint64_t until = plat_now_ms() + g_a->timeout_ms;
    while (!g_connect_done && plat_now_ms() < until) plat_sleep_ms(5);
    if (g_connect_done) return NULL;
    outcome_t o;
    memset(&o, 0, sizeof(o));
    o.effective_depth = 1;
    o.have_err = true;
    err_set(&o.err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED,
            "no HELLO_ACK within %u ms", g_a->timeout_ms);
    int code = finish(g_a, &o, NULL);
    fflush(stderr);
#if defined(_WIN32)
    ExitProcess((UINT)code);
#else
    _exit(code);
#endif
    return NULL;
}

static nipc_header_t request_header(uint16_t code, uint64_t id) {
    nipc_header_t h;
    memset(&h, 0, sizeof(h));
    h.kind = NIPC_KIND_REQUEST;
    h.code = code;
    h.item_count = 1;
    h.message_id = id;
    return h;
}

static bool fail_req(outcome_t *o, int r) {
    if (r == -1) snprintf(o->failure, sizeof(o->failure), "this service kind has fixed-size requests");
    else snprintf(o->failure, sizeof(o->failure), "request encoding failed");
    return false;
}

static bool check_header(outcome_t *o, const nipc_header_t *h, uint16_t code, uint64_t id,
                         uint16_t flags, uint32_t items) {
    if (h->transport_status != NIPC_STATUS_OK) {
        snprintf(o->failure, sizeof(o->failure), "response status %u", h->transport_status);
        return false;
    }
    if (h->kind != NIPC_KIND_RESPONSE || h->code != code || h->message_id != id ||
        h->flags != flags || h->item_count != items) {
        snprintf(o->failure, sizeof(o->failure),
                 "response header kind %u code %u message_id %llu flags %u item_count %u; "
                 "expected code %u message_id %llu flags %u item_count %u",
                 h->kind, h->code, (unsigned long long)h->message_id, h->flags, h->item_count,
                 code, (unsigned long long)id, flags, items);
        return false;
    }
    return true;
}

static void sequential(shim_link_t *l, const snapshot_t *snap, size_t size, outcome_t *o) {
    uint16_t m = kind_method(g_a);
    for (uint64_t i = 0; i < g_a->count; i++) {
        uint8_t *req;
        size_t len;
        int r = wl_request(g_a, i, size, &req, &len);
        if (r != 0) { fail_req(o, r); return; }
        nipc_header_t h = request_header(m, i + 1);
        if (link_send(l, &h, req, len, &o->err) != 0) { free(req); o->have_err = true; return; }
        free(req);
        o->requests++;
        o->items++;
        nipc_header_t rh;
        const uint8_t *p;
        size_t n;
        if (link_recv(l, g_a->timeout_ms, NULL, &rh, &p, &n, &o->err) != 0) { o->have_err = true; return; }
        if (!check_header(o, &rh, m, i + 1, 0, 1)) return;
        char why[200];
        if (!wl_verify(g_a, snap, i, size, p, n, why, sizeof(why))) {
            snprintf(o->failure, sizeof(o->failure), "response %llu: %s", (unsigned long long)i, why);
            return;
        }
        o->verified++;
    }
}

static void batch(shim_link_t *l, const snapshot_t *snap, outcome_t *o) {
    uint16_t m = kind_method(g_a);
    uint32_t n = g_a->items;
    for (uint64_t r = 0; r < g_a->count; r++) {
        uint8_t **items = calloc(n ? n : 1, sizeof(*items));
        size_t *lens = calloc(n ? n : 1, sizeof(*lens));
        size_t total = (size_t)n * 8;
        bool ok = items && lens;
        for (uint32_t k = 0; ok && k < n; k++) {
            int rc = wl_request(g_a, r * n + k, 0, &items[k], &lens[k]);
            if (rc != 0) { fail_req(o, rc); ok = false; break; }
            total += nipc_align8(lens[k]);
        }
        uint8_t *buf = ok ? malloc(total + 8) : NULL;
        size_t len = 0;
        if (buf) {
            nipc_batch_builder_t b;
            nipc_batch_builder_init(&b, buf, total + 8, n);
            for (uint32_t k = 0; k < n; k++)
                if (nipc_batch_builder_add(&b, items[k], lens[k]) != NIPC_OK) ok = false;
            uint32_t cnt = 0;
            len = n ? nipc_batch_builder_finish(&b, &cnt) : 0;
        }
        for (uint32_t k = 0; items && k < n; k++) free(items[k]);
        free(items);
        free(lens);
        if (!ok || !buf) {
            free(buf);
            if (!o->failure[0]) snprintf(o->failure, sizeof(o->failure), "batch encoding failed");
            return;
        }
        nipc_header_t h = request_header(m, r + 1);
        h.flags = NIPC_FLAG_BATCH;
        h.item_count = n;
        int sr = link_send(l, &h, buf, len, &o->err);
        free(buf);
        if (sr != 0) { o->have_err = true; return; }
        o->requests++;
        o->items += n;
        nipc_header_t rh;
        const uint8_t *p;
        size_t pn;
        if (link_recv(l, g_a->timeout_ms, NULL, &rh, &p, &pn, &o->err) != 0) { o->have_err = true; return; }
        if (!check_header(o, &rh, m, r + 1, NIPC_FLAG_BATCH, n)) return;
        for (uint32_t k = 0; k < n; k++) {
            const void *ip;
            uint32_t il;
            nipc_error_t e = nipc_batch_item_get(p, pn, n, k, &ip, &il);
            char why[200];
            if (e != NIPC_OK) {
                snprintf(o->failure, sizeof(o->failure), "batch item %u does not decode (%d)", k, (int)e);
                return;
            }
            if (!wl_verify(g_a, snap, r * n + k, 0, ip, il, why, sizeof(why))) {
                snprintf(o->failure, sizeof(o->failure), "batch item %u: %s", k, why);
                return;
            }
            o->verified++;
        }
    }
}

static void pipeline(shim_link_t *l, const snapshot_t *snap, outcome_t *o) {
    uint16_t m = kind_method(g_a);
    uint32_t depth = g_a->depth ? g_a->depth : 1;
    if (link_is_shm(l)) depth = 1; /* SHM-ONEINFLIGHT-001 */
    o->effective_depth = depth;
    uint64_t next = 0, inflight = 0;
    uint8_t *seen = calloc(g_a->count ? g_a->count : 1, 1);
    if (!seen) { snprintf(o->failure, sizeof(o->failure), "out of memory"); return; }
    while (o->verified < g_a->count) {
        while (next < g_a->count && inflight < depth) {
            uint8_t *req;
            size_t len;
            int r = wl_request(g_a, next, 0, &req, &len);
            if (r != 0) { fail_req(o, r); free(seen); return; }
            nipc_header_t h = request_header(m, next + 1);
            int sr = link_send(l, &h, req, len, &o->err);
            free(req);
            if (sr != 0) { o->have_err = true; free(seen); return; }
            next++;
            inflight++;
            o->requests++;
            o->items++;
        }
        nipc_header_t rh;
        const uint8_t *p;
        size_t n;
        if (link_recv(l, g_a->timeout_ms, NULL, &rh, &p, &n, &o->err) != 0) {
            o->have_err = true;
            free(seen);
            return;
        }
        uint64_t id = rh.message_id;
        if (id == 0 || id > next || seen[id - 1]) {
            snprintf(o->failure, sizeof(o->failure), "pipelined response with message_id %llu was not in flight",
                     (unsigned long long)id);
            free(seen);
            return;
        }
        seen[id - 1] = 1;
        inflight--;
        char why[200];
        if (!check_header(o, &rh, m, id, 0, 1) ||
            !wl_verify(g_a, snap, id - 1, 0, p, n, why, sizeof(why))) {
            if (!o->failure[0])
                snprintf(o->failure, sizeof(o->failure), "pipelined response %llu: %s", (unsigned long long)id, why);
            free(seen);
            return;
        }
        o->verified++;
    }
    free(seen);
}

/* ---- bench (SHIM-BENCH-001) ---- */
#if !defined(_WIN32)

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void) {
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0) return -1;
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Nearest-rank percentile of sorted values. */
static double pct(const double *v, size_t n, double q) {
    if (!n) return 0;
    size_t rank = (size_t)(q * (double)n + 0.999999999);
    if (rank == 0) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1];
}

#define BENCH_DISTINCT 64

/* Builds request r of the bench: one item, or a batch of n items (request indexes r*n+k). */
static int bench_payload(const snapshot_t *snap, uint64_t r, uint32_t n, size_t size,
                         uint8_t **out, size_t *len, outcome_t *o) {
    (void)snap;
    if (n <= 1) {
        int rc = wl_request(g_a, r, size, out, len);
        if (rc != 0) fail_req(o, rc);
        return rc;
    }
    uint8_t *items[1024];
    size_t lens[1024];
    if (n > 1024) { snprintf(o->failure, sizeof(o->failure), "bench batches hold at most 1024 items"); return -2; }
    size_t total = (size_t)n * 8 + 8;
    for (uint32_t k = 0; k < n; k++) {
        int rc = wl_request(g_a, r * n + k, size, &items[k], &lens[k]);
        if (rc != 0) { for (uint32_t j = 0; j < k; j++) free(items[j]); fail_req(o, rc); return rc; }
        total += nipc_align8(lens[k]);
    }
    uint8_t *buf = malloc(total);
    int rc = buf ? 0 : -2;
    if (buf) {
        nipc_batch_builder_t b;
        nipc_batch_builder_init(&b, buf, total, n);
        for (uint32_t k = 0; k < n; k++)
            if (nipc_batch_builder_add(&b, items[k], lens[k]) != NIPC_OK) rc = -2;
        uint32_t cnt = 0;
        *len = nipc_batch_builder_finish(&b, &cnt);
    }
    for (uint32_t k = 0; k < n; k++) free(items[k]);
    if (rc != 0) { free(buf); snprintf(o->failure, sizeof(o->failure), "batch encoding failed"); return rc; }
    *out = buf;
    return 0;
}

/* For --duration-ms: up to --depth requests in flight (1 on SHM), each of --items items,
 * paced to --rate when it is not 0; every response verified. Requests are encoded before
 * the window opens. */
static void bench(shim_link_t *l, const snapshot_t *snap, size_t size, outcome_t *o) {
    uint16_t m = kind_method(g_a);
    uint32_t n = g_a->items ? g_a->items : 1;
    uint32_t depth = g_a->depth ? g_a->depth : 1;
    if (link_is_shm(l)) depth = 1; /* SHM-ONEINFLIGHT-001 */
    o->effective_depth = depth;
    o->bench = true;
    o->client_cpu_s = -1;
    uint8_t *pl[BENCH_DISTINCT] = {0};
    size_t pll[BENCH_DISTINCT] = {0};
    double *sent = calloc(depth, sizeof(double));
    uint64_t *slot_id = calloc(depth, sizeof(uint64_t)); /* message_id in the slot, 0 = free */
    size_t cap = 1 << 16, nlat = 0;
    double *lat = malloc(cap * sizeof(double));
    double cpu0 = cpu_s();
    if (!sent || !slot_id || !lat) { snprintf(o->failure, sizeof(o->failure), "out of memory"); goto out; }
    for (uint64_t r = 0; r < BENCH_DISTINCT; r++)
        if (bench_payload(snap, r, n, size, &pl[r], &pll[r], o) != 0) goto out;
    double start = now_s(), end = start + (double)g_a->duration_ms / 1000.0;
    uint64_t next = 0, inflight = 0;
    for (;;) {
        while (inflight < depth && now_s() < end) {
            uint64_t slot = next % depth;
            if (slot_id[slot]) break;
            if (g_a->rate > 0) {
                double due = start + (double)next / g_a->rate;
                if (due >= end || (inflight > 0 && now_s() < due)) break;
                while (now_s() < due) {
                    double left = due - now_s();
                    if (left > 0.0005) {
                        struct timespec ts = {0, (long)((left - 0.0002) * 1e9)};
                        nanosleep(&ts, NULL);
                    }
                }
            }
            nipc_header_t h = request_header(m, next + 1);
            if (n > 1) { h.flags = NIPC_FLAG_BATCH; h.item_count = n; }
            sent[slot] = now_s();
            slot_id[slot] = next + 1;
            if (link_send(l, &h, pl[next % BENCH_DISTINCT], pll[next % BENCH_DISTINCT], &o->err) != 0) {
                o->have_err = true;
                goto out;
            }
            next++;
            inflight++;
            o->requests++;
            o->items += n;
        }
        if (!inflight) break;
        nipc_header_t rh;
        const uint8_t *p;
        size_t pn;
        if (link_recv(l, g_a->timeout_ms, NULL, &rh, &p, &pn, &o->err) != 0) { o->have_err = true; goto out; }
        double t = now_s();
        uint64_t id = rh.message_id;
        uint64_t slot = id ? (id - 1) % depth : 0;
        if (id == 0 || slot_id[slot] != id) {
            snprintf(o->failure, sizeof(o->failure), "response with message_id %llu was not in flight",
                     (unsigned long long)id);
            goto out;
        }
        if (!check_header(o, &rh, m, id, n > 1 ? NIPC_FLAG_BATCH : 0, n)) goto out;
        uint64_t r = (id - 1) % BENCH_DISTINCT;
        char why[200];
        if (n <= 1) {
            if (!wl_verify(g_a, snap, r, size, p, pn, why, sizeof(why))) {
                snprintf(o->failure, sizeof(o->failure), "response %llu: %s", (unsigned long long)id, why);
                goto out;
            }
            o->verified++;
        } else {
            for (uint32_t k = 0; k < n; k++) {
                const void *ip;
                uint32_t il;
                if (nipc_batch_item_get(p, pn, n, k, &ip, &il) != NIPC_OK ||
                    !wl_verify(g_a, snap, r * n + k, size, ip, il, why, sizeof(why))) {
                    snprintf(o->failure, sizeof(o->failure), "batch item %u of response %llu did not verify",
                             k, (unsigned long long)id);
                    goto out;
                }
                o->verified++;
            }
        }
        if (nlat == cap) {
            double *bigger = realloc(lat, 2 * cap * sizeof(double));
            if (!bigger) { snprintf(o->failure, sizeof(o->failure), "out of memory"); goto out; }
            lat = bigger;
            cap *= 2;
        }
        lat[nlat++] = (t - sent[slot]) * 1e6;
        slot_id[slot] = 0;
        inflight--;
    }
    o->seconds = now_s() - start;
    qsort(lat, nlat, sizeof(double), cmp_double);
    o->p50_us = pct(lat, nlat, 0.50);
    o->p95_us = pct(lat, nlat, 0.95);
    o->p99_us = pct(lat, nlat, 0.99);
    if (cpu0 >= 0) o->client_cpu_s = cpu_s() - cpu0;
out:
    for (int r = 0; r < BENCH_DISTINCT; r++) free(pl[r]);
    free(sent);
    free(slot_id);
    free(lat);
}
#endif /* !_WIN32 */

static void wrong_method(shim_link_t *l, const snapshot_t *snap, outcome_t *o) {
    uint16_t m = kind_method(g_a);
    uint16_t wrong = m == 1 ? 3 : 1;
    for (uint64_t i = 0; i < g_a->count; i++) {
        uint8_t *req;
        size_t len;
        int r = wl_request(g_a, i, 0, &req, &len);
        if (r != 0) { fail_req(o, r); return; }
        nipc_header_t h = request_header(wrong, 2 * i + 1);
        if (link_send(l, &h, req, len, &o->err) != 0) { free(req); o->have_err = true; return; }
        o->requests++;
        nipc_header_t rh;
        const uint8_t *p;
        size_t n;
        if (link_recv(l, g_a->timeout_ms, NULL, &rh, &p, &n, &o->err) != 0) {
            free(req);
            o->have_err = true;
            return;
        }
        if (rh.transport_status != NIPC_STATUS_UNSUPPORTED || rh.code != wrong || n != 0 ||
            rh.item_count != 1 || rh.message_id != 2 * i + 1) {
            free(req);
            snprintf(o->failure, sizeof(o->failure),
                     "method %u was answered with status %u, %zu payload bytes (expected UNSUPPORTED, empty)",
                     wrong, rh.transport_status, n);
            return;
        }
        nipc_header_t h2 = request_header(m, 2 * i + 2);
        int sr = link_send(l, &h2, req, len, &o->err);
        free(req);
        if (sr != 0) { o->have_err = true; return; }
        o->requests++;
        o->items++;
        if (link_recv(l, g_a->timeout_ms, NULL, &rh, &p, &n, &o->err) != 0) { o->have_err = true; return; }
        char why[200];
        if (!check_header(o, &rh, m, 2 * i + 2, 0, 1)) return;
        if (!wl_verify(g_a, snap, i, 0, p, n, why, sizeof(why))) {
            snprintf(o->failure, sizeof(o->failure), "request after UNSUPPORTED: %s", why);
            return;
        }
        o->verified++;
    }
}

int run_client(const shim_args_t *a) {
    g_a = a;
    g_start_ms = plat_now_ms();
    plat_mutex_init(&g_print_lock);
    outcome_t o;
    memset(&o, 0, sizeof(o));
    o.effective_depth = 1;
#if defined(_WIN32)
    if (a->transport && strcmp(a->transport, "pipe") != 0)
        return finish(a, &o, "this build speaks the Windows transports (named pipe, SHM)");
#else
    if (a->transport && strcmp(a->transport, "uds") != 0)
        return finish(a, &o, "this build speaks the POSIX transports (UDS, SHM)");
#endif
    const char *sc = a->scenario;
    if (!strcmp(sc, "snapshot") && a->kind != KIND_SNAPSHOT)
        return finish(a, &o, "snapshot needs --service-kind cgroups-snapshot");

    /* What the scenario sends decides the proposals unless a flag fixes them. */
    size_t largest = 0;
    for (uint64_t i = 0; i < 64; i++) {
        uint8_t *r;
        size_t len;
        if (wl_request(a, i, 0, &r, &len) == 0 && len > largest) largest = len;
        free(r);
    }
    uint32_t batch_items = 1;
#if defined(_WIN32)
    if (!strcmp(sc, "bench")) return finish(a, &o, "bench is played on POSIX builds only");
#endif
    if (!strcmp(sc, "batch") || (!strcmp(sc, "bench") && a->items > 1)) {
        batch_items = a->items;
        largest = (size_t)8 * a->items + (size_t)a->items * nipc_align8(largest);
    }
    size_t item_size = 0;
    if (!strcmp(sc, "large")) {
        item_size = a->size;
        if (item_size == 0) item_size = 4 * (size_t)(a->packet_size ? a->packet_size : link_native_packet_size()) + 100;
        uint8_t *r = NULL;
        size_t len;
        int rc = wl_request(a, 0, item_size, &r, &len);
        free(r);
        if (rc == -1) return finish(a, &o, "this service kind has fixed-size requests");
        largest = item_size;
    }
    if (!strcmp(sc, "bench") && a->size > 0) {
        item_size = a->size;
        uint8_t *r = NULL;
        size_t len;
        int rc = wl_request(a, 0, item_size, &r, &len);
        free(r);
        if (rc == -1) return finish(a, &o, "this service kind has fixed-size requests");
        largest = a->items > 1 ? (size_t)8 * a->items + (size_t)a->items * nipc_align8(item_size) : item_size;
    }
    snapshot_t snap;
    memset(&snap, 0, sizeof(snap));
    if (a->kind == KIND_SNAPSHOT && snapshot_generate(a->snapshot_seed, a->snapshot_items, &snap) != 0) {
        fprintf(stderr, "netipc-shim-c: out of memory for the snapshot\n");
        return EXIT_ENV;
    }
    link_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.supported_profiles = a->profiles;
    cfg.preferred_profiles = a->preferred;
    cfg.max_request_payload = a->max_request_payload ? a->max_request_payload
                                                     : (uint32_t)(largest > 1024 ? largest : 1024);
    cfg.max_request_batch = a->max_request_batch ? a->max_request_batch : batch_items;
    cfg.max_response_payload = a->max_response_payload ? a->max_response_payload : 65536;
    cfg.max_response_batch = cfg.max_request_batch;
    cfg.auth_token = a->auth_token;
    cfg.packet_size = a->packet_size;

    if (a->timeout_ms) plat_thread_start(handshake_watchdog, NULL);
    shim_link_t *l = NULL;
    int rc = link_connect(a->run_dir, a->service, &cfg, a->timeout_ms, &l, &o.err);
    plat_lock(&g_print_lock);
    g_connect_done = 1;
    bool late = g_printed;
    plat_unlock(&g_print_lock);
    if (late) { plat_sleep_ms(1000); return EXIT_FAILED; } /* the watchdog is exiting */
    if (rc != 0) {
        o.have_err = true;
    } else {
        o.connected = true;
        link_get_info(l, &o.info);
        if (!strcmp(sc, "single") || !strcmp(sc, "snapshot")) sequential(l, &snap, 0, &o);
        else if (!strcmp(sc, "large")) sequential(l, &snap, item_size, &o);
        else if (!strcmp(sc, "batch")) batch(l, &snap, &o);
        else if (!strcmp(sc, "pipeline")) pipeline(l, &snap, &o);
        else if (!strcmp(sc, "wrong-method")) wrong_method(l, &snap, &o);
#if !defined(_WIN32)
        else if (!strcmp(sc, "bench")) bench(l, &snap, item_size, &o);
#endif
        /* "connect": the handshake (and SHM attach) is the whole scenario. */
        link_close(l);
    }
    int code = finish(a, &o, NULL);
    snapshot_free(&snap);
    return code;
}
