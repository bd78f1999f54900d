/* nipc_vectors: see nipc_vectors.h. */
#define _POSIX_C_SOURCE 200809L

#include "nipc_vectors.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- Growable text buffer ------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} buf;

static void buf_reserve(buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        fputs("nipc_vectors: out of memory\n", stderr);
        abort();
    }
    b->data = data;
    b->cap = cap;
}

static void buf_add(buf *b, const char *s, size_t n) {
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_vprintf(buf *b, const char *fmt, va_list ap) {
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n > 0) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

static void buf_printf(buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void buf_printf(buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fputs("nipc_vectors: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* ---- JSON reader ------------------------------------------------------------------------ */

#define NIPC_JSON_MAX_DEPTH 128

typedef struct {
    const char *s;
    size_t i, n;
    int depth;
    char *err;
    size_t errlen;
    int failed;
} parser;

static nipc_json *fail_at(parser *p, const char *what) {
    if (!p->failed) {
        size_t line = 1, col = 1;
        for (size_t k = 0; k < p->i && k < p->n; k++) {
            if (p->s[k] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        if (p->errlen)
            snprintf(p->err, p->errlen, "line %zu column %zu: %s", line, col, what);
        p->failed = 1;
    }
    return NULL;
}

static void skip_ws(parser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

static nipc_json *new_node(nipc_json_type type) {
    nipc_json *v = xcalloc(1, sizeof *v);
    v->type = type;
    return v;
}

static nipc_json *parse_value(parser *p);

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *p, unsigned long *out) {
    if (p->n - p->i < 4)
        return 0;
    unsigned long v = 0;
    for (int k = 0; k < 4; k++) {
        int d = hex_digit(p->s[p->i + (size_t)k]);
        if (d < 0)
            return 0;
        v = v * 16 + (unsigned long)d;
    }
    p->i += 4;
    *out = v;
    return 1;
}

static void add_utf8(buf *b, unsigned long cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_add(b, u, n);
}

/* Reads a string at p->i (on the opening quote) into *out; returns 0 on error. */
static int parse_string(parser *p, buf *out) {
    p->i++;
    for (;;) {
        size_t start = p->i;
        while (p->i < p->n && p->s[p->i] != '"' && p->s[p->i] != '\\' &&
               (unsigned char)p->s[p->i] >= 0x20)
            p->i++;
        buf_add(out, p->s + start, p->i - start);
        if (p->i >= p->n) {
            fail_at(p, "unterminated string");
            return 0;
        }
        char c = p->s[p->i];
        if (c == '"') {
            p->i++;
            if (!out->data)
                buf_add(out, "", 0);
            return 1;
        }
        if (c != '\\') {
            fail_at(p, "control character in string");
            return 0;
        }
        p->i++;
        if (p->i >= p->n) {
            fail_at(p, "unterminated string");
            return 0;
        }
        c = p->s[p->i++];
        switch (c) {
        case '"': buf_add(out, "\"", 1); break;
        case '\\': buf_add(out, "\\", 1); break;
        case '/': buf_add(out, "/", 1); break;
        case 'b': buf_add(out, "\b", 1); break;
        case 'f': buf_add(out, "\f", 1); break;
        case 'n': buf_add(out, "\n", 1); break;
        case 'r': buf_add(out, "\r", 1); break;
        case 't': buf_add(out, "\t", 1); break;
        case 'u': {
            unsigned long cp, low;
            if (!read_hex4(p, &cp)) {
                fail_at(p, "bad \\u escape");
                return 0;
            }
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') {
                    fail_at(p, "lone high surrogate");
                    return 0;
                }
                p->i += 2;
                if (!read_hex4(p, &low) || low < 0xDC00 || low >= 0xE000) {
                    fail_at(p, "bad low surrogate");
                    return 0;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                fail_at(p, "lone low surrogate");
                return 0;
            }
            add_utf8(out, cp);
            break;
        }
        default:
            p->i--;
            fail_at(p, "unknown escape");
            return 0;
        }
    }
}

static size_t digits(parser *p) {
    size_t from = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i - from;
}

static nipc_json *parse_number(parser *p) {
    size_t start = p->i;
    if (p->s[p->i] == '-')
        p->i++;
    size_t int_start = p->i;
    size_t n = digits(p);
    if (n == 0)
        return fail_at(p, "expected a digit");
    if (n > 1 && p->s[int_start] == '0') {
        p->i = int_start;
        return fail_at(p, "leading zero");
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (digits(p) == 0)
            return fail_at(p, "expected a digit after '.'");
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (digits(p) == 0)
            return fail_at(p, "expected a digit in the exponent");
    }
    nipc_json *v = new_node(NIPC_JSON_NUMBER);
    buf b = {0};
    buf_add(&b, p->s + start, p->i - start);
    v->text = b.data;
    v->text_len = b.len;
    return v;
}

static void push_member(nipc_json *v, size_t *cap, char *key, nipc_json *item) {
    if (v->count == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        nipc_json **items = realloc(v->items, *cap * sizeof *items);
        char **keys = v->type == NIPC_JSON_OBJECT ? realloc(v->keys, *cap * sizeof *keys) : NULL;
        if (!items || (v->type == NIPC_JSON_OBJECT && !keys)) {
            fputs("nipc_vectors: out of memory\n", stderr);
            abort();
        }
        v->items = items;
        if (keys)
            v->keys = keys;
    }
    if (v->type == NIPC_JSON_OBJECT)
        v->keys[v->count] = key;
    v->items[v->count++] = item;
}

static nipc_json *parse_container(parser *p, int object) {
    char close = object ? '}' : ']';
    nipc_json *v = new_node(object ? NIPC_JSON_OBJECT : NIPC_JSON_ARRAY);
    size_t cap = 0;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(p);
        if (object) {
            if (p->i >= p->n || p->s[p->i] != '"') {
                fail_at(p, "expected a string key");
                goto error;
            }
            size_t at = p->i;
            buf k = {0};
            if (!parse_string(p, &k)) {
                free(k.data);
                goto error;
            }
            key = k.data;
            if (nipc_json_get(v, key)) {
                free(key);
                p->i = at;
                fail_at(p, "duplicate key");
                goto error;
            }
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') {
                free(key);
                fail_at(p, "expected ':'");
                goto error;
            }
            p->i++;
            skip_ws(p);
        }
        nipc_json *item = parse_value(p);
        if (!item) {
            free(key);
            goto error;
        }
        push_member(v, &cap, key, item);
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            return v;
        }
        fail_at(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto error;
    }
error:
    nipc_json_free(v);
    return NULL;
}

static int match_word(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->n - p->i >= n && memcmp(p->s + p->i, word, n) == 0) {
        p->i += n;
        return 1;
    }
    return 0;
}

static nipc_json *parse_value(parser *p) {
    if (p->i >= p->n)
        return fail_at(p, "unexpected end of text");
    char c = p->s[p->i];
    if (c == '{' || c == '[') {
        if (p->depth == NIPC_JSON_MAX_DEPTH)
            return fail_at(p, "nesting too deep");
        p->depth++;
        nipc_json *v = parse_container(p, c == '{');
        p->depth--;
        return v;
    }
    if (c == '"') {
        buf b = {0};
        if (!parse_string(p, &b)) {
            free(b.data);
            return NULL;
        }
        nipc_json *v = new_node(NIPC_JSON_STRING);
        v->text = b.data;
        v->text_len = b.len;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p);
    if (match_word(p, "true") || match_word(p, "false")) {
        nipc_json *v = new_node(NIPC_JSON_BOOL);
        v->boolean = c == 't';
        return v;
    }
    if (match_word(p, "null"))
        return new_node(NIPC_JSON_NULL);
    return fail_at(p, "unexpected character");
}

nipc_json *nipc_json_parse(const char *text, size_t len, char *err, size_t errlen) {
    parser p = {text, 0, len, 0, err, errlen, 0};
    if (errlen)
        err[0] = '\0';
    skip_ws(&p);
    nipc_json *v = parse_value(&p);
    if (!v)
        return NULL;
    skip_ws(&p);
    if (p.i != p.n) {
        nipc_json_free(v);
        return fail_at(&p, "text after the JSON value");
    }
    return v;
}

void nipc_json_free(nipc_json *v) {
    if (!v)
        return;
    for (size_t k = 0; k < v->count; k++) {
        nipc_json_free(v->items[k]);
        if (v->keys)
            free(v->keys[k]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    free(v);
}

const nipc_json *nipc_json_get(const nipc_json *v, const char *key) {
    if (!v || v->type != NIPC_JSON_OBJECT)
        return NULL;
    for (size_t k = 0; k < v->count; k++)
        if (strcmp(v->keys[k], key) == 0)
            return v->items[k];
    return NULL;
}

int nipc_json_u64(const nipc_json *v, uint64_t *out) {
    if (!v || (v->type != NIPC_JSON_NUMBER && v->type != NIPC_JSON_STRING) || v->text_len == 0)
        return 0;
    uint64_t n = 0;
    for (size_t k = 0; k < v->text_len; k++) {
        char c = v->text[k];
        if (c < '0' || c > '9')
            return 0;
        unsigned d = (unsigned)(c - '0');
        if (n > (UINT64_MAX - d) / 10)
            return 0;
        n = n * 10 + d;
    }
    *out = n;
    return 1;
}

static int is_integer_text(const nipc_json *v) {
    return strpbrk(v->text, ".eE") == NULL;
}

int nipc_json_equal(const nipc_json *a, const nipc_json *b) {
    if (!a || !b || a->type != b->type)
        return 0;
    switch (a->type) {
    case NIPC_JSON_NULL:
        return 1;
    case NIPC_JSON_BOOL:
        return a->boolean == b->boolean;
    case NIPC_JSON_NUMBER: {
        /* JSON integers have no leading zeros, so equal values are equal texts (but -0). */
        if (is_integer_text(a) && is_integer_text(b)) {
            const char *x = strcmp(a->text, "-0") == 0 ? "0" : a->text;
            const char *y = strcmp(b->text, "-0") == 0 ? "0" : b->text;
            return strcmp(x, y) == 0;
        }
        return strtod(a->text, NULL) == strtod(b->text, NULL);
    }
    case NIPC_JSON_STRING:
        return a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
    case NIPC_JSON_ARRAY:
        if (a->count != b->count)
            return 0;
        for (size_t k = 0; k < a->count; k++)
            if (!nipc_json_equal(a->items[k], b->items[k]))
                return 0;
        return 1;
    case NIPC_JSON_OBJECT:
        if (a->count != b->count)
            return 0;
        for (size_t k = 0; k < a->count; k++)
            if (!nipc_json_equal(a->items[k], nipc_json_get(b, a->keys[k])))
                return 0;
        return 1;
    }
    return 0;
}

static void write_json_string(buf *b, const char *s, size_t n) {
    buf_add(b, "\"", 1);
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '"' || c == '\\') {
            buf_add(b, "\\", 1);
            buf_add(b, s + k, 1);
        } else if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_add(b, s + k, 1);
        }
    }
    buf_add(b, "\"", 1);
}

/* Compact JSON text of v, members in their written order. */
static void write_json(buf *b, const nipc_json *v) {
    if (!v) {
        buf_add(b, "(absent)", 8);
        return;
    }
    switch (v->type) {
    case NIPC_JSON_NULL: buf_add(b, "null", 4); break;
    case NIPC_JSON_BOOL: buf_printf(b, "%s", v->boolean ? "true" : "false"); break;
    case NIPC_JSON_NUMBER: buf_add(b, v->text, v->text_len); break;
    case NIPC_JSON_STRING: write_json_string(b, v->text, v->text_len); break;
    case NIPC_JSON_ARRAY:
    case NIPC_JSON_OBJECT:
        buf_add(b, v->type == NIPC_JSON_ARRAY ? "[" : "{", 1);
        for (size_t k = 0; k < v->count; k++) {
            if (k)
                buf_add(b, ",", 1);
            if (v->type == NIPC_JSON_OBJECT) {
                write_json_string(b, v->keys[k], strlen(v->keys[k]));
                buf_add(b, ":", 1);
            }
            write_json(b, v->items[k]);
        }
        buf_add(b, v->type == NIPC_JSON_ARRAY ? "]" : "}", 1);
        break;
    }
}

/* ---- Outcomes --------------------------------------------------------------------------- */

typedef enum { OUT_NONE, OUT_VALID, OUT_INVALID, OUT_ENCODED, OUT_UNSUPPORTED } out_kind;

struct nipc_vec_outcome {
    out_kind kind;
    buf text;     /* fields JSON, error class or reason */
    buf bytes;    /* encoded bytes or rejection packet */
    int has_packet;
};

static void outcome_reset(nipc_vec_outcome *out) {
    out->kind = OUT_NONE;
    out->text.len = 0;
    out->bytes.len = 0;
    out->has_packet = 0;
    if (out->text.data)
        out->text.data[0] = '\0';
}

void nipc_vec_valid(nipc_vec_outcome *out, const char *fields_format, ...) {
    va_list ap;
    outcome_reset(out);
    out->kind = OUT_VALID;
    va_start(ap, fields_format);
    buf_vprintf(&out->text, fields_format, ap);
    va_end(ap);
}

void nipc_vec_invalid(nipc_vec_outcome *out, const char *error_class) {
    outcome_reset(out);
    out->kind = OUT_INVALID;
    buf_add(&out->text, error_class, strlen(error_class));
}

void nipc_vec_rejected(nipc_vec_outcome *out, const char *error_class,
                       const unsigned char *packet, size_t len) {
    nipc_vec_invalid(out, error_class);
    buf_add(&out->bytes, (const char *)packet, len);
    out->has_packet = 1;
}

void nipc_vec_encoded(nipc_vec_outcome *out, const unsigned char *bytes, size_t len) {
    outcome_reset(out);
    out->kind = OUT_ENCODED;
    buf_add(&out->bytes, (const char *)bytes, len);
}

void nipc_vec_unsupported(nipc_vec_outcome *out, const char *reason) {
    outcome_reset(out);
    out->kind = OUT_UNSUPPORTED;
    buf_add(&out->text, reason, strlen(reason));
}

int nipc_vec_rejection_packet(const char *status, unsigned char out[80]) {
    static const char *const names[] = {"BadEnvelope", "AuthFailed", "Incompatible",
                                        "Unsupported", "LimitExceeded", "InternalError"};
    unsigned code = 0;
    for (unsigned k = 0; k < 6; k++)
        if (strcmp(status, names[k]) == 0)
            code = k + 1;
    if (!code)
        return 0;
    /* magic, version 1, header_len 32, kind CONTROL, flags 0, code HELLO_ACK, status,
       payload_len 48, item_count 1, message_id 0; payload: layout_version 1, then zeros. */
    static const unsigned char head[24] = {0x43, 0x50, 0x49, 0x4e, 1, 0, 32, 0, 3, 0, 0, 0,
                                           2,    0,    0,    0,    48, 0, 0, 0, 1, 0, 0, 0};
    memset(out, 0, 80);
    memcpy(out, head, sizeof head);
    out[14] = (unsigned char)code;
    out[32] = 1;
    return 1;
}

/* ---- Loading ---------------------------------------------------------------------------- */

typedef struct {
    nipc_vec_case c;
    const char **requirements, **flags;
    unsigned char *bytes, **packets;
    size_t *packet_lens;
} loaded_case;

typedef struct {
    char *path;
    nipc_json *doc;
    loaded_case *cases;
    size_t count;
} loaded_file;

static nipc_json empty_object = {NIPC_JSON_OBJECT, 0, NULL, 0, 0, NULL, NULL};

static int unhex(const nipc_json *v, unsigned char **out, size_t *len) {
    if (!v || v->type != NIPC_JSON_STRING || v->text_len % 2)
        return 0;
    *len = v->text_len / 2;
    *out = xcalloc(*len, 1);
    for (size_t k = 0; k < *len; k++) {
        int hi = hex_digit(v->text[2 * k]), lo = hex_digit(v->text[2 * k + 1]);
        if (hi < 0 || lo < 0 || (v->text[2 * k] >= 'A' && v->text[2 * k] <= 'F') ||
            (v->text[2 * k + 1] >= 'A' && v->text[2 * k + 1] <= 'F'))
            return 0;
        (*out)[k] = (unsigned char)(hi * 16 + lo);
    }
    return 1;
}

static const char **string_list(const nipc_json *v, size_t *count) {
    if (!v || v->type != NIPC_JSON_ARRAY)
        return NULL;
    const char **list = xcalloc(v->count, sizeof *list);
    for (size_t k = 0; k < v->count; k++) {
        if (v->items[k]->type != NIPC_JSON_STRING) {
            free(list);
            return NULL;
        }
        list[k] = v->items[k]->text;
    }
    *count = v->count;
    return list;
}

static const char *str_member(const nipc_json *v, const char *key) {
    const nipc_json *m = nipc_json_get(v, key);
    return m && m->type == NIPC_JSON_STRING ? m->text : NULL;
}

/* Fills lc from raw; returns NULL or what is wrong. */
static const char *make_case(loaded_case *lc, const char *path, const char *family,
                             const nipc_json *raw) {
    nipc_vec_case *c = &lc->c;
    uint64_t id;
    const nipc_json *idv = nipc_json_get(raw, "id");
    c->file = path;
    c->family = family;
    c->op = strcmp(family, "handshake_decide") == 0      ? "decide"
            : strcmp(family, "handshake_check_ack") == 0 ? "check_ack"
            : strcmp(family, "windows_names") == 0       ? "names"
                                                         : "decode";
    c->name = str_member(raw, "name");
    c->comment = str_member(raw, "comment");
    c->result = str_member(raw, "result");
    lc->requirements = string_list(nipc_json_get(raw, "requirements"), &c->requirement_count);
    lc->flags = string_list(nipc_json_get(raw, "flags"), &c->flag_count);
    c->requirements = lc->requirements;
    c->flags = lc->flags;
    if (!idv || idv->type != NIPC_JSON_NUMBER || !nipc_json_u64(idv, &id) || id > 0x7fffffff ||
        !c->name || !lc->requirements || !lc->flags)
        return "id, name, requirements or flags missing";
    c->id = (long)id;
    if (!c->comment)
        c->comment = "";
    c->fields = nipc_json_get(raw, "fields");
    c->error = str_member(raw, "error");
    c->context = nipc_json_get(raw, "context");
    if (!c->context)
        c->context = &empty_object;
    if (!c->result || (strcmp(c->result, "valid") && strcmp(c->result, "invalid") &&
                       strcmp(c->result, "acceptable")))
        return "result missing or not valid, invalid or acceptable";
    if (strcmp(c->result, "valid") == 0 && (!c->fields || c->fields->type != NIPC_JSON_OBJECT))
        return "a valid case needs fields";
    if (strcmp(c->result, "invalid") == 0 && !c->error)
        return "an invalid case needs error";
    const nipc_json *hex = nipc_json_get(raw, "hex"), *packets = nipc_json_get(raw, "packets");
    if (hex && packets)
        return "both hex and packets";
    if (hex) {
        c->has_bytes = 1;
        if (!unhex(hex, &lc->bytes, &c->len))
            return "hex: not lower-case hex pairs";
        c->bytes = lc->bytes;
    }
    if (packets) {
        if (packets->type != NIPC_JSON_ARRAY)
            return "packets: not a list of hex strings";
        lc->packets = xcalloc(packets->count, sizeof *lc->packets);
        lc->packet_lens = xcalloc(packets->count, sizeof *lc->packet_lens);
        c->packet_count = packets->count;
        for (size_t k = 0; k < packets->count; k++)
            if (!unhex(packets->items[k], &lc->packets[k], &lc->packet_lens[k]))
                return "packets: not a list of hex strings";
        c->packets = (const unsigned char *const *)lc->packets;
        c->packet_lens = lc->packet_lens;
    }
    return NULL;
}

static void free_file(loaded_file *f) {
    for (size_t k = 0; k < f->count; k++) {
        loaded_case *lc = &f->cases[k];
        free(lc->requirements);
        free(lc->flags);
        free(lc->bytes);
        for (size_t j = 0; lc->packets && j < lc->c.packet_count; j++)
            free(lc->packets[j]);
        free(lc->packets);
        free(lc->packet_lens);
    }
    free(f->cases);
    nipc_json_free(f->doc);
    free(f->path);
}

/* Loads one file into f; returns 0 and writes the problem to why on failure. */
static int load_file(loaded_file *f, buf *why) {
    FILE *fp = fopen(f->path, "rb");
    buf text = {0};
    char err[160];
    if (!fp) {
        buf_printf(why, "%s: cannot read", f->path);
        return 0;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        buf_add(&text, chunk, n);
    int read_error = ferror(fp);
    fclose(fp);
    if (read_error) {
        free(text.data);
        buf_printf(why, "%s: cannot read", f->path);
        return 0;
    }
    f->doc = nipc_json_parse(text.data ? text.data : "", text.len, err, sizeof err);
    free(text.data);
    if (!f->doc) {
        buf_printf(why, "%s: cannot read: %s", f->path, err);
        return 0;
    }
    uint64_t version = 0;
    const nipc_json *sv = nipc_json_get(f->doc, "schema_version");
    if (!sv || sv->type != NIPC_JSON_NUMBER || !nipc_json_u64(sv, &version) || version != 1) {
        buf_printf(why, "%s: schema_version %s, this harness reads 1", f->path,
                   sv && sv->type == NIPC_JSON_NUMBER ? sv->text : "missing");
        return 0;
    }
    const char *family = str_member(f->doc, "family");
    const nipc_json *cases = nipc_json_get(f->doc, "cases");
    if (!family || !cases || cases->type != NIPC_JSON_ARRAY || cases->count == 0) {
        buf_printf(why, "%s: no family or no cases", f->path);
        return 0;
    }
    /* Session vectors ("input": "steps") are conversations nipc-peer replays against a live
     * implementation; they hold no decoder case of their own. */
    const char *input = str_member(f->doc, "input");
    if (input && strcmp(input, "steps") == 0)
        return 1;
    f->cases = xcalloc(cases->count, sizeof *f->cases);
    for (size_t k = 0; k < cases->count; k++) {
        f->count = k + 1;
        const char *problem = make_case(&f->cases[k], f->path, family, cases->items[k]);
        if (problem) {
            buf_printf(why, "%s: case %zu: %s", f->path, k + 1, problem);
            return 0;
        }
    }
    return 1;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists dir's *.json paths, sorted; returns the count, or 0 with the problem in why. */
static size_t list_files(const char *dir, char ***paths, buf *why) {
    DIR *d = opendir(dir);
    size_t count = 0, cap = 0;
    *paths = NULL;
    if (!d) {
        buf_printf(why, "%s: not a directory", dir);
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(*paths, cap * sizeof *grown);
            if (!grown)
                abort();
            *paths = grown;
        }
        buf p = {0};
        buf_printf(&p, "%s/%s", dir, e->d_name);
        (*paths)[count++] = p.data;
    }
    closedir(d);
    if (count == 0)
        buf_printf(why, "%s: no *.json vector files", dir);
    else
        qsort(*paths, count, sizeof **paths, compare_names);
    return count;
}

/* ---- Judging ---------------------------------------------------------------------------- */

int nipc_vec_case_has_flag(const nipc_vec_case *c, const char *flag) {
    for (size_t k = 0; k < c->flag_count; k++)
        if (strcmp(c->flags[k], flag) == 0)
            return 1;
    return 0;
}

static const nipc_vec_family_fns *find_family(const nipc_vec_codec *codec, const char *family) {
    for (size_t k = 0; k < codec->family_count; k++)
        if (codec->families[k].family && strcmp(codec->families[k].family, family) == 0)
            return &codec->families[k];
    return NULL;
}

static void add_hex(buf *b, const unsigned char *p, size_t n) {
    for (size_t k = 0; k < n; k++)
        buf_printf(b, "%02x", p[k]);
}

/* Compares the fields text a decoder gave with the case's; returns PASS or FAIL with msg. */
static nipc_vec_status compare_fields(const nipc_vec_case *c, const nipc_vec_outcome *out, buf *msg) {
    char err[160];
    nipc_json *got = nipc_json_parse(out->text.data ? out->text.data : "", out->text.len, err,
                                     sizeof err);
    nipc_vec_status status = NIPC_VEC_PASS;
    if (!got) {
        buf_printf(msg, "the fields are not JSON (%s): %s", err,
                   out->text.data ? out->text.data : "");
        return NIPC_VEC_FAIL;
    }
    if (!nipc_json_equal(c->fields, got)) {
        status = NIPC_VEC_FAIL;
        /* Name the first key that differs: most fields objects are flat. */
        const char *key = NULL;
        if (got->type == NIPC_JSON_OBJECT) {
            for (size_t k = 0; !key && k < c->fields->count; k++)
                if (!nipc_json_equal(c->fields->items[k], nipc_json_get(got, c->fields->keys[k])))
                    key = c->fields->keys[k];
            for (size_t k = 0; !key && k < got->count; k++)
                if (!nipc_json_get(c->fields, got->keys[k]))
                    key = got->keys[k];
        }
        if (key) {
            buf_printf(msg, "fields differ at \"%s\": expected ", key);
            write_json(msg, nipc_json_get(c->fields, key));
            buf_add(msg, ", got ", 6);
            write_json(msg, nipc_json_get(got, key));
        } else {
            buf_add(msg, "fields differ: expected ", 24);
            write_json(msg, c->fields);
            buf_add(msg, ", got ", 6);
            write_json(msg, got);
        }
    }
    nipc_json_free(got);
    return status;
}

static nipc_vec_status judge_decode(const nipc_vec_case *c, const nipc_vec_outcome *out,
                                    int lenient, buf *msg) {
    const char *err = out->text.data ? out->text.data : "";
    switch (out->kind) {
    case OUT_UNSUPPORTED:
        buf_printf(msg, "%s", err);
        return NIPC_VEC_SKIP;
    case OUT_NONE:
        buf_printf(msg, "the decode callback set no outcome");
        return NIPC_VEC_FAIL;
    case OUT_ENCODED:
        buf_printf(msg, "the decode callback answered encoded bytes, not valid or invalid");
        return NIPC_VEC_FAIL;
    case OUT_VALID:
    case OUT_INVALID:
        break;
    }
    if (out->kind == OUT_INVALID && out->has_packet && strcmp(c->family, "handshake_decide") == 0 &&
        c->error && strncmp(c->error, "Status", 6) == 0) {
        unsigned char want[80];
        if (nipc_vec_rejection_packet(c->error + 6, want) &&
            (out->bytes.len != 80 || memcmp(out->bytes.data, want, 80) != 0)) {
            buf_add(msg, "rejection packet ", 17);
            add_hex(msg, (const unsigned char *)out->bytes.data, out->bytes.len);
            buf_add(msg, ", expected ", 11);
            add_hex(msg, want, 80);
            return NIPC_VEC_FAIL;
        }
    }
    if (strcmp(c->result, "valid") == 0) {
        if (out->kind == OUT_INVALID) {
            buf_printf(msg, "rejected a valid case with %s", err);
            return NIPC_VEC_FAIL;
        }
        return compare_fields(c, out, msg);
    }
    if (strcmp(c->result, "invalid") == 0) {
        if (out->kind == OUT_VALID) {
            buf_printf(msg, "accepted an invalid case (expected %s)", c->error);
            return NIPC_VEC_FAIL;
        }
        if (strcmp(err, c->error) == 0)
            return NIPC_VEC_PASS;
        if (lenient) {
            buf_printf(msg, "rejected with %s (expected class %s)", err, c->error);
            return NIPC_VEC_PASS;
        }
        buf_printf(msg, "rejected with %s, expected %s", err, c->error);
        return NIPC_VEC_FAIL;
    }
    /* acceptable: either verdict, but an acceptance must decode the reference's fields */
    if (out->kind == OUT_VALID && c->fields && compare_fields(c, out, msg) == NIPC_VEC_FAIL)
        return NIPC_VEC_FAIL;
    if (out->kind == OUT_VALID)
        buf_printf(msg, "acceptable: accepted");
    else
        buf_printf(msg, "acceptable: rejected with %s", err);
    return NIPC_VEC_PASS;
}

static nipc_vec_status judge_encode(const nipc_vec_case *c, const nipc_vec_outcome *out, buf *msg) {
    switch (out->kind) {
    case OUT_UNSUPPORTED:
        buf_printf(msg, "%s", out->text.data ? out->text.data : "");
        return NIPC_VEC_SKIP;
    case OUT_INVALID:
        buf_printf(msg, "the encoder refused the fields: %s", out->text.data);
        return NIPC_VEC_FAIL;
    case OUT_ENCODED:
        if (out->bytes.len == c->len && (c->len == 0 || memcmp(out->bytes.data, c->bytes, c->len) == 0))
            return NIPC_VEC_PASS;
        buf_add(msg, "encoded ", 8);
        add_hex(msg, (const unsigned char *)out->bytes.data, out->bytes.len);
        buf_add(msg, ", expected ", 11);
        add_hex(msg, c->bytes, c->len);
        return NIPC_VEC_FAIL;
    case OUT_NONE:
    case OUT_VALID:
        break;
    }
    buf_printf(msg, "the encode callback set no encoded bytes");
    return NIPC_VEC_FAIL;
}

typedef struct {
    FILE *tap;
    size_t number;
    nipc_vec_report *report;
    nipc_vec_verdict_fn on_verdict;
    void *ctx;
} emitter;

static void emit(emitter *e, const nipc_vec_case *c, int encode, nipc_vec_status status,
                 const char *message) {
    e->number++;
    if (status == NIPC_VEC_PASS)
        e->report->passed++;
    else if (status == NIPC_VEC_FAIL)
        e->report->failed++;
    else
        e->report->skipped++;
    if (e->tap) {
        fprintf(e->tap, "%s %zu - %s/%ld-%s%s [", status == NIPC_VEC_FAIL ? "not ok" : "ok",
                e->number, c->family, c->id, c->name, encode ? ".encode" : "");
        for (size_t k = 0; k < c->requirement_count; k++)
            fprintf(e->tap, "%s%s", k ? "," : "", c->requirements[k]);
        fputs("]", e->tap);
        if (status == NIPC_VEC_SKIP)
            fprintf(e->tap, " # SKIP %s", message);
        else if (message[0])
            fprintf(e->tap, ": %s", message);
        fputs("\n", e->tap);
    }
    if (e->on_verdict)
        e->on_verdict(e->ctx, c, encode, status, message);
}

static void run_case(emitter *e, const nipc_vec_codec *codec, const nipc_vec_case *c,
                     nipc_vec_outcome *out) {
    const nipc_vec_family_fns *fns = find_family(codec, c->family);
    buf msg = {0};
    buf_add(&msg, "", 0);
    nipc_vec_status status;
    outcome_reset(out);
    if (!fns || !fns->decode) {
        buf_printf(&msg, "no decoder for family %s", c->family);
        status = NIPC_VEC_SKIP;
    } else {
        fns->decode(codec->user, c, out);
        status = judge_decode(c, out, codec->lenient_errors, &msg);
    }
    emit(e, c, 0, status, msg.data);
    if (c->has_bytes && strcmp(c->result, "valid") == 0 && nipc_vec_case_has_flag(c, "Canonical")) {
        msg.len = 0;
        msg.data[0] = '\0';
        outcome_reset(out);
        if (!fns || !fns->encode) {
            buf_printf(&msg, "no encoder for family %s", c->family);
            status = NIPC_VEC_SKIP;
        } else {
            fns->encode(codec->user, c, out);
            status = judge_encode(c, out, &msg);
        }
        emit(e, c, 1, status, msg.data);
    }
    free(msg.data);
}

int nipc_vec_run(const char *dir, const nipc_vec_codec *codec, FILE *tap,
                 nipc_vec_report *report, nipc_vec_verdict_fn on_verdict, void *ctx) {
    nipc_vec_report local = {0, 0, 0};
    char **paths = NULL;
    buf why = {0};
    size_t nfiles = list_files(dir, &paths, &why);
    loaded_file *files = xcalloc(nfiles, sizeof *files);
    int ok = nfiles > 0;
    size_t checks = 0;
    for (size_t k = 0; ok && k < nfiles; k++) {
        files[k].path = paths[k];
        paths[k] = NULL;
        ok = load_file(&files[k], &why);
        for (size_t j = 0; ok && j < files[k].count; j++) {
            const nipc_vec_case *c = &files[k].cases[j].c;
            checks += (c->has_bytes && strcmp(c->result, "valid") == 0 &&
                       nipc_vec_case_has_flag(c, "Canonical")) ? 2u : 1u;
        }
    }
    if (!report)
        report = &local;
    memset(report, 0, sizeof *report);
    if (ok) {
        emitter e = {tap, 0, report, on_verdict, ctx};
        nipc_vec_outcome out;
        memset(&out, 0, sizeof out);
        if (tap)
            fprintf(tap, "1..%zu\n", checks);
        for (size_t k = 0; k < nfiles; k++)
            for (size_t j = 0; j < files[k].count; j++)
                run_case(&e, codec, &files[k].cases[j].c, &out);
        free(out.text.data);
        free(out.bytes.data);
        if (tap)
            fprintf(tap, "# netipc vectors: %zu passed, %zu failed, %zu skipped\n", report->passed,
                    report->failed, report->skipped);
    } else if (tap) {
        fprintf(tap, "Bail out! netipc vectors: %s\n", why.data);
    }
    for (size_t k = 0; k < nfiles; k++) {
        free(paths[k]);
        free_file(&files[k]);
    }
    free(files);
    free(paths);
    free(why.data);
    if (!ok)
        return -1;
    return report->failed ? 1 : report->passed ? 0 : 2;
}
