/* The codec testee (vectors/README.md, "Replaying them through netipc-cts"): every decode
 * and encode goes through the library's public codec functions of netipc_protocol.h. The
 * library's error codes are coarser than the suite's classes; each is mapped once, per
 * family, to the class it implies (no second look at the bytes). */
#include "handshake_probe.h"
#include "json.h"
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>

#include "netipc/netipc_named_pipe.h"
#endif

typedef struct {
    const char *family;
    const char *error; /* invalid: the class */
    jbuf_t out;        /* valid: the answer object being built */
} answer_t;

/* ---- helpers ---- */

static int hexnib(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes a hex string into a fresh buffer (never NULL on success, even when empty). */
static uint8_t *unhex(const jval_t *v, size_t *len) {
    if (!v || v->type != JSTR || v->text_len % 2) return NULL;
    uint8_t *b = malloc(v->text_len / 2 + 1);
    if (!b) return NULL;
    for (size_t i = 0; i < v->text_len / 2; i++) {
        int h = hexnib(v->text[2 * i]), l = hexnib(v->text[2 * i + 1]);
        if (h < 0 || l < 0) { free(b); return NULL; }
        b[i] = (uint8_t)(h * 16 + l);
    }
    *len = v->text_len / 2;
    return b;
}

static bool get_u32(const jval_t *o, const char *k, uint32_t *out) {
    uint64_t v;
    if (!json_u64(json_get(o, k), &v) || v > UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

static bool get_u16(const jval_t *o, const char *k, uint16_t *out) {
    uint64_t v;
    if (!json_u64(json_get(o, k), &v) || v > UINT16_MAX) return false;
    *out = (uint16_t)v;
    return true;
}

static bool get_u64(const jval_t *o, const char *k, uint64_t *out) {
    return json_u64(json_get(o, k), out);
}

typedef struct { nipc_error_t code; const char *cls; } errmap_t;

static const char *map_err(const errmap_t *m, nipc_error_t e) {
    for (; m->cls; m++)
        if (m->code == e) return m->cls;
    return "Unknown";
}

static const errmap_t ERR_HEADER[] = {
    {NIPC_ERR_TRUNCATED, "HeaderTruncated"}, {NIPC_ERR_BAD_MAGIC, "HeaderBadMagic"},
    {NIPC_ERR_BAD_VERSION, "HeaderBadVersion"}, {NIPC_ERR_BAD_HEADER_LEN, "HeaderBadHeaderLen"},
    {NIPC_ERR_BAD_KIND, "HeaderBadKind"}, {0, NULL}};
static const errmap_t ERR_CHUNK[] = {
    {NIPC_ERR_TRUNCATED, "ChunkTruncated"}, {NIPC_ERR_BAD_MAGIC, "ChunkBadMagic"},
    {NIPC_ERR_BAD_VERSION, "ChunkBadVersion"}, {NIPC_ERR_BAD_LAYOUT, "ChunkNonzeroFlags"},
    {0, NULL}};
static const errmap_t ERR_HELLO[] = {
    {NIPC_ERR_TRUNCATED, "HelloTruncated"}, {NIPC_ERR_BAD_LAYOUT, "HelloBadLayout"}, {0, NULL}};
static const errmap_t ERR_ACK[] = {
    {NIPC_ERR_TRUNCATED, "AckTruncated"}, {NIPC_ERR_BAD_LAYOUT, "AckBadLayout"}, {0, NULL}};
static const errmap_t ERR_BATCH[] = {
    {NIPC_ERR_TRUNCATED, "BatchDirectoryTruncated"},
    {NIPC_ERR_BAD_ITEM_COUNT, "BatchDirectoryTruncated"},
    {NIPC_ERR_BAD_ALIGNMENT, "BatchMisalignedOffset"},
    {NIPC_ERR_OUT_OF_BOUNDS, "BatchItemOutOfBounds"}, {0, NULL}};
static const errmap_t ERR_INC[] = {{NIPC_ERR_TRUNCATED, "IncrementTruncated"}, {0, NULL}};
static const errmap_t ERR_STR[] = {
    {NIPC_ERR_TRUNCATED, "StringTruncated"}, {NIPC_ERR_BAD_LAYOUT, "StringBadOffset"},
    {NIPC_ERR_OUT_OF_BOUNDS, "StringOutOfBounds"}, {NIPC_ERR_MISSING_NUL, "StringMissingNul"},
    {0, NULL}};
static const errmap_t ERR_SNREQ[] = {
    {NIPC_ERR_TRUNCATED, "SnapshotRequestTruncated"},
    {NIPC_ERR_BAD_LAYOUT, "SnapshotRequestBadLayout"}, {0, NULL}};
static const errmap_t ERR_SNAP[] = {
    {NIPC_ERR_TRUNCATED, "SnapshotTruncated"}, {NIPC_ERR_BAD_LAYOUT, "SnapshotBadLayout"},
    {NIPC_ERR_BAD_ITEM_COUNT, "SnapshotDirectoryTruncated"},
    {NIPC_ERR_BAD_ALIGNMENT, "SnapshotMisalignedOffset"},
    {NIPC_ERR_OUT_OF_BOUNDS, "SnapshotItemOutOfBounds"}, {0, NULL}};
static const errmap_t ERR_SNAP_ITEM[] = {
    {NIPC_ERR_TRUNCATED, "SnapshotItemTruncated"}, {NIPC_ERR_BAD_LAYOUT, "SnapshotItemBadLayout"},
    {NIPC_ERR_BAD_ITEM_COUNT, "SnapshotItemOutOfBounds"},
    {NIPC_ERR_BAD_ALIGNMENT, "SnapshotMisalignedOffset"},
    {NIPC_ERR_OUT_OF_BOUNDS, "SnapshotStringOutOfBounds"},
    {NIPC_ERR_MISSING_NUL, "SnapshotStringMissingNul"}, {0, NULL}};

static const char *FAMILIES[] = {"outer_header", "chunk_header", "hello", "hello_ack", "batch",
                                 "increment", "string_reverse", "cgroups_snapshot_request",
                                 "cgroups_snapshot_response",
#if SHIM_HAVE_LOOKUP_METHODS
                                 "cgroups_lookup_request", "cgroups_lookup_response",
                                 "apps_lookup_request", "apps_lookup_response",
#endif
                                 NULL};

#if SHIM_HAVE_LOOKUP_METHODS
/* The library reports the lookup rules with a few generic errors; each is named by the class
 * of the first rule (spec/lookup.md, validation order) that can raise it. Truncation below
 * the 16-byte header and truncation of the directory share NIPC_ERR_TRUNCATED: the payload
 * length tells them apart. Replays of these families are meaningful with --lenient-errors. */
static const char *lookup_class(nipc_error_t e, size_t n, bool request) {
    switch (e) {
    case NIPC_ERR_TRUNCATED: return n < 16 ? "LookupTruncated" : "LookupDirectoryTruncated";
    case NIPC_ERR_BAD_LAYOUT: return "LookupBadLayout";
    case NIPC_ERR_BAD_ITEM_COUNT: return "LookupDirectoryTruncated";
    case NIPC_ERR_BAD_ALIGNMENT: return "LookupMisalignedOffset";
    case NIPC_ERR_OUT_OF_BOUNDS: return "LookupEntryOutOfBounds";
    case NIPC_ERR_MISSING_NUL: return request ? "CgroupsKeyMissingNul" : "LookupStringMissingNul";
    default: return "LookupBadLayout";
    }
}

typedef nipc_error_t (*label_fn)(const void *item, uint32_t index, nipc_lookup_label_view_t *out);

static nipc_error_t cg_label(const void *item, uint32_t i, nipc_lookup_label_view_t *out) {
    return nipc_cgroups_lookup_item_label((const nipc_cgroups_lookup_item_view_t *)item, i, out);
}
static nipc_error_t ap_label(const void *item, uint32_t i, nipc_lookup_label_view_t *out) {
    return nipc_apps_lookup_item_label((const nipc_apps_lookup_item_view_t *)item, i, out);
}

static nipc_error_t put_labels(jbuf_t *b, const void *item, uint16_t count, label_fn fn) {
    jb_key(b, "labels");
    jb_arr_begin(b);
    for (uint32_t k = 0; k < count; k++) {
        nipc_lookup_label_view_t l;
        nipc_error_t e = fn(item, k, &l);
        if (e != NIPC_OK) return e;
        jb_obj_begin(b);
        jb_key(b, "key_hex"); jb_hex(b, l.key.ptr, l.key.len);
        jb_key(b, "value_hex"); jb_hex(b, l.value.ptr, l.value.len);
        jb_obj_end(b);
    }
    jb_arr_end(b);
    return NIPC_OK;
}
#endif

/* ---- replies ---- */

static void reply_raw(const char *json) {
    uint32_t n = (uint32_t)strlen(json);
    unsigned char len[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 24)};
    fwrite(len, 1, 4, stdout);
    fwrite(json, 1, n, stdout);
    fflush(stdout);
}

static void reply_simple(const char *result, const char *key, const char *text) {
    jbuf_t b;
    jb_init(&b);
    jb_obj_begin(&b);
    jb_key(&b, "result"); jb_str(&b, result);
    if (key) { jb_key(&b, key); jb_str(&b, text); }
    jb_obj_end(&b);
    reply_raw(b.p);
    jb_free(&b);
}

static void reply_invalid(const char *cls) { reply_simple("invalid", "error", cls); }

/* Starts a valid answer; the caller adds members of "fields" (or "hex") and calls
 * valid_end. */
static void valid_begin(jbuf_t *b, const char *member) {
    jb_init(b);
    jb_obj_begin(b);
    jb_key(b, "result"); jb_str(b, "valid");
    jb_key(b, member);
    if (!strcmp(member, "fields")) jb_obj_begin(b);
}

static void valid_end(jbuf_t *b, bool fields) {
    if (fields) jb_obj_end(b);
    jb_obj_end(b);
    reply_raw(b->p);
    jb_free(b);
}

/* ---- decode ---- */

static void decode(const char *fam, const uint8_t *d, size_t n, const jval_t *ctx) {
    jbuf_t b;
    nipc_error_t e;
    if (!strcmp(fam, "outer_header")) {
        if (json_get(ctx, "limits")) {
            reply_simple("unsupported", "reason",
                         "the library checks negotiated limits only inside its transports' "
                         "receive path; nipc_header_decode takes no limits");
            return;
        }
        nipc_header_t h;
        if ((e = nipc_header_decode(d, n, &h)) != NIPC_OK) return reply_invalid(map_err(ERR_HEADER, e));
        valid_begin(&b, "fields");
        jb_key(&b, "kind"); jb_u64(&b, h.kind);
        jb_key(&b, "flags"); jb_u64(&b, h.flags);
        jb_key(&b, "code"); jb_u64(&b, h.code);
        jb_key(&b, "transport_status"); jb_u64(&b, h.transport_status);
        jb_key(&b, "payload_len"); jb_u64(&b, h.payload_len);
        jb_key(&b, "item_count"); jb_u64(&b, h.item_count);
        jb_key(&b, "message_id"); jb_u64str(&b, h.message_id);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "chunk_header")) {
        nipc_chunk_header_t c;
        if ((e = nipc_chunk_header_decode(d, n, &c)) != NIPC_OK) return reply_invalid(map_err(ERR_CHUNK, e));
        valid_begin(&b, "fields");
        jb_key(&b, "message_id"); jb_u64str(&b, c.message_id);
        jb_key(&b, "total_message_len"); jb_u64(&b, c.total_message_len);
        jb_key(&b, "chunk_index"); jb_u64(&b, c.chunk_index);
        jb_key(&b, "chunk_count"); jb_u64(&b, c.chunk_count);
        jb_key(&b, "chunk_payload_len"); jb_u64(&b, c.chunk_payload_len);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "hello")) {
        nipc_hello_t h;
        if ((e = nipc_hello_decode(d, n, &h)) != NIPC_OK) return reply_invalid(map_err(ERR_HELLO, e));
        valid_begin(&b, "fields");
        jb_key(&b, "supported_profiles"); jb_u64(&b, h.supported_profiles);
        jb_key(&b, "preferred_profiles"); jb_u64(&b, h.preferred_profiles);
        jb_key(&b, "max_request_payload_bytes"); jb_u64(&b, h.max_request_payload_bytes);
        jb_key(&b, "max_request_batch_items"); jb_u64(&b, h.max_request_batch_items);
        jb_key(&b, "max_response_payload_bytes"); jb_u64(&b, h.max_response_payload_bytes);
        jb_key(&b, "max_response_batch_items"); jb_u64(&b, h.max_response_batch_items);
        jb_key(&b, "auth_token"); jb_u64str(&b, h.auth_token);
        jb_key(&b, "packet_size"); jb_u64(&b, h.packet_size);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "hello_ack")) {
        nipc_hello_ack_t h;
        if ((e = nipc_hello_ack_decode(d, n, &h)) != NIPC_OK) return reply_invalid(map_err(ERR_ACK, e));
        valid_begin(&b, "fields");
        jb_key(&b, "server_supported_profiles"); jb_u64(&b, h.server_supported_profiles);
        jb_key(&b, "intersection_profiles"); jb_u64(&b, h.intersection_profiles);
        jb_key(&b, "selected_profile"); jb_u64(&b, h.selected_profile);
        jb_key(&b, "agreed_max_request_payload_bytes"); jb_u64(&b, h.agreed_max_request_payload_bytes);
        jb_key(&b, "agreed_max_request_batch_items"); jb_u64(&b, h.agreed_max_request_batch_items);
        jb_key(&b, "agreed_max_response_payload_bytes"); jb_u64(&b, h.agreed_max_response_payload_bytes);
        jb_key(&b, "agreed_max_response_batch_items"); jb_u64(&b, h.agreed_max_response_batch_items);
        jb_key(&b, "agreed_packet_size"); jb_u64(&b, h.agreed_packet_size);
        jb_key(&b, "session_id"); jb_u64str(&b, h.session_id);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "batch")) {
        uint32_t count;
        if (!get_u32(ctx, "item_count", &count)) return reply_simple("error", "message", "context.item_count missing");
        /* A user validates the directory, then takes the items one by one. */
        size_t dir = (size_t)count * 8;
        if (n < dir) return reply_invalid(map_err(ERR_BATCH, NIPC_ERR_TRUNCATED));
        if (count && (e = nipc_batch_dir_validate(d, dir, count, (uint32_t)(n - dir))) != NIPC_OK)
            return reply_invalid(map_err(ERR_BATCH, e));
        valid_begin(&b, "fields");
        jb_key(&b, "items_hex");
        jb_arr_begin(&b);
        for (uint32_t i = 0; i < count; i++) {
            const void *ip;
            uint32_t il;
            if ((e = nipc_batch_item_get(d, n, count, i, &ip, &il)) != NIPC_OK) {
                jb_free(&b);
                return reply_invalid(map_err(ERR_BATCH, e));
            }
            jb_hex(&b, ip, il);
        }
        jb_arr_end(&b);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "increment")) {
        uint64_t v;
        if ((e = nipc_increment_decode(d, n, &v)) != NIPC_OK) return reply_invalid(map_err(ERR_INC, e));
        valid_begin(&b, "fields");
        jb_key(&b, "value"); jb_u64str(&b, v);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "string_reverse")) {
        nipc_string_reverse_view_t v;
        if ((e = nipc_string_reverse_decode(d, n, &v)) != NIPC_OK) return reply_invalid(map_err(ERR_STR, e));
        valid_begin(&b, "fields");
        jb_key(&b, "string_hex"); jb_hex(&b, v.str, v.str_len);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "cgroups_snapshot_request")) {
        nipc_cgroups_req_t r;
        if ((e = nipc_cgroups_req_decode(d, n, &r)) != NIPC_OK) return reply_invalid(map_err(ERR_SNREQ, e));
        valid_begin(&b, "fields");
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "cgroups_snapshot_response")) {
        nipc_cgroups_resp_view_t v;
        if ((e = nipc_cgroups_resp_decode(d, n, &v)) != NIPC_OK) return reply_invalid(map_err(ERR_SNAP, e));
        valid_begin(&b, "fields");
        jb_key(&b, "systemd_enabled"); jb_u64(&b, v.systemd_enabled);
        jb_key(&b, "generation"); jb_u64str(&b, v.generation);
        jb_key(&b, "items");
        jb_arr_begin(&b);
        for (uint32_t i = 0; i < v.item_count; i++) {
            nipc_cgroups_item_view_t it;
            if ((e = nipc_cgroups_resp_item(&v, i, &it)) != NIPC_OK) {
                jb_free(&b);
                return reply_invalid(map_err(ERR_SNAP_ITEM, e));
            }
            jb_obj_begin(&b);
            jb_key(&b, "hash"); jb_u64(&b, it.hash);
            jb_key(&b, "options"); jb_u64(&b, it.options);
            jb_key(&b, "enabled"); jb_u64(&b, it.enabled);
            jb_key(&b, "name_hex"); jb_hex(&b, it.name.ptr, it.name.len);
            jb_key(&b, "path_hex"); jb_hex(&b, it.path.ptr, it.path.len);
            jb_obj_end(&b);
        }
        jb_arr_end(&b);
        return valid_end(&b, true);
    }
#if SHIM_HAVE_LOOKUP_METHODS
    if (!strcmp(fam, "cgroups_lookup_request")) {
        nipc_cgroups_lookup_req_view_t v;
        if ((e = nipc_cgroups_lookup_req_decode(d, n, &v)) != NIPC_OK) return reply_invalid(lookup_class(e, n, true));
        valid_begin(&b, "fields");
        jb_key(&b, "paths_hex");
        jb_arr_begin(&b);
        for (uint32_t i = 0; i < v.item_count; i++) {
            nipc_cgroups_lookup_req_item_t it;
            if ((e = nipc_cgroups_lookup_req_item(&v, i, &it)) != NIPC_OK) {
                jb_free(&b);
                return reply_invalid(lookup_class(e, n, true));
            }
            jb_hex(&b, it.path.ptr, it.path.len);
        }
        jb_arr_end(&b);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "apps_lookup_request")) {
        nipc_apps_lookup_req_view_t v;
        if ((e = nipc_apps_lookup_req_decode(d, n, &v)) != NIPC_OK) return reply_invalid(lookup_class(e, n, true));
        valid_begin(&b, "fields");
        jb_key(&b, "pids");
        jb_arr_begin(&b);
        for (uint32_t i = 0; i < v.item_count; i++) {
            nipc_apps_lookup_req_item_t it;
            if ((e = nipc_apps_lookup_req_item(&v, i, &it)) != NIPC_OK) {
                jb_free(&b);
                return reply_invalid(lookup_class(e, n, true));
            }
            jb_u64(&b, it.pid);
        }
        jb_arr_end(&b);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "cgroups_lookup_response")) {
        nipc_cgroups_lookup_resp_view_t v;
        if ((e = nipc_cgroups_lookup_resp_decode(d, n, &v)) != NIPC_OK) return reply_invalid(lookup_class(e, n, false));
        valid_begin(&b, "fields");
        jb_key(&b, "generation"); jb_u64str(&b, v.generation);
        jb_key(&b, "items");
        jb_arr_begin(&b);
        for (uint32_t i = 0; i < v.item_count; i++) {
            nipc_cgroups_lookup_item_view_t it;
            if ((e = nipc_cgroups_lookup_resp_item(&v, i, &it)) != NIPC_OK) {
                jb_free(&b);
                return reply_invalid(lookup_class(e, n, false));
            }
            jb_obj_begin(&b);
            jb_key(&b, "status"); jb_u64(&b, it.status);
            jb_key(&b, "orchestrator"); jb_u64(&b, it.orchestrator);
            jb_key(&b, "path_hex"); jb_hex(&b, it.path.ptr, it.path.len);
            jb_key(&b, "name_hex"); jb_hex(&b, it.name.ptr, it.name.len);
            if ((e = put_labels(&b, &it, it.label_count, cg_label)) != NIPC_OK) {
                jb_free(&b);
                return reply_invalid(lookup_class(e, n, false));
            }
            jb_obj_end(&b);
        }
        jb_arr_end(&b);
        return valid_end(&b, true);
    }
    if (!strcmp(fam, "apps_lookup_response")) {
        nipc_apps_lookup_resp_view_t v;
        if ((e = nipc_apps_lookup_resp_decode(d, n, &v)) != NIPC_OK) return reply_invalid(lookup_class(e, n, false));
        valid_begin(&b, "fields");
        jb_key(&b, "generation"); jb_u64str(&b, v.generation);
        jb_key(&b, "items");
        jb_arr_begin(&b);
        for (uint32_t i = 0; i < v.item_count; i++) {
            nipc_apps_lookup_item_view_t it;
            if ((e = nipc_apps_lookup_resp_item(&v, i, &it)) != NIPC_OK) {
                jb_free(&b);
                return reply_invalid(lookup_class(e, n, false));
            }
            jb_obj_begin(&b);
            jb_key(&b, "status"); jb_u64(&b, it.status);
            jb_key(&b, "orchestrator"); jb_u64(&b, it.orchestrator);
            jb_key(&b, "cgroup_status"); jb_u64(&b, it.cgroup_status);
            jb_key(&b, "pid"); jb_u64(&b, it.pid);
            jb_key(&b, "ppid"); jb_u64(&b, it.ppid);
            jb_key(&b, "uid"); jb_u64(&b, it.uid);
            jb_key(&b, "starttime"); jb_u64str(&b, it.starttime);
            jb_key(&b, "comm_hex"); jb_hex(&b, it.comm.ptr, it.comm.len);
            jb_key(&b, "cgroup_path_hex"); jb_hex(&b, it.cgroup_path.ptr, it.cgroup_path.len);
            jb_key(&b, "cgroup_name_hex"); jb_hex(&b, it.cgroup_name.ptr, it.cgroup_name.len);
            if ((e = put_labels(&b, &it, it.label_count, ap_label)) != NIPC_OK) {
                jb_free(&b);
                return reply_invalid(lookup_class(e, n, false));
            }
            jb_obj_end(&b);
        }
        jb_arr_end(&b);
        return valid_end(&b, true);
    }
#endif
    reply_simple("unsupported", "reason", "no public decoder of the library for this family");
}

/* ---- encode ---- */

static void reply_hex(const void *p, size_t n) {
    jbuf_t b;
    valid_begin(&b, "hex");
    jb_hex(&b, p, n);
    valid_end(&b, false);
}

static void bad_fields(void) { reply_simple("error", "message", "fields missing or out of range"); }

static void encode(const char *fam, const jval_t *f, const jval_t *ctx) {
    uint8_t buf[128];
    if (!strcmp(fam, "outer_header")) {
        nipc_header_t h;
        memset(&h, 0, sizeof(h));
        h.magic = NIPC_MAGIC_MSG;
        h.version = NIPC_VERSION;
        h.header_len = NIPC_HEADER_LEN;
        if (!get_u16(f, "kind", &h.kind) || !get_u16(f, "flags", &h.flags) ||
            !get_u16(f, "code", &h.code) || !get_u16(f, "transport_status", &h.transport_status) ||
            !get_u32(f, "payload_len", &h.payload_len) || !get_u32(f, "item_count", &h.item_count) ||
            !get_u64(f, "message_id", &h.message_id))
            return bad_fields();
        size_t n = nipc_header_encode(&h, buf, sizeof(buf));
        return n ? reply_hex(buf, n) : reply_invalid("BufferTooSmall");
    }
    if (!strcmp(fam, "chunk_header")) {
        nipc_chunk_header_t c;
        memset(&c, 0, sizeof(c));
        c.magic = NIPC_MAGIC_CHUNK;
        c.version = NIPC_VERSION;
        if (!get_u64(f, "message_id", &c.message_id) ||
            !get_u32(f, "total_message_len", &c.total_message_len) ||
            !get_u32(f, "chunk_index", &c.chunk_index) || !get_u32(f, "chunk_count", &c.chunk_count) ||
            !get_u32(f, "chunk_payload_len", &c.chunk_payload_len))
            return bad_fields();
        size_t n = nipc_chunk_header_encode(&c, buf, sizeof(buf));
        return n ? reply_hex(buf, n) : reply_invalid("BufferTooSmall");
    }
    if (!strcmp(fam, "hello")) {
        nipc_hello_t h;
        memset(&h, 0, sizeof(h));
        h.layout_version = 1;
        if (!get_u32(f, "supported_profiles", &h.supported_profiles) ||
            !get_u32(f, "preferred_profiles", &h.preferred_profiles) ||
            !get_u32(f, "max_request_payload_bytes", &h.max_request_payload_bytes) ||
            !get_u32(f, "max_request_batch_items", &h.max_request_batch_items) ||
            !get_u32(f, "max_response_payload_bytes", &h.max_response_payload_bytes) ||
            !get_u32(f, "max_response_batch_items", &h.max_response_batch_items) ||
            !get_u64(f, "auth_token", &h.auth_token) || !get_u32(f, "packet_size", &h.packet_size))
            return bad_fields();
        size_t n = nipc_hello_encode(&h, buf, sizeof(buf));
        return n ? reply_hex(buf, n) : reply_invalid("BufferTooSmall");
    }
    if (!strcmp(fam, "hello_ack")) {
        nipc_hello_ack_t h;
        memset(&h, 0, sizeof(h));
        h.layout_version = 1;
        if (!get_u32(f, "server_supported_profiles", &h.server_supported_profiles) ||
            !get_u32(f, "intersection_profiles", &h.intersection_profiles) ||
            !get_u32(f, "selected_profile", &h.selected_profile) ||
            !get_u32(f, "agreed_max_request_payload_bytes", &h.agreed_max_request_payload_bytes) ||
            !get_u32(f, "agreed_max_request_batch_items", &h.agreed_max_request_batch_items) ||
            !get_u32(f, "agreed_max_response_payload_bytes", &h.agreed_max_response_payload_bytes) ||
            !get_u32(f, "agreed_max_response_batch_items", &h.agreed_max_response_batch_items) ||
            !get_u32(f, "agreed_packet_size", &h.agreed_packet_size) ||
            !get_u64(f, "session_id", &h.session_id))
            return bad_fields();
        size_t n = nipc_hello_ack_encode(&h, buf, sizeof(buf));
        return n ? reply_hex(buf, n) : reply_invalid("BufferTooSmall");
    }
    if (!strcmp(fam, "batch")) {
        const jval_t *items = json_get(f, "items_hex");
        if (!items || items->type != JARR) return bad_fields();
        uint32_t count = (uint32_t)items->count;
        size_t cap = (size_t)count * 8 + 8;
        for (size_t i = 0; i < items->count; i++) cap += items->items[i]->text_len / 2 + 8;
        uint8_t *out = malloc(cap);
        if (!out) return reply_simple("error", "message", "out of memory");
        nipc_batch_builder_t bb;
        nipc_batch_builder_init(&bb, out, cap, count);
        for (uint32_t i = 0; i < count; i++) {
            size_t il;
            uint8_t *it = unhex(items->items[i], &il);
            if (!it) { free(out); return bad_fields(); }
            nipc_error_t e = nipc_batch_builder_add(&bb, it, il);
            free(it);
            if (e != NIPC_OK) { free(out); return reply_invalid("BufferTooSmall"); }
        }
        uint32_t got = 0;
        size_t n = count ? nipc_batch_builder_finish(&bb, &got) : 0;
        reply_hex(out, n);
        free(out);
        return;
    }
    if (!strcmp(fam, "increment")) {
        uint64_t v;
        if (!get_u64(f, "value", &v)) return bad_fields();
        size_t n = nipc_increment_encode(v, buf, sizeof(buf));
        return n ? reply_hex(buf, n) : reply_invalid("BufferTooSmall");
    }
    if (!strcmp(fam, "string_reverse")) {
        size_t sl;
        uint8_t *s = unhex(json_get(f, "string_hex"), &sl);
        if (!s) return bad_fields();
        size_t cap = sl + 16;
        uint8_t *out = malloc(cap);
        size_t n = out ? nipc_string_reverse_encode((const char *)s, (uint32_t)sl, out, cap) : 0;
        if (n) reply_hex(out, n); else reply_invalid("BufferTooSmall");
        free(s);
        free(out);
        return;
    }
    if (!strcmp(fam, "cgroups_snapshot_request")) {
        nipc_cgroups_req_t r = {1, 0};
        size_t n = nipc_cgroups_req_encode(&r, buf, sizeof(buf));
        return n ? reply_hex(buf, n) : reply_invalid("BufferTooSmall");
    }
    if (!strcmp(fam, "cgroups_snapshot_response")) {
        const jval_t *items = json_get(f, "items");
        uint32_t se;
        uint64_t gen;
        if (!items || items->type != JARR || !get_u32(f, "systemd_enabled", &se) ||
            !get_u64(f, "generation", &gen))
            return bad_fields();
        size_t cap = NIPC_CGROUPS_RESP_HDR_SIZE + 64;
        for (size_t i = 0; i < items->count; i++) {
            const jval_t *nm = json_get(items->items[i], "name_hex");
            const jval_t *pt = json_get(items->items[i], "path_hex");
            cap += NIPC_CGROUPS_DIR_ENTRY_SIZE + NIPC_CGROUPS_ITEM_HDR_SIZE + 16 +
                   (nm ? nm->text_len / 2 : 0) + (pt ? pt->text_len / 2 : 0);
        }
        uint8_t *out = malloc(cap);
        if (!out) return reply_simple("error", "message", "out of memory");
        nipc_cgroups_builder_t cb;
        nipc_cgroups_builder_init(&cb, out, cap, (uint32_t)items->count, se, gen);
        for (size_t i = 0; i < items->count; i++) {
            const jval_t *it = items->items[i];
            uint32_t hash, options, enabled;
            size_t nl = 0, pl = 0;
            uint8_t *nm = unhex(json_get(it, "name_hex"), &nl);
            uint8_t *pt = unhex(json_get(it, "path_hex"), &pl);
            bool ok = nm && pt && get_u32(it, "hash", &hash) && get_u32(it, "options", &options) &&
                      get_u32(it, "enabled", &enabled);
            nipc_error_t e = ok ? nipc_cgroups_builder_add(&cb, hash, options, enabled,
                                                           (const char *)nm, (uint32_t)nl,
                                                           (const char *)pt, (uint32_t)pl)
                                : NIPC_OK;
            free(nm);
            free(pt);
            if (!ok) { free(out); return bad_fields(); }
            if (e != NIPC_OK) { free(out); return reply_invalid("BufferTooSmall"); }
        }
        size_t n = nipc_cgroups_builder_finish(&cb);
        if (n) reply_hex(out, n); else reply_invalid("BufferTooSmall");
        free(out);
        return;
    }
#if SHIM_HAVE_LOOKUP_METHODS
    if (!strcmp(fam, "apps_lookup_request")) {
        const jval_t *pids = json_get(f, "pids");
        if (!pids || pids->type != JARR) return bad_fields();
        uint32_t *list = calloc(pids->count + 1, sizeof(uint32_t));
        size_t cap = 16 + 16 * pids->count;
        uint8_t *out = malloc(cap);
        bool ok = list && out;
        for (size_t i = 0; ok && i < pids->count; i++) {
            uint64_t v;
            ok = json_u64(pids->items[i], &v) && v <= 0xFFFFFFFFu;
            if (ok) list[i] = (uint32_t)v;
        }
        size_t n = ok ? nipc_apps_lookup_req_encode(list, (uint32_t)pids->count, out, cap) : 0;
        if (!ok) bad_fields(); else if (n) reply_hex(out, n); else reply_invalid("BufferTooSmall");
        free(list);
        free(out);
        return;
    }
    if (!strcmp(fam, "cgroups_lookup_request")) {
        const jval_t *paths = json_get(f, "paths_hex");
        if (!paths || paths->type != JARR) return bad_fields();
        nipc_str_view_t *views = calloc(paths->count + 1, sizeof(nipc_str_view_t));
        uint8_t **owned = calloc(paths->count + 1, sizeof(uint8_t *));
        size_t cap = 16;
        bool ok = views && owned;
        for (size_t i = 0; ok && i < paths->count; i++) {
            size_t l = 0;
            owned[i] = unhex(paths->items[i], &l);
            ok = owned[i] != NULL;
            if (ok) { views[i].ptr = (const char *)owned[i]; views[i].len = (uint32_t)l; cap += 16 + l + 8; }
        }
        uint8_t *out = ok ? malloc(cap) : NULL;
        size_t n = out ? nipc_cgroups_lookup_req_encode(views, (uint32_t)paths->count, out, cap) : 0;
        if (!ok) bad_fields(); else if (n) reply_hex(out, n); else reply_invalid("ValueOutOfRange");
        for (size_t i = 0; owned && i < paths->count; i++) free(owned[i]);
        free(owned);
        free(views);
        free(out);
        return;
    }
#endif
    (void)ctx;
    reply_simple("unsupported", "reason", "no public encoder of the library for this family");
}

/* ---- handshake ops and chunked_message: live connections through the library's L1 ---- */

static const char *status_class(uint16_t st) {
    switch (st) {
    case NIPC_STATUS_BAD_ENVELOPE: return "StatusBadEnvelope";
    case NIPC_STATUS_AUTH_FAILED: return "StatusAuthFailed";
    case NIPC_STATUS_INCOMPATIBLE: return "StatusIncompatible";
    case NIPC_STATUS_UNSUPPORTED: return "StatusUnsupported";
    case NIPC_STATUS_LIMIT_EXCEEDED: return "StatusLimitExceeded";
    default: return "StatusInternalError";
    }
}

static void decide(const uint8_t *d, size_t n, const jval_t *ctx) {
    const jval_t *p = json_get(ctx, "policy");
    probe_server_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    uint64_t sid;
    if (!p || !get_u32(p, "supported_profiles", &cfg.supported_profiles) ||
        !get_u32(p, "preferred_profiles", &cfg.preferred_profiles) ||
        !get_u32(p, "max_request_payload_bytes", &cfg.max_request_payload_bytes) ||
        !get_u32(p, "response_payload_bytes", &cfg.max_response_payload_bytes) ||
        !get_u32(p, "packet_size", &cfg.packet_size) || !get_u64(p, "auth_token", &cfg.auth_token) ||
        !get_u64(p, "session_id", &sid))
        return reply_simple("error", "message", "context.policy missing or malformed");
    if (!cfg.packet_size || !cfg.max_request_payload_bytes || !cfg.max_response_payload_bytes)
        return reply_simple("unsupported", "reason",
                            "the library's server configuration reads 0 as 'use the default', so "
                            "a policy with a zero packet size or payload limit cannot be given");
    probe_result_t r;
    if (probe_decide(&cfg, sid, d, n, &r) != 0)
        return reply_simple("error", "message", "could not open a local connection for the probe");
    jbuf_t b;
    if (r.accepted) {
        valid_begin(&b, "fields");
        jb_key(&b, "reply_hex"); jb_hex(&b, r.reply, r.reply_len);
        return valid_end(&b, true);
    }
    nipc_header_t h;
    if (r.reply_len >= NIPC_HEADER_LEN && nipc_header_decode(r.reply, r.reply_len, &h) == NIPC_OK) {
        jb_init(&b);
        jb_obj_begin(&b);
        jb_key(&b, "result"); jb_str(&b, "invalid");
        jb_key(&b, "error"); jb_str(&b, status_class(h.transport_status));
        jb_key(&b, "hex"); jb_hex(&b, r.reply, r.reply_len);
        jb_obj_end(&b);
        reply_raw(b.p);
        jb_free(&b);
        return;
    }
    reply_invalid("SilentClose");
}

#if defined(_WIN32)
static const char *chunk_class(int e) {
    switch ((nipc_np_error_t)e) {
    case NIPC_NP_ERR_CHUNK: return "ChunkIndexMismatch";
    case NIPC_NP_ERR_LIMIT_EXCEEDED: return "PayloadOverLimit";
    case NIPC_NP_ERR_RECV: case NIPC_NP_ERR_DISCONNECTED: return "ChunkTruncated";
    default: return "PacketLengthMismatch";
    }
}
#else
static const char *chunk_class(int e) {
    switch ((nipc_uds_error_t)e) {
    case NIPC_UDS_ERR_CHUNK: return "ChunkIndexMismatch";
    case NIPC_UDS_ERR_LIMIT_EXCEEDED: return "PayloadOverLimit";
    case NIPC_UDS_ERR_RECV: return "ChunkTruncated";
    default: return "PacketLengthMismatch";
    }
}
#endif

static void chunked(const jval_t *req, const jval_t *ctx) {
    const jval_t *pk = json_get(req, "packets");
    const jval_t *lim = json_get(ctx, "limits");
    uint32_t psize = 0, maxp = 0, maxb = 0;
    if (!pk || pk->type != JARR || !get_u32(ctx, "packet_size", &psize))
        return reply_simple("error", "message", "packets or context.packet_size missing");
    if (lim && (!get_u32(lim, "max_payload_bytes", &maxp) || !get_u32(lim, "max_batch_items", &maxb)))
        return reply_simple("error", "message", "context.limits malformed");
    if (!lim) { maxp = UINT32_MAX - 64; maxb = UINT32_MAX; }
    size_t count = pk->count;
    uint8_t **pp = calloc(count ? count : 1, sizeof(*pp));
    size_t *pl = calloc(count ? count : 1, sizeof(*pl));
    bool ok = pp && pl;
    for (size_t i = 0; ok && i < count; i++) ok = (pp[i] = unhex(pk->items[i], &pl[i])) != NULL;
    probe_receive_t r;
    memset(&r, 0, sizeof(r));
    int rc = ok ? probe_receive((const uint8_t *const *)pp, pl, count, psize, maxp, maxb, &r) : -1;
    for (size_t i = 0; pp && i < count; i++) free(pp[i]);
    free(pp);
    free(pl);
    if (!ok) return reply_simple("error", "message", "malformed packets");
    if (rc != 0) return reply_simple("error", "message", "could not open a local connection for the probe");
    if (!r.ok) { free(r.payload); return reply_invalid(chunk_class(r.lib_error)); }
    jbuf_t b;
    valid_begin(&b, "fields");
    jb_key(&b, "header");
    jb_obj_begin(&b);
    jb_key(&b, "kind"); jb_u64(&b, r.hdr.kind);
    jb_key(&b, "flags"); jb_u64(&b, r.hdr.flags);
    jb_key(&b, "code"); jb_u64(&b, r.hdr.code);
    jb_key(&b, "transport_status"); jb_u64(&b, r.hdr.transport_status);
    jb_key(&b, "payload_len"); jb_u64(&b, r.hdr.payload_len);
    jb_key(&b, "item_count"); jb_u64(&b, r.hdr.item_count);
    jb_key(&b, "message_id"); jb_u64str(&b, r.hdr.message_id);
    jb_obj_end(&b);
    jb_key(&b, "payload_hex"); jb_hex(&b, r.payload, r.payload_len);
    free(r.payload);
    valid_end(&b, true);
}

#if defined(_WIN32)
static const char *ack_class(int e) {
    switch ((nipc_np_error_t)e) {
    case NIPC_NP_ERR_AUTH_FAILED: return "AckRejectedAuth";
    case NIPC_NP_ERR_NO_PROFILE: return "AckRejectedUnsupported";
    case NIPC_NP_ERR_INCOMPATIBLE: return "AckRejectedIncompatible";
    case NIPC_NP_ERR_LIMIT_EXCEEDED: return "AckRejectedLimit";
    case NIPC_NP_ERR_HANDSHAKE: return "AckRejectedOther";
    case NIPC_NP_ERR_PROTOCOL: return "AckNotControl";
    case NIPC_NP_ERR_RECV: case NIPC_NP_ERR_DISCONNECTED: return "AckTruncated";
    default: return "HandshakeFailed";
    }
}
#else
static const char *ack_class(int e) {
    switch ((nipc_uds_error_t)e) {
    case NIPC_UDS_ERR_AUTH_FAILED: return "AckRejectedAuth";
    case NIPC_UDS_ERR_NO_PROFILE: return "AckRejectedUnsupported";
    case NIPC_UDS_ERR_INCOMPATIBLE: return "AckRejectedIncompatible";
    case NIPC_UDS_ERR_LIMIT_EXCEEDED: return "AckRejectedLimit";
    case NIPC_UDS_ERR_HANDSHAKE: return "AckRejectedOther";
    case NIPC_UDS_ERR_PROTOCOL: return "AckNotControl";
    case NIPC_UDS_ERR_RECV: return "AckTruncated";
    default: return "HandshakeFailed";
    }
}
#endif

static void check_ack(const uint8_t *d, size_t n, const jval_t *ctx) {
    const jval_t *h = json_get(ctx, "hello");
    probe_client_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    if (!h || !get_u32(h, "supported_profiles", &cfg.supported_profiles) ||
        !get_u32(h, "preferred_profiles", &cfg.preferred_profiles) ||
        !get_u32(h, "max_request_payload_bytes", &cfg.max_request_payload_bytes) ||
        !get_u32(h, "max_request_batch_items", &cfg.max_request_batch_items) ||
        !get_u32(h, "max_response_payload_bytes", &cfg.max_response_payload_bytes) ||
        !get_u32(h, "max_response_batch_items", &cfg.max_response_batch_items) ||
        !get_u64(h, "auth_token", &cfg.auth_token) || !get_u32(h, "packet_size", &cfg.packet_size))
        return reply_simple("error", "message", "context.hello missing or malformed");
    if (!cfg.packet_size || !cfg.max_request_payload_bytes || !cfg.max_request_batch_items ||
        !cfg.max_response_payload_bytes || !cfg.max_response_batch_items)
        return reply_simple("unsupported", "reason",
                            "the library's client configuration reads 0 as 'use the default', so "
                            "a HELLO with a zero packet size or limit cannot be sent");
    probe_result_t r;
    if (probe_check_ack(&cfg, d, n, &r) != 0)
        return reply_simple("error", "message", "could not open a local connection for the probe");
    if (!r.accepted) return reply_invalid(ack_class(r.lib_error));
    /* Accepted: the fields are the accepted ACK as the library's decoder reads it. */
    nipc_hello_ack_t a;
    if (n < NIPC_HEADER_LEN || nipc_hello_ack_decode(d + NIPC_HEADER_LEN, n - NIPC_HEADER_LEN, &a) != NIPC_OK)
        return reply_simple("error", "message", "the library accepted an ACK its decoder refuses");
    jbuf_t b;
    valid_begin(&b, "fields");
    jb_key(&b, "server_supported_profiles"); jb_u64(&b, a.server_supported_profiles);
    jb_key(&b, "intersection_profiles"); jb_u64(&b, a.intersection_profiles);
    jb_key(&b, "selected_profile"); jb_u64(&b, a.selected_profile);
    jb_key(&b, "agreed_max_request_payload_bytes"); jb_u64(&b, a.agreed_max_request_payload_bytes);
    jb_key(&b, "agreed_max_request_batch_items"); jb_u64(&b, a.agreed_max_request_batch_items);
    jb_key(&b, "agreed_max_response_payload_bytes"); jb_u64(&b, a.agreed_max_response_payload_bytes);
    jb_key(&b, "agreed_max_response_batch_items"); jb_u64(&b, a.agreed_max_response_batch_items);
    jb_key(&b, "agreed_packet_size"); jb_u64(&b, a.agreed_packet_size);
    jb_key(&b, "session_id"); jb_u64str(&b, a.session_id);
    valid_end(&b, true);
}

#if defined(_WIN32)
/* windows_names, object "pipe": the library's nipc_np_build_pipe_name, whose documented form
 * is \\.\pipe\netipc-{FNV1a64(run_dir):016llx}-{service}, and nipc_fnv1a_64 for the hash. */
static void names(const jval_t *ctx) {
    const jval_t *obj = json_get(ctx, "object");
    const jval_t *rd = json_get(ctx, "run_dir");
    const jval_t *sv = json_get(ctx, "service");
    if (!obj || obj->type != JSTR) return reply_simple("error", "message", "context.object missing");
    if (strcmp(obj->text, "pipe") != 0)
        return reply_simple("unsupported", "reason",
                            "the library derives SHM object names inside nipc_win_shm_server_create "
                            "and nipc_win_shm_client_attach; no public function returns them");
    if (!rd || rd->type != JSTR || !sv || sv->type != JSTR)
        return reply_simple("error", "message", "context.run_dir or context.service missing");
    wchar_t w[NIPC_NP_MAX_PIPE_NAME];
    /* One error code for an invalid service name and an over-long name: the class it implies
     * for the usual cause. */
    if (nipc_np_build_pipe_name(w, NIPC_NP_MAX_PIPE_NAME, rd->text, sv->text) != 0)
        return reply_invalid("NameTooLong");
    char name[NIPC_NP_MAX_PIPE_NAME + 1];
    size_t n = 0;
    for (; n < NIPC_NP_MAX_PIPE_NAME && w[n]; n++) name[n] = (char)(unsigned char)w[n];
    name[n] = 0;
    char hash[17];
    snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)nipc_fnv1a_64(rd->text, rd->text_len));
    jbuf_t b;
    valid_begin(&b, "fields");
    jb_key(&b, "run_dir_hash"); jb_str(&b, hash);
    jb_key(&b, "pipe_name"); jb_strn(&b, name, n);
    valid_end(&b, true);
}
#endif

/* ---- loop ---- */

static bool known_family(const char *f) {
    for (int i = 0; FAMILIES[i]; i++)
        if (!strcmp(FAMILIES[i], f)) return true;
    return false;
}

static const char *unsupported_reason(const char *op, const char *fam) {
    if (!strcmp(op, "decide") || !strcmp(op, "check_ack"))
        return "this family has no handshake op of the library";
    if (!strcmp(op, "names"))
        return "the library derives Windows object names inside its transports; no public "
               "function covers this request";
    if (!strcmp(fam, "chunked_message"))
        return "the library splits messages into packets only inside its send path; there is "
               "no public function that returns the packets";
    return "the library has no public codec entry point for this family";
}

static void handle(const jval_t *req) {
    const jval_t *op = json_get(req, "op");
    if (!op || op->type != JSTR) return reply_simple("error", "message", "missing \"op\"");
    if (!strcmp(op->text, "hello")) {
        jbuf_t b;
        jb_init(&b);
        jb_obj_begin(&b);
        jb_key(&b, "result"); jb_str(&b, "valid");
        jb_key(&b, "implementation"); jb_str(&b, "netipc C library (" SHIM_API_REVISION ")");
        jb_key(&b, "families");
        jb_arr_begin(&b);
        for (int i = 0; FAMILIES[i]; i++) jb_str(&b, FAMILIES[i]);
        jb_str(&b, "handshake_decide");
        jb_str(&b, "handshake_check_ack");
        jb_str(&b, "chunked_message");
#if defined(_WIN32)
        jb_str(&b, "windows_names");
#endif
        jb_arr_end(&b);
        jb_obj_end(&b);
        reply_raw(b.p);
        jb_free(&b);
        return;
    }
    const jval_t *fam = json_get(req, "family");
    if (!fam || fam->type != JSTR) return reply_simple("error", "message", "missing \"family\"");
    const jval_t *ctx = json_get(req, "context");
    bool dec = !strcmp(op->text, "decode"), enc = !strcmp(op->text, "encode");
    if (!dec && !enc) {
        if (strcmp(op->text, "decide") && strcmp(op->text, "check_ack") && strcmp(op->text, "names"))
            return reply_simple("error", "message", "unknown op");
#if defined(_WIN32)
        if (!strcmp(op->text, "names") && !strcmp(fam->text, "windows_names")) return names(ctx);
#endif
        bool dc = !strcmp(op->text, "decide") && !strcmp(fam->text, "handshake_decide");
        bool ca = !strcmp(op->text, "check_ack") && !strcmp(fam->text, "handshake_check_ack");
        if (dc || ca) {
            size_t hn = 0;
            uint8_t *hd = unhex(json_get(req, "hex"), &hn);
            if (!hd) return reply_simple("error", "message", "missing or malformed \"hex\"");
            if (dc) decide(hd, hn, ctx); else check_ack(hd, hn, ctx);
            free(hd);
            return;
        }
        return reply_simple("unsupported", "reason", unsupported_reason(op->text, fam->text));
    }
    if (dec && !strcmp(fam->text, "chunked_message")) return chunked(req, ctx);
    if (!known_family(fam->text))
        return reply_simple("unsupported", "reason", unsupported_reason(op->text, fam->text));
    if (enc) {
        const jval_t *f = json_get(req, "fields");
        if (!f || f->type != JOBJ) return reply_simple("error", "message", "missing \"fields\"");
        return encode(fam->text, f, ctx);
    }
    size_t n = 0;
    uint8_t *d = unhex(json_get(req, "hex"), &n);
    if (!d) return reply_simple("error", "message", "missing or malformed \"hex\"");
    decode(fam->text, d, n, ctx);
    free(d);
}

int run_codec(void) {
#if defined(_WIN32)
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    for (;;) {
        unsigned char len[4];
        if (fread(len, 1, 4, stdin) != 4) return 0;
        uint32_t n = (uint32_t)len[0] | (uint32_t)len[1] << 8 | (uint32_t)len[2] << 16 |
                     (uint32_t)len[3] << 24;
        char *text = malloc((size_t)n + 1);
        if (!text) return EXIT_ENV;
        if (fread(text, 1, n, stdin) != n) { free(text); return 0; }
        char err[128];
        jval_t *req = json_parse(text, n, err, sizeof(err));
        free(text);
        if (!req) { reply_simple("error", "message", err); continue; }
        handle(req);
        json_free(req);
    }
}
