/* The C vector harness's own test: a correct toy codec passes the outer_header and
 * chunk_header vectors, a deliberately wrong one fails exactly the cases that catch its
 * faults, and the loader, the verdicts and the JSON reader behave as documented. The toy is
 * written from the layout tables of spec/envelope.md (outer header) and spec/chunking.md
 * (continuation chunk header). Usage: toy_test VECTORS_DIR. Exit 0 when every check held. */
#define _POSIX_C_SOURCE 200809L

#include "nipc_vectors.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            failures++;                                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                                    \
    } while (0)

/* ---- The toy codec ------------------------------------------------------------------------ */

#define MESSAGE_MAGIC 0x4E495043u
#define CHUNK_MAGIC 0x4E43484Bu

static uint16_t u16_at(const unsigned char *b, size_t at) {
    return (uint16_t)(b[at] | b[at + 1] << 8);
}
static uint32_t u32_at(const unsigned char *b, size_t at) {
    return (uint32_t)u16_at(b, at) | (uint32_t)u16_at(b, at + 2) << 16;
}
static uint64_t u64_at(const unsigned char *b, size_t at) {
    return (uint64_t)u32_at(b, at) | (uint64_t)u32_at(b, at + 4) << 32;
}
static void put(unsigned char *b, size_t at, uint64_t v, size_t size) {
    for (size_t k = 0; k < size; k++)
        b[at + k] = (unsigned char)(v >> (8 * k));
}

#define REJECT(error_class)                                                                   \
    do {                                                                                     \
        nipc_vec_invalid(out, error_class);                                                  \
        return;                                                                              \
    } while (0)

/* user points to an int: 1 for the wrong toy (message_id read as a u32, the chunk header's
   reserved flags ignored). */
static void decode_outer_header(void *user, const nipc_vec_case *c, nipc_vec_outcome *out) {
    int wrong = *(const int *)user;
    const unsigned char *b = c->bytes;
    uint64_t limit;
    if (c->len < 32)
        REJECT("HeaderTruncated");
    uint16_t kind = u16_at(b, 8);
    uint32_t payload_len = u32_at(b, 16), item_count = u32_at(b, 20);
    if (u32_at(b, 0) != MESSAGE_MAGIC)
        REJECT("HeaderBadMagic");
    if (u16_at(b, 4) != 1)
        REJECT("HeaderBadVersion");
    if (u16_at(b, 6) != 32)
        REJECT("HeaderBadHeaderLen");
    if (kind < 1 || kind > 3)
        REJECT("HeaderBadKind");
    const nipc_json *limits = nipc_json_get(c->context, "limits");
    if (nipc_json_u64(nipc_json_get(limits, "max_payload_bytes"), &limit) && payload_len > limit)
        REJECT("PayloadOverLimit");
    if (nipc_json_u64(nipc_json_get(limits, "max_batch_items"), &limit) && item_count > limit)
        REJECT("ItemCountOverLimit");
    uint64_t message_id = wrong ? u32_at(b, 24) : u64_at(b, 24);
    nipc_vec_valid(out,
                   "{\"kind\":%u,\"flags\":%u,\"code\":%u,\"transport_status\":%u,"
                   "\"payload_len\":%" PRIu32 ",\"item_count\":%" PRIu32
                   ",\"message_id\":\"%" PRIu64 "\"}",
                   kind, u16_at(b, 10), u16_at(b, 12), u16_at(b, 14), payload_len, item_count,
                   message_id);
}

static void decode_chunk_header(void *user, const nipc_vec_case *c, nipc_vec_outcome *out) {
    int wrong = *(const int *)user;
    const unsigned char *b = c->bytes;
    if (c->len < 32)
        REJECT("ChunkTruncated");
    if (u32_at(b, 0) != CHUNK_MAGIC)
        REJECT("ChunkBadMagic");
    if (u16_at(b, 4) != 1)
        REJECT("ChunkBadVersion");
    if (u16_at(b, 6) != 0 && !wrong)
        REJECT("ChunkNonzeroFlags");
    nipc_vec_valid(out,
                   "{\"message_id\":\"%" PRIu64 "\",\"total_message_len\":%" PRIu32
                   ",\"chunk_index\":%" PRIu32 ",\"chunk_count\":%" PRIu32
                   ",\"chunk_payload_len\":%" PRIu32 "}",
                   u64_at(b, 8), u32_at(b, 16), u32_at(b, 20), u32_at(b, 24), u32_at(b, 28));
}

static uint64_t field(const nipc_vec_case *c, const char *key) {
    uint64_t v = 0;
    nipc_json_u64(nipc_json_get(c->fields, key), &v);
    return v;
}

static void encode_outer_header(void *user, const nipc_vec_case *c, nipc_vec_outcome *out) {
    unsigned char b[32];
    (void)user;
    put(b, 0, MESSAGE_MAGIC, 4);
    put(b, 4, 1, 2);
    put(b, 6, 32, 2);
    put(b, 8, field(c, "kind"), 2);
    put(b, 10, field(c, "flags"), 2);
    put(b, 12, field(c, "code"), 2);
    put(b, 14, field(c, "transport_status"), 2);
    put(b, 16, field(c, "payload_len"), 4);
    put(b, 20, field(c, "item_count"), 4);
    put(b, 24, field(c, "message_id"), 8);
    nipc_vec_encoded(out, b, sizeof b);
}

static void encode_chunk_header(void *user, const nipc_vec_case *c, nipc_vec_outcome *out) {
    unsigned char b[32];
    (void)user;
    put(b, 0, CHUNK_MAGIC, 4);
    put(b, 4, 1, 2);
    put(b, 6, 0, 2);
    put(b, 8, field(c, "message_id"), 8);
    put(b, 16, field(c, "total_message_len"), 4);
    put(b, 20, field(c, "chunk_index"), 4);
    put(b, 24, field(c, "chunk_count"), 4);
    put(b, 28, field(c, "chunk_payload_len"), 4);
    nipc_vec_encoded(out, b, sizeof b);
}

static const nipc_vec_family_fns TOY[] = {
    {"outer_header", decode_outer_header, encode_outer_header},
    {"chunk_header", decode_chunk_header, encode_chunk_header},
};

/* ---- Collecting verdicts ---------------------------------------------------------------- */

typedef struct {
    char failed[64][64]; /* "family/id-name" of failed checks */
    size_t nfailed;
    char last_message[512];
    nipc_vec_status statuses[8];
    size_t count;
    int toy_family_skipped;
} collected;

static void collect(void *ctx, const nipc_vec_case *c, int encode, nipc_vec_status status,
                    const char *message) {
    collected *col = ctx;
    if (col->count < 8)
        col->statuses[col->count] = status;
    col->count++;
    snprintf(col->last_message, sizeof col->last_message, "%s", message);
    if (status == NIPC_VEC_FAIL && col->nfailed < 64)
        snprintf(col->failed[col->nfailed++], 64, "%s/%ld-%s%s", c->family, c->id, c->name,
                 encode ? ".encode" : "");
    if (status == NIPC_VEC_SKIP &&
        (!strcmp(c->family, "outer_header") || !strcmp(c->family, "chunk_header")))
        col->toy_family_skipped = 1;
}

/* Counts the checks of the files in dir, for the families given (all when NULL). */
static size_t count_checks(const char *dir, const char *const *families) {
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    char path[4096], err[160];
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        static char text[1 << 21];
        size_t got = fread(text, 1, sizeof text, fp);
        fclose(fp);
        nipc_json *doc = nipc_json_parse(text, got, err, sizeof err);
        const nipc_json *family = nipc_json_get(doc, "family"), *cases = nipc_json_get(doc, "cases");
        const nipc_json *input = nipc_json_get(doc, "input");
        int wanted = !families;
        for (size_t k = 0; families && families[k]; k++)
            wanted |= !strcmp(families[k], family->text);
        /* Session vectors (input "steps") are read past: conversations, not cases. */
        if (input && !strcmp(input->text, "steps"))
            wanted = 0;
        for (size_t k = 0; wanted && k < cases->count; k++) {
            const nipc_json *c = cases->items[k], *flags = nipc_json_get(c, "flags");
            int canonical = 0;
            for (size_t j = 0; j < flags->count; j++)
                canonical |= !strcmp(flags->items[j]->text, "Canonical");
            n += 1 + (size_t)(canonical && nipc_json_get(c, "hex") &&
                              !strcmp(nipc_json_get(c, "result")->text, "valid"));
        }
        nipc_json_free(doc);
    }
    closedir(d);
    return n;
}

static const char *const WRONG_FAILS[] = {
    "chunk_header/26-flags-one", "chunk_header/27-flags-high-bit", "chunk_header/28-flags-all-bits",
    "outer_header/7-message-id-max", "outer_header/8-message-id-high-bit",
    "outer_header/9-message-id-byte-order"};

static void a_correct_toy_passes_every_outer_and_chunk_header_case_and_skips_the_rest(const char *dir) {
    int wrong = 0;
    nipc_vec_codec codec = {TOY, 2, &wrong, 0};
    nipc_vec_report report;
    collected col;
    memset(&col, 0, sizeof col);
    static const char *const toy[] = {"outer_header", "chunk_header", NULL};
    CHECK(nipc_vec_run(dir, &codec, stdout, &report, collect, &col) == 0);
    CHECK(report.failed == 0);
    CHECK(report.passed == count_checks(dir, toy));
    CHECK(report.passed + report.skipped == count_checks(dir, NULL));
    CHECK(!col.toy_family_skipped);
}

static char *read_all(FILE *fp) {
    static char text[1 << 20];
    rewind(fp);
    size_t n = fread(text, 1, sizeof text - 1, fp);
    text[n] = '\0';
    return text;
}

static void a_wrong_toy_fails_exactly_the_cases_that_catch_its_faults(const char *dir) {
    int wrong = 1;
    nipc_vec_codec codec = {TOY, 2, &wrong, 0};
    nipc_vec_report report;
    collected col;
    memset(&col, 0, sizeof col);
    FILE *tap = tmpfile();
    CHECK(nipc_vec_run(dir, &codec, tap, &report, collect, &col) == 1);
    CHECK(report.failed == 6 && col.nfailed == 6);
    for (size_t k = 0; k < 6 && k < col.nfailed; k++)
        CHECK(strcmp(col.failed[k], WRONG_FAILS[k]) == 0);
    const char *text = read_all(tap);
    CHECK(strstr(text, " - chunk_header/26-flags-one [CHUNK-FLAGS-001]: accepted an invalid case "
                       "(expected ChunkNonzeroFlags)\n") != NULL);
    CHECK(strstr(text, "not ok ") != NULL);
    CHECK(strstr(text, " - outer_header/8-message-id-high-bit [ENV-HDR-001]: fields differ at "
                       "\"message_id\": expected \"9223372036854775808\", got \"0\"\n") != NULL);
    CHECK(strstr(text, " # SKIP no decoder for family hello\n") != NULL);
    CHECK(strstr(text, "# netipc vectors: ") != NULL);
    CHECK(strncmp(text, "1..", 3) == 0);
    fclose(tap);
}

/* ---- Verdicts on hand-made vector files ----------------------------------------------- */

static char scratch[] = "/tmp/nipc-harness-c-XXXXXX";

/* Writes one vector file of family with cases (JSON array text) into the scratch dir. */
static const char *vectors(const char *family, const char *cases) {
    char path[4096];
    DIR *d = opendir(scratch);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
        remove(path);
    }
    if (d)
        closedir(d);
    snprintf(path, sizeof path, "%s/%s.json", scratch, family);
    FILE *fp = fopen(path, "w");
    fprintf(fp,
            "{\"schema_version\":1,\"family\":\"%s\",\"spec_revision\":\"2026-01-01\","
            "\"description\":\"t\",\"input\":\"hex\",\"cases\":%s}",
            family, cases);
    fclose(fp);
    return scratch;
}

#define CASE(result, extra)                                                                  \
    "[{\"id\":1,\"name\":\"case-1\",\"requirements\":[\"ENV-HDR-001\"],\"comment\":\"c\","     \
    "\"result\":\"" result "\",\"flags\":[\"Canonical\"],\"hex\":\"0102\"" extra "}]"

typedef struct {
    const char *decode_as; /* "valid:<json>", "invalid:<class>", "skip:<reason>", "none" */
    const unsigned char *encoded;
    size_t encoded_len;
    const unsigned char *packet;
} fixed;

static void fixed_decode(void *user, const nipc_vec_case *c, nipc_vec_outcome *out) {
    const fixed *f = user;
    (void)c;
    if (!strncmp(f->decode_as, "valid:", 6))
        nipc_vec_valid(out, "%s", f->decode_as + 6);
    else if (!strncmp(f->decode_as, "invalid:", 8) && f->packet)
        nipc_vec_rejected(out, f->decode_as + 8, f->packet, 80);
    else if (!strncmp(f->decode_as, "invalid:", 8))
        nipc_vec_invalid(out, f->decode_as + 8);
    else if (!strncmp(f->decode_as, "skip:", 5))
        nipc_vec_unsupported(out, f->decode_as + 5);
}

static void fixed_encode(void *user, const nipc_vec_case *c, nipc_vec_outcome *out) {
    const fixed *f = user;
    (void)c;
    if (f->encoded)
        nipc_vec_encoded(out, f->encoded, f->encoded_len);
}

/* Runs one hand-made file through a fixed answer; returns the collected verdicts. */
static collected one(const char *family, const char *cases, fixed f, int with_encoder, int lenient) {
    nipc_vec_family_fns fns[] = {{family, fixed_decode, with_encoder ? fixed_encode : NULL}};
    nipc_vec_codec codec = {fns, 1, &f, lenient};
    collected col;
    memset(&col, 0, sizeof col);
    nipc_vec_run(vectors(family, cases), &codec, NULL, NULL, collect, &col);
    return col;
}

static void verdicts_follow_the_contract(void) {
    fixed f = {"valid:{\"n\":3,\"value\":\"5\"}", NULL, 0, NULL};
    collected col = one("outer_header", CASE("valid", ",\"fields\":{\"value\":\"5\",\"n\":3}"), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_PASS); /* key order does not matter */
    CHECK(col.statuses[1] == NIPC_VEC_SKIP && !strcmp(col.last_message, "no encoder for family outer_header"));

    f.decode_as = "valid:{\"value\":5,\"n\":3}";
    col = one("outer_header", CASE("valid", ",\"fields\":{\"value\":\"5\",\"n\":3}"), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_FAIL);
    CHECK(!strcmp(col.failed[0], "outer_header/1-case-1"));

    f.decode_as = "valid:{\"value\":";
    col = one("outer_header", CASE("valid", ",\"fields\":{\"value\":\"5\"}"), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_FAIL);

    f.decode_as = "invalid:HeaderBadKind";
    col = one("outer_header", CASE("invalid", ",\"error\":\"HeaderBadMagic\""), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_FAIL &&
          !strcmp(col.last_message, "rejected with HeaderBadKind, expected HeaderBadMagic"));
    col = one("outer_header", CASE("invalid", ",\"error\":\"HeaderBadMagic\""), f, 0, 1);
    CHECK(col.statuses[0] == NIPC_VEC_PASS);

    f.decode_as = "invalid:X";
    col = one("outer_header", CASE("acceptable", ",\"fields\":{\"a\":1}"), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_PASS);
    f.decode_as = "valid:{\"a\":2}";
    col = one("outer_header", CASE("acceptable", ",\"fields\":{\"a\":1}"), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_FAIL);

    f.decode_as = "skip:not yet";
    col = one("outer_header", CASE("valid", ",\"fields\":{}"), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_SKIP);
    f.decode_as = "none";
    col = one("outer_header", CASE("invalid", ",\"error\":\"E\""), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_FAIL && !strcmp(col.last_message, "the decode callback set no outcome"));

    static const unsigned char wrong_bytes[] = {1, 3}, right_bytes[] = {1, 2};
    f = (fixed){"valid:{}", wrong_bytes, 2, NULL};
    col = one("outer_header", CASE("valid", ",\"fields\":{}"), f, 1, 0);
    CHECK(col.statuses[1] == NIPC_VEC_FAIL && !strcmp(col.failed[0], "outer_header/1-case-1.encode") &&
          !strcmp(col.last_message, "encoded 0103, expected 0102"));
    f.encoded = right_bytes;
    col = one("outer_header", CASE("valid", ",\"fields\":{}"), f, 1, 0);
    CHECK(col.statuses[1] == NIPC_VEC_PASS);

    unsigned char auth[80], incompatible[80];
    CHECK(nipc_vec_rejection_packet("AuthFailed", auth) && nipc_vec_rejection_packet("Incompatible", incompatible));
    CHECK(!nipc_vec_rejection_packet("Nope", auth + 0) || 0);
    nipc_vec_rejection_packet("AuthFailed", auth);
    static const unsigned char auth_head[34] = {0x43, 0x50, 0x49, 0x4e, 1, 0, 0x20, 0, 3, 0, 0, 0, 2, 0, 2, 0,
                                                0x30, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    CHECK(memcmp(auth, auth_head, sizeof auth_head) == 0);
    f = (fixed){"invalid:StatusAuthFailed", NULL, 0, auth};
    col = one("handshake_decide", CASE("invalid", ",\"error\":\"StatusAuthFailed\""), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_PASS);
    f.packet = incompatible;
    col = one("handshake_decide", CASE("invalid", ",\"error\":\"StatusAuthFailed\""), f, 0, 0);
    CHECK(col.statuses[0] == NIPC_VEC_FAIL);
}

static void a_run_where_nothing_passed_says_so(const char *dir) {
    nipc_vec_codec codec = {NULL, 0, NULL, 0};
    nipc_vec_report report;
    CHECK(nipc_vec_run(dir, &codec, NULL, &report, NULL, NULL) == 2);
    CHECK(report.passed == 0 && report.failed == 0 && report.skipped > 0);
}

static void unreadable_vectors_bail_out_naming_the_file(void) {
    nipc_vec_codec codec = {TOY, 2, NULL, 0};
    FILE *tap = tmpfile();
    CHECK(nipc_vec_run("/nonexistent/vectors", &codec, tap, NULL, NULL, NULL) == -1);
    CHECK(!strcmp(read_all(tap), "Bail out! netipc vectors: /nonexistent/vectors: not a directory\n"));
    fclose(tap);

    struct {
        const char *cases, *message;
    } bad[] = {
        {"[1,", "x.json: cannot read: line 1 column 106: unexpected character"},
        {CASE("valid", ""), "x.json: case 1: a valid case needs fields"},
        {CASE("invalid", ",\"error\":\"E\",\"packets\":[]"), "x.json: case 1: both hex and packets"},
        {"[{\"id\":1,\"name\":\"n\",\"requirements\":[],\"flags\":[],\"result\":\"invalid\",\"error\":\"E\",\"hex\":\"0G\"}]",
         "x.json: case 1: hex: not lower-case hex pairs"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        tap = tmpfile();
        CHECK(nipc_vec_run(vectors("x", bad[k].cases), &codec, tap, NULL, NULL, NULL) == -1);
        const char *text = read_all(tap);
        if (!strstr(text, bad[k].message)) {
            failures++;
            fprintf(stderr, "bail-out %zu: %s", k, text);
        }
        fclose(tap);
    }
}

/* ---- The JSON reader ---------------------------------------------------------------------- */

static void the_json_reader_reads_escapes_and_integers_and_refuses_bad_text(void) {
    char err[160];
    const char *text = "{\"s\":\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\u0000x\",\"n\":18446744073709551615}";
    nipc_json *v = nipc_json_parse(text, strlen(text), err, sizeof err);
    CHECK(v != NULL);
    const nipc_json *s = nipc_json_get(v, "s");
    static const char want[] = "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\0x";
    CHECK(s && s->text_len == sizeof want - 1 && memcmp(s->text, want, sizeof want - 1) == 0);
    uint64_t u = 0;
    CHECK(nipc_json_u64(nipc_json_get(v, "n"), &u) && u == UINT64_MAX);
    nipc_json_free(v);

    struct {
        const char *text, *message;
    } bad[] = {
        {"{\"a\":1,}", "line 1 column 8: expected a string key"},
        {"[1 2]", "line 1 column 4: expected ',' or ']'"},
        {"01", "line 1 column 1: leading zero"},
        {"\"\\ud800\"", "line 1 column 8: lone high surrogate"},
        {"\"\\x\"", "line 1 column 3: unknown escape"},
        {"{\"a\":1,\"a\":2}", "line 1 column 8: duplicate key"},
        {"{}\n x", "line 2 column 2: text after the JSON value"},
        {"\"a\nb\"", "line 1 column 3: control character in string"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        v = nipc_json_parse(bad[k].text, strlen(bad[k].text), err, sizeof err);
        CHECK(v == NULL);
        if (strcmp(err, bad[k].message)) {
            failures++;
            fprintf(stderr, "json %zu: got \"%s\", want \"%s\"\n", k, err, bad[k].message);
        }
    }
    static char deep[100001];
    memset(deep, '[', sizeof deep - 1);
    CHECK(nipc_json_parse(deep, sizeof deep - 1, err, sizeof err) == NULL &&
          strstr(err, "nesting too deep"));

    const char *a = "{\"x\":[1,{\"y\":\"z\"}],\"w\":-0}", *b = "{\"w\":0,\"x\":[1,{\"y\":\"z\"}]}";
    nipc_json *ja = nipc_json_parse(a, strlen(a), err, sizeof err), *jb = nipc_json_parse(b, strlen(b), err, sizeof err);
    CHECK(nipc_json_equal(ja, jb));
    nipc_json_free(ja);
    nipc_json_free(jb);
    const char *c = "[\"18446744073709551616\", \"-1\", \"\", 1.5]";
    nipc_json *jc = nipc_json_parse(c, strlen(c), err, sizeof err);
    for (size_t k = 0; jc && k < jc->count; k++)
        CHECK(!nipc_json_u64(jc->items[k], &u));
    nipc_json_free(jc);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
        return 2;
    }
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        return 2;
    }
    a_correct_toy_passes_every_outer_and_chunk_header_case_and_skips_the_rest(argv[1]);
    a_wrong_toy_fails_exactly_the_cases_that_catch_its_faults(argv[1]);
    verdicts_follow_the_contract();
    a_run_where_nothing_passed_says_so(argv[1]);
    unreadable_vectors_bail_out_naming_the_file();
    the_json_reader_reads_escapes_and_integers_and_refuses_bad_text();
    vectors("cleanup", "[]");
    char path[256];
    snprintf(path, sizeof path, "%s/cleanup.json", scratch);
    remove(path);
    rmdir(scratch);
    fprintf(stderr, "%s: %d failed check(s)\n", argv[0], failures);
    return failures ? 1 : 0;
}
