/* nipc_vectors: replay the netipc golden vectors (the JSON files of vectors/) against your own codec from
 * a C test program. One header and one source file, C99 or newer, POSIX (opendir), no other
 * dependency. See README.md next to this file.
 *
 * You register one decode (and optionally one encode) callback per family in a table; the
 * harness loads every vector file, calls your callback for each case, judges the outcome and
 * writes one TAP line per check (case id, requirement IDs, pass / fail / skip with a reason)
 * and a summary. A check passes only on positive evidence: the same fields, the same error
 * class, the same bytes. A skip is never a pass. */
#ifndef NIPC_VECTORS_H
#define NIPC_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- A small JSON tree (read-only for callers) ---------------------------------------- */

typedef enum {
    NIPC_JSON_NULL,
    NIPC_JSON_BOOL,
    NIPC_JSON_NUMBER,
    NIPC_JSON_STRING,
    NIPC_JSON_ARRAY,
    NIPC_JSON_OBJECT
} nipc_json_type;

typedef struct nipc_json nipc_json;
struct nipc_json {
    nipc_json_type type;
    int boolean;        /* NIPC_JSON_BOOL */
    char *text;         /* NIPC_JSON_STRING: the decoded string, NUL-terminated;
                           NIPC_JSON_NUMBER: the number as written */
    size_t text_len;    /* bytes in text, excluding the NUL (a string may contain NULs) */
    size_t count;       /* NIPC_JSON_ARRAY / NIPC_JSON_OBJECT: number of members */
    nipc_json **items;  /* members, in the order written */
    char **keys;        /* NIPC_JSON_OBJECT: their keys */
};

/* Parses len bytes of JSON text. Returns the tree, which the caller frees with
 * nipc_json_free; on failure returns NULL and writes "line L column C: problem" to err
 * (errlen bytes, always NUL-terminated when errlen > 0). */
nipc_json *nipc_json_parse(const char *text, size_t len, char *err, size_t errlen);
void nipc_json_free(nipc_json *v);

/* The member key of an object; NULL when v is NULL, not an object, or has no such key. */
const nipc_json *nipc_json_get(const nipc_json *v, const char *key);

/* Reads an unsigned integer that is a JSON number or a decimal string (the vectors write
 * 64-bit values as strings). Returns 1 and sets *out on success, 0 otherwise (NULL, another
 * type, a sign, a fraction, or a value over 64 bits). */
int nipc_json_u64(const nipc_json *v, uint64_t *out);

/* Structural equality: objects equal whatever the order of their keys, integers by value. */
int nipc_json_equal(const nipc_json *a, const nipc_json *b);

/* ---- Cases, outcomes and the callback table --------------------------------------------- */

/* One vector case, valid during the callback only. */
typedef struct nipc_vec_case {
    const char *file;
    const char *family;          /* e.g. "outer_header" */
    const char *op;              /* "decode", or "decide" / "check_ack" / "names" */
    long id;                     /* position in its file, from 1 */
    const char *name;            /* stable kebab-case key */
    const char *comment;
    const char *result;          /* what the contract expects: valid, invalid, acceptable */
    const char *const *requirements;
    size_t requirement_count;
    const char *const *flags;
    size_t flag_count;
    /* The input: bytes/len when has_bytes (a hex case, possibly empty); else packets
     * (packet_count of them, lengths in packet_lens); else only context. */
    int has_bytes;
    const unsigned char *bytes;
    size_t len;
    const unsigned char *const *packets;
    const size_t *packet_lens;
    size_t packet_count;
    const nipc_json *context;    /* always an object (empty when the case has none) */
    const nipc_json *fields;     /* expected fields, or NULL */
    const char *error;           /* expected error class, or NULL */
} nipc_vec_case;

/* Returns 1 when the case carries the flag (e.g. "Canonical"). */
int nipc_vec_case_has_flag(const nipc_vec_case *c, const char *flag);

/* What a callback answers; set exactly one with the functions below (the last call wins).
 * A callback that sets nothing fails its check. */
typedef struct nipc_vec_outcome nipc_vec_outcome;

/* The input decodes to these fields: a JSON object written printf-style, e.g.
 * nipc_vec_valid(out, "{\"value\":\"%" PRIu64 "\"}", v). 64-bit values as decimal strings,
 * byte strings as lower-case hex. Text that is not JSON fails the check, saying so. */
void nipc_vec_valid(nipc_vec_outcome *out, const char *fields_format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The input is rejected with this error class (e.g. "HeaderBadMagic"). */
void nipc_vec_invalid(nipc_vec_outcome *out, const char *error_class);
/* handshake_decide: rejected with "Status<Name>", sending packet (compared with the
 * canonical rejection HELLO_ACK). The bytes are copied. */
void nipc_vec_rejected(nipc_vec_outcome *out, const char *error_class,
                       const unsigned char *packet, size_t len);
/* The bytes an encoder produced (copied). */
void nipc_vec_encoded(nipc_vec_outcome *out, const unsigned char *bytes, size_t len);
/* Not handled by this codec: the check is a skip with this reason. */
void nipc_vec_unsupported(nipc_vec_outcome *out, const char *reason);

typedef void (*nipc_vec_fn)(void *user, const nipc_vec_case *c, nipc_vec_outcome *out);

/* One row of the callback table. decode is called for every case of the family (NULL: the
 * cases are skipped); encode, for each valid Canonical case with bytes, must give back the
 * case's bytes from c->fields and c->context (NULL: those checks are skipped). */
typedef struct nipc_vec_family_fns {
    const char *family;
    nipc_vec_fn decode;
    nipc_vec_fn encode;
} nipc_vec_family_fns;

typedef struct nipc_vec_codec {
    const nipc_vec_family_fns *families;  /* families absent from the table are skipped */
    size_t family_count;
    void *user;                           /* passed to every callback */
    int lenient_errors;                   /* 1: a rejection with another error class passes,
                                             noting the difference */
} nipc_vec_codec;

/* ---- Running ------------------------------------------------------------------------------ */

typedef enum { NIPC_VEC_PASS, NIPC_VEC_FAIL, NIPC_VEC_SKIP } nipc_vec_status;

typedef struct nipc_vec_report {
    size_t passed, failed, skipped;
} nipc_vec_report;

/* Called once per check after it is judged (may be NULL): encode is 1 for the encoding
 * check of a case, message says why (empty for a plain pass). */
typedef void (*nipc_vec_verdict_fn)(void *ctx, const nipc_vec_case *c, int encode,
                                    nipc_vec_status status, const char *message);

/* Loads every *.json file of dir (sorted by name) and runs every check against codec.
 * Writes TAP to tap (may be NULL): a plan, one "ok" / "not ok" / "ok ... # SKIP" line per
 * check named family/id-name[.encode] with its requirement IDs, and a summary comment.
 * Fills *report (may be NULL).
 * Returns 0 when no check failed and at least one passed, 1 when a check failed, 2 when
 * nothing failed but nothing passed either (every check skipped: nothing was verified; map
 * it to your runner's "skipped", e.g. CTest's SKIP_RETURN_CODE), -1 when the
 * vectors cannot be read (missing directory, no vector file, a file that is not JSON or
 * does not follow the schema): then no check runs and "Bail out!" names the file and the
 * problem. */
int nipc_vec_run(const char *dir, const nipc_vec_codec *codec, FILE *tap,
                 nipc_vec_report *report, nipc_vec_verdict_fn on_verdict, void *ctx);

/* The canonical HELLO_ACK rejection packet for a status name such as "AuthFailed" into
 * out[80]; returns 1, or 0 for an unknown name. */
int nipc_vec_rejection_packet(const char *status, unsigned char out[80]);

#ifdef __cplusplus
}
#endif

#endif /* NIPC_VECTORS_H */
