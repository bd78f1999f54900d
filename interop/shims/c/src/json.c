#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t len, pos;
    int depth;
    const char *err;
} parser_t;

static void skip_ws(parser_t *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static jval_t *new_val(jtype_t t) {
    jval_t *v = calloc(1, sizeof(*v));
    if (v) v->type = t;
    return v;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void put_utf8(char *out, size_t *n, uint32_t cp) {
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static bool parse_hex4(parser_t *p, uint32_t *out) {
    if (p->pos + 4 > p->len) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + i]);
        if (h < 0) return false;
        v = v * 16 + (uint32_t)h;
    }
    p->pos += 4;
    *out = v;
    return true;
}

static char *parse_string_raw(parser_t *p, size_t *out_len) {
    if (p->pos >= p->len || p->s[p->pos] != '"') { p->err = "expected a string"; return NULL; }
    p->pos++;
    char *out = malloc(p->len - p->pos + 1);
    if (!out) { p->err = "out of memory"; return NULL; }
    size_t n = 0;
    while (p->pos < p->len) {
        char c = p->s[p->pos++];
        if (c == '"') {
            out[n] = 0;
            *out_len = n;
            return out;
        }
        if (c != '\\') { out[n++] = c; continue; }
        if (p->pos >= p->len) break;
        char e = p->s[p->pos++];
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (!parse_hex4(p, &cp)) { free(out); p->err = "bad \\u escape"; return NULL; }
            if (cp >= 0xD800 && cp < 0xDC00 && p->pos + 6 <= p->len && p->s[p->pos] == '\\' &&
                p->s[p->pos + 1] == 'u') {
                uint32_t lo;
                p->pos += 2;
                if (!parse_hex4(p, &lo)) { free(out); p->err = "bad \\u escape"; return NULL; }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(out, &n, cp);
            break;
        }
        default: free(out); p->err = "bad escape"; return NULL;
        }
    }
    free(out);
    p->err = "unterminated string";
    return NULL;
}

static jval_t *parse_value(parser_t *p);

static bool push(jval_t *v, char *key, jval_t *item) {
    jval_t **items = realloc(v->items, (v->count + 1) * sizeof(*items));
    if (!items) return false;
    v->items = items;
    if (v->type == JOBJ) {
        char **keys = realloc(v->keys, (v->count + 1) * sizeof(*keys));
        if (!keys) return false;
        v->keys = keys;
        v->keys[v->count] = key;
    }
    v->items[v->count++] = item;
    return true;
}

static jval_t *parse_value(parser_t *p) {
    skip_ws(p);
    if (p->pos >= p->len) { p->err = "unexpected end"; return NULL; }
    if (++p->depth > 64) { p->err = "nested too deeply"; return NULL; }
    char c = p->s[p->pos];
    jval_t *v = NULL;
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        v = new_val(obj ? JOBJ : JARR);
        if (!v) { p->err = "out of memory"; return NULL; }
        p->pos++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
            p->pos++;
        } else {
            for (;;) {
                char *key = NULL;
                if (obj) {
                    skip_ws(p);
                    size_t kl;
                    key = parse_string_raw(p, &kl);
                    if (!key) { json_free(v); return NULL; }
                    skip_ws(p);
                    if (p->pos >= p->len || p->s[p->pos] != ':') {
                        free(key); json_free(v); p->err = "expected ':'"; return NULL;
                    }
                    p->pos++;
                }
                jval_t *item = parse_value(p);
                if (!item || !push(v, key, item)) {
                    free(key); json_free(item); json_free(v);
                    if (!p->err) p->err = "out of memory";
                    return NULL;
                }
                skip_ws(p);
                if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
                if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) { p->pos++; break; }
                json_free(v);
                p->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
                return NULL;
            }
        }
    } else if (c == '"') {
        v = new_val(JSTR);
        if (!v) { p->err = "out of memory"; return NULL; }
        v->text = parse_string_raw(p, &v->text_len);
        if (!v->text) { free(v); return NULL; }
    } else if (c == 't' && p->len - p->pos >= 4 && !memcmp(p->s + p->pos, "true", 4)) {
        v = new_val(JBOOL); if (v) v->b = true; p->pos += 4;
    } else if (c == 'f' && p->len - p->pos >= 5 && !memcmp(p->s + p->pos, "false", 5)) {
        v = new_val(JBOOL); p->pos += 5;
    } else if (c == 'n' && p->len - p->pos >= 4 && !memcmp(p->s + p->pos, "null", 4)) {
        v = new_val(JNULL); p->pos += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start = p->pos;
        while (p->pos < p->len && strchr("+-0123456789.eE", p->s[p->pos])) p->pos++;
        v = new_val(JNUM);
        if (v) {
            v->text_len = p->pos - start;
            v->text = malloc(v->text_len + 1);
            if (!v->text) { free(v); v = NULL; }
            else { memcpy(v->text, p->s + start, v->text_len); v->text[v->text_len] = 0; }
        }
    } else {
        p->err = "unexpected character";
        return NULL;
    }
    if (!v && !p->err) p->err = "out of memory";
    p->depth--;
    return v;
}

jval_t *json_parse(const char *s, size_t len, char *err, size_t err_size) {
    parser_t p = {s, len, 0, 0, NULL};
    jval_t *v = parse_value(&p);
    if (v) {
        skip_ws(&p);
        if (p.pos != p.len) { json_free(v); v = NULL; p.err = "trailing text after the value"; }
    }
    if (!v && err) snprintf(err, err_size, "not JSON: %s at byte %zu", p.err ? p.err : "?", p.pos);
    return v;
}

void json_free(jval_t *v) {
    if (!v) return;
    for (size_t i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    free(v);
}

const jval_t *json_get(const jval_t *o, const char *key) {
    if (!o || o->type != JOBJ) return NULL;
    for (size_t i = 0; i < o->count; i++)
        if (!strcmp(o->keys[i], key)) return o->items[i];
    return NULL;
}

bool json_u64(const jval_t *v, uint64_t *out) {
    if (!v || (v->type != JNUM && v->type != JSTR) || v->text_len == 0) return false;
    uint64_t r = 0;
    for (size_t i = 0; i < v->text_len; i++) {
        char c = v->text[i];
        if (c < '0' || c > '9') return false;
        if (r > (UINT64_MAX - (uint64_t)(c - '0')) / 10) return false;
        r = r * 10 + (uint64_t)(c - '0');
    }
    *out = r;
    return true;
}

/* ---- writer ---- */

static void jb_put(jbuf_t *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { fprintf(stderr, "netipc-shim-c: out of memory\n"); exit(3); }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void jb_init(jbuf_t *b) { memset(b, 0, sizeof(*b)); jb_put(b, "", 0); }
void jb_free(jbuf_t *b) { free(b->p); memset(b, 0, sizeof(*b)); }
void jb_raw(jbuf_t *b, const char *s) { jb_put(b, s, strlen(s)); }

static void value_sep(jbuf_t *b) {
    if (b->need_comma) jb_put(b, ",", 1);
    b->need_comma = true;
}

void jb_obj_begin(jbuf_t *b) { value_sep(b); jb_put(b, "{", 1); b->need_comma = false; }
void jb_obj_end(jbuf_t *b) { jb_put(b, "}", 1); b->need_comma = true; }
void jb_arr_begin(jbuf_t *b) { value_sep(b); jb_put(b, "[", 1); b->need_comma = false; }
void jb_arr_end(jbuf_t *b) { jb_put(b, "]", 1); b->need_comma = true; }

static void put_quoted(jbuf_t *b, const char *s, size_t n) {
    jb_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; jb_put(b, esc, 2); }
        else if (c < 0x20) { snprintf(esc, sizeof(esc), "\\u%04x", c); jb_put(b, esc, 6); }
        else jb_put(b, (const char *)&s[i], 1);
    }
    jb_put(b, "\"", 1);
}

void jb_key(jbuf_t *b, const char *key) {
    value_sep(b);
    put_quoted(b, key, strlen(key));
    jb_put(b, ":", 1);
    b->need_comma = false;
}

void jb_strn(jbuf_t *b, const char *s, size_t n) { value_sep(b); put_quoted(b, s, n); }
void jb_str(jbuf_t *b, const char *s) { jb_strn(b, s, strlen(s)); }

void jb_u64(jbuf_t *b, uint64_t v) {
    char t[32];
    value_sep(b);
    snprintf(t, sizeof(t), "%" PRIu64, v);
    jb_raw(b, t);
}

void jb_f64(jbuf_t *b, double v) {
    char t[64];
    value_sep(b);
    snprintf(t, sizeof(t), "%.6f", v);
    jb_raw(b, t);
}

void jb_u64str(jbuf_t *b, uint64_t v) {
    char t[32];
    snprintf(t, sizeof(t), "%" PRIu64, v);
    jb_str(b, t);
}

void jb_bool(jbuf_t *b, bool v) { value_sep(b); jb_raw(b, v ? "true" : "false"); }
void jb_null(jbuf_t *b) { value_sep(b); jb_raw(b, "null"); }

void jb_hex(jbuf_t *b, const void *data, size_t n) {
    static const char digits[] = "0123456789abcdef";
    const unsigned char *d = data;
    value_sep(b);
    jb_put(b, "\"", 1);
    char pair[2];
    for (size_t i = 0; i < n; i++) {
        pair[0] = digits[d[i] >> 4];
        pair[1] = digits[d[i] & 15];
        jb_put(b, pair, 2);
    }
    jb_put(b, "\"", 1);
}
