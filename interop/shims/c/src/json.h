/* Minimal JSON for the shim: a reader for the codec testee's requests and a writer for
 * every line the shim prints. Numbers keep their text so 64-bit values survive intact. */
#ifndef SHIM_JSON_H
#define SHIM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { JNULL, JBOOL, JNUM, JSTR, JARR, JOBJ } jtype_t;

typedef struct jval {
    jtype_t type;
    bool b;
    char *text;          /* JNUM: the literal; JSTR: decoded bytes (NUL-terminated) */
    size_t text_len;
    struct jval **items; /* JARR: elements; JOBJ: values */
    char **keys;         /* JOBJ: keys */
    size_t count;
} jval_t;

/* Parses `len` bytes; returns NULL (and a message in err) when the text is not JSON.
 * The caller owns the tree and frees it with json_free. */
jval_t *json_parse(const char *s, size_t len, char *err, size_t err_size);
void json_free(jval_t *v);
/* Member of an object, or NULL when absent or `o` is not an object. */
const jval_t *json_get(const jval_t *o, const char *key);
/* Reads a non-negative integer from a number or a decimal string; false when it is neither
 * or does not fit 64 bits. */
bool json_u64(const jval_t *v, uint64_t *out);

/* A growing output buffer. */
typedef struct {
    char *p;
    size_t len, cap;
    bool need_comma;
} jbuf_t;

void jb_init(jbuf_t *b);
void jb_free(jbuf_t *b);
void jb_raw(jbuf_t *b, const char *s);
void jb_obj_begin(jbuf_t *b);
void jb_obj_end(jbuf_t *b);
void jb_arr_begin(jbuf_t *b);
void jb_arr_end(jbuf_t *b);
void jb_key(jbuf_t *b, const char *key);         /* emits "key": (with a comma if needed) */
void jb_str(jbuf_t *b, const char *s);            /* a string value */
void jb_strn(jbuf_t *b, const char *s, size_t n);
void jb_u64(jbuf_t *b, uint64_t v);
void jb_f64(jbuf_t *b, double v);                /* a finite number, six decimals */
void jb_u64str(jbuf_t *b, uint64_t v);            /* a 64-bit value as a decimal string */
void jb_bool(jbuf_t *b, bool v);
void jb_null(jbuf_t *b);
void jb_hex(jbuf_t *b, const void *data, size_t n); /* a string of lower-case hex digits */

#endif
