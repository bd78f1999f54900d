/* netipc-shim-c: one program, roles by first argument (SHIM-ROLE-001): `server`, `client`
 * (spec/shim-contract.md) and `codec` (the codec testee of vectors/README.md). */
#include "shim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void err_set(shim_err_t *e, const char *kind, const char *rule, const char *req, int exit_code,
             const char *fmt, ...) {
    e->kind = kind;
    e->rule = rule;
    e->requirement = req;
    e->exit_code = exit_code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
}

uint16_t kind_method(const shim_args_t *a) {
    switch (a->kind) {
    case KIND_INCREMENT: return NIPC_METHOD_INCREMENT;
    case KIND_STRING_REVERSE: return NIPC_METHOD_STRING_REVERSE;
    case KIND_SNAPSHOT: return NIPC_METHOD_CGROUPS_SNAPSHOT;
    case KIND_ECHO: return (uint16_t)a->echo_method;
    }
    return 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: netipc-shim-c server --run-dir DIR --service NAME --service-kind KIND [options]\n"
            "       netipc-shim-c client --run-dir DIR --service NAME --service-kind KIND "
            "--scenario NAME [options]\n"
            "       netipc-shim-c codec   (codec testee on stdin/stdout)\n"
            "options: see spec/shim-contract.md of netipc-cts\n");
}

/* Decimal or 0x-hexadecimal, the whole text, within `max`. */
static int parse_num(const char *s, uint64_t max, uint64_t *out) {
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !end || *end) return -1;
    if (s[0] == '0' && s[1] && s[1] != 'x' && s[1] != 'X') {
        /* "010" must not read as octal: decimal or hex only. */
        v = strtoull(s, &end, 10);
        if (*end) return -1;
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, shim_args_t *a) {
    memset(a, 0, sizeof(*a));
    a->role = !strcmp(argv[1], "server") ? 's' : 'c';
    a->transport = NULL;
    a->profiles = 1;
    a->timeout_ms = 10000;
    a->snapshot_items = 16;
    a->snapshot_seed = 1;
    a->echo_method = 1;
    a->scenario = "single";
    a->count = 1;
    a->items = 4;
    a->depth = 16;
    a->duration_ms = 1000;
    bool items_given = false, depth_given = false;
    bool max_resp_given = false, max_req_given = false;
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i];
        if (strncmp(f, "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "netipc-shim-c: %s: expected --flag VALUE\n", f);
            return -1;
        }
        const char *v = argv[++i];
        uint64_t n = 0;
#define NUM(name, max, dst) \
    else if (!strcmp(f, name)) { \
        if (parse_num(v, max, &n) != 0) { \
            fprintf(stderr, "netipc-shim-c: %s: bad value '%s'\n", f, v); return -1; } \
        dst = n; }
#define ONLY(r) \
        if (a->role != r) { fprintf(stderr, "netipc-shim-c: %s is not a flag of this role\n", f); return -1; }
        if (!strcmp(f, "--transport")) {
            if (strcmp(v, "uds") && strcmp(v, "pipe")) {
                fprintf(stderr, "netipc-shim-c: --transport: bad value '%s'\n", v);
                return -1;
            }
            a->transport = v;
        } else if (!strcmp(f, "--run-dir")) a->run_dir = v;
        else if (!strcmp(f, "--service")) a->service = v;
        else if (!strcmp(f, "--service-kind")) {
            a->kind_name = v;
            if (!strcmp(v, "increment")) a->kind = KIND_INCREMENT;
            else if (!strcmp(v, "string-reverse")) a->kind = KIND_STRING_REVERSE;
            else if (!strcmp(v, "cgroups-snapshot")) a->kind = KIND_SNAPSHOT;
            else if (!strcmp(v, "echo")) a->kind = KIND_ECHO;
            else { fprintf(stderr, "netipc-shim-c: --service-kind: bad value '%s'\n", v); return -1; }
        }
        NUM("--auth-token", UINT64_MAX, a->auth_token)
        NUM("--profiles", UINT32_MAX, a->profiles)
        NUM("--preferred", UINT32_MAX, a->preferred)
        else if (!strcmp(f, "--max-request-payload")) {
            if (parse_num(v, UINT32_MAX, &n) != 0) { fprintf(stderr, "netipc-shim-c: %s: bad value '%s'\n", f, v); return -1; }
            a->max_request_payload = (uint32_t)n;
            max_req_given = n != 0;
        } else if (!strcmp(f, "--max-response-payload")) {
            if (parse_num(v, UINT32_MAX, &n) != 0) { fprintf(stderr, "netipc-shim-c: %s: bad value '%s'\n", f, v); return -1; }
            a->max_response_payload = (uint32_t)n;
            max_resp_given = n != 0;
        }
        NUM("--packet-size", UINT32_MAX, a->packet_size)
        NUM("--timeout-ms", UINT32_MAX, a->timeout_ms)
        NUM("--snapshot-items", UINT32_MAX, a->snapshot_items)
        NUM("--snapshot-seed", UINT64_MAX, a->snapshot_seed)
        NUM("--echo-method", UINT16_MAX, a->echo_method)
        else if (!strcmp(f, "--sessions")) {
            ONLY('s');
            if (!strcmp(v, "forever")) a->sessions = 0;
            else if (parse_num(v, UINT64_MAX, &n) != 0 || n == 0) {
                fprintf(stderr, "netipc-shim-c: --sessions: bad value '%s'\n", v);
                return -1;
            } else a->sessions = n;
        } else if (!strcmp(f, "--scenario")) {
            ONLY('c');
            static const char *known[] = {"single", "batch", "pipeline", "large", "snapshot",
                                          "wrong-method", "connect", "bench"};
            bool ok = false;
            for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) ok |= !strcmp(v, known[k]);
            if (!ok) { fprintf(stderr, "netipc-shim-c: --scenario: bad value '%s'\n", v); return -1; }
            a->scenario = v;
        } else if (!strcmp(f, "--count")) { ONLY('c');
            if (parse_num(v, UINT64_MAX, &n) != 0) { fprintf(stderr, "netipc-shim-c: bad --count\n"); return -1; }
            a->count = n;
        } else if (!strcmp(f, "--items")) { ONLY('c');
            if (parse_num(v, UINT32_MAX, &n) != 0) { fprintf(stderr, "netipc-shim-c: bad --items\n"); return -1; }
            a->items = (uint32_t)n;
            items_given = true;
        } else if (!strcmp(f, "--depth")) { ONLY('c');
            if (parse_num(v, UINT32_MAX, &n) != 0) { fprintf(stderr, "netipc-shim-c: bad --depth\n"); return -1; }
            a->depth = (uint32_t)n;
            depth_given = true;
        } else if (!strcmp(f, "--size")) { ONLY('c');
            if (parse_num(v, UINT32_MAX, &n) != 0) { fprintf(stderr, "netipc-shim-c: bad --size\n"); return -1; }
            a->size = n;
        } else if (!strcmp(f, "--max-request-batch")) { ONLY('c');
            if (parse_num(v, UINT32_MAX, &n) != 0) { fprintf(stderr, "netipc-shim-c: bad --max-request-batch\n"); return -1; }
            a->max_request_batch = (uint32_t)n;
        } else if (!strcmp(f, "--expect-error")) { ONLY('c');
            a->expect_error = v;
        } else if (!strcmp(f, "--duration-ms")) { ONLY('c');
            if (parse_num(v, UINT32_MAX, &n) != 0 || n == 0) { fprintf(stderr, "netipc-shim-c: bad --duration-ms\n"); return -1; }
            a->duration_ms = n;
        } else if (!strcmp(f, "--rate")) { ONLY('c');
            char *end = NULL;
            errno = 0;
            a->rate = strtod(v, &end);
            if (errno || !end || *end || !(a->rate >= 0)) { fprintf(stderr, "netipc-shim-c: bad --rate\n"); return -1; }
        } else {
            fprintf(stderr, "netipc-shim-c: unknown flag %s\n", f);
            return -1;
        }
#undef NUM
#undef ONLY
    }
    if (!a->run_dir || !a->service || !a->kind_name) {
        fprintf(stderr, "netipc-shim-c: --run-dir, --service and --service-kind are required\n");
        return -1;
    }
    /* bench: one item per request, one request in flight, unless the flags say otherwise. */
    if (a->role == 'c' && !strcmp(a->scenario, "bench")) {
        if (!items_given) a->items = 1;
        if (!depth_given) a->depth = 1;
    }
    if (a->role == 's') {
        if (!max_req_given) a->max_request_payload = 1048576;
        if (!max_resp_given) a->max_response_payload = 65536;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(); return EXIT_USAGE; }
    if (!strcmp(argv[1], "codec")) {
        if (argc != 2) { usage(); return EXIT_USAGE; }
        return run_codec();
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { usage(); return 0; }
    if (strcmp(argv[1], "server") && strcmp(argv[1], "client")) { usage(); return EXIT_USAGE; }
    shim_args_t a;
    if (parse_args(argc, argv, &a) != 0) return EXIT_USAGE;
    return a.role == 's' ? run_server(&a) : run_client(&a);
}
