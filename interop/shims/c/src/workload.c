#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- requests ---- */

static uint64_t increment_value(uint64_t index) {
    /* Index 0 is 2^64 - 1 so the wrap to 0 is exercised on every run. */
    if (index == 0) return UINT64_MAX;
    if (index == 1) return 0;
    return index * 0x9E3779B97F4A7C15ULL;
}

/* The string of request `index` (bytes may include NUL); len_out set; caller frees. */
static char *reverse_input(uint64_t index, size_t size, uint32_t *len_out) {
    size_t n;
    if (size > 0) n = size > NIPC_STRING_REVERSE_HDR_SIZE + 1 ? size - NIPC_STRING_REVERSE_HDR_SIZE - 1 : 0;
    else if (index % 4 == 0) n = 0;
    else n = 1 + (size_t)(index * 7 % 61);
    char *s = malloc(n + 1);
    if (!s) return NULL;
    for (size_t k = 0; k < n; k++) s[k] = (char)('a' + (k + index) % 26);
    if (size == 0 && index % 4 == 2 && n >= 3) { s[1] = 0; s[n - 1] = 0; } /* interior NULs */
    s[n] = 0;
    *len_out = (uint32_t)n;
    return s;
}

static size_t echo_len(uint64_t index, size_t size) { return size ? size : 1 + (size_t)(index % 40); }

static uint8_t echo_byte(uint64_t index, size_t k) { return (uint8_t)((k * 131 + index * 7) & 0xff); }

int wl_request(const shim_args_t *a, uint64_t index, size_t size, uint8_t **out, size_t *len) {
    *out = NULL;
    switch (a->kind) {
    case KIND_INCREMENT: {
        if (size) return -1;
        uint8_t *b = malloc(NIPC_INCREMENT_PAYLOAD_SIZE);
        if (!b) return -2;
        *len = nipc_increment_encode(increment_value(index), b, NIPC_INCREMENT_PAYLOAD_SIZE);
        *out = b;
        return *len ? 0 : -2;
    }
    case KIND_SNAPSHOT: {
        if (size) return -1;
        uint8_t *b = malloc(8);
        if (!b) return -2;
        nipc_cgroups_req_t r = {1, 0};
        *len = nipc_cgroups_req_encode(&r, b, 8);
        *out = b;
        return *len ? 0 : -2;
    }
    case KIND_STRING_REVERSE: {
        uint32_t n;
        char *s = reverse_input(index, size, &n);
        if (!s) return -2;
        size_t cap = NIPC_STRING_REVERSE_HDR_SIZE + (size_t)n + 1;
        uint8_t *b = malloc(cap);
        if (!b) { free(s); return -2; }
        *len = nipc_string_reverse_encode(s, n, b, cap);
        free(s);
        *out = b;
        return *len ? 0 : -2;
    }
    case KIND_ECHO: {
        size_t n = echo_len(index, size);
        uint8_t *b = malloc(n);
        if (!b) return -2;
        for (size_t k = 0; k < n; k++) b[k] = echo_byte(index, k);
        *out = b;
        *len = n;
        return 0;
    }
    }
    return -1;
}

/* ---- verification ---- */

static bool verify_snapshot(const snapshot_t *s, const uint8_t *p, size_t n, char *why,
                            size_t ws) {
    nipc_cgroups_resp_view_t v;
    nipc_error_t e = nipc_cgroups_resp_decode(p, n, &v);
    if (e != NIPC_OK) { snprintf(why, ws, "snapshot does not decode (nipc_error %d)", (int)e); return false; }
    if (v.systemd_enabled != s->systemd_enabled || v.generation != s->generation ||
        v.item_count != s->count) {
        snprintf(why, ws, "snapshot header differs: systemd_enabled %u generation %llu items %u",
                 v.systemd_enabled, (unsigned long long)v.generation, v.item_count);
        return false;
    }
    for (uint32_t i = 0; i < s->count; i++) {
        nipc_cgroups_item_view_t it;
        e = nipc_cgroups_resp_item(&v, i, &it);
        const snap_item_t *w = &s->items[i];
        if (e != NIPC_OK) { snprintf(why, ws, "snapshot item %u does not decode (%d)", i, (int)e); return false; }
        if (it.hash != w->hash || it.options != w->options || it.enabled != w->enabled ||
            it.name.len != w->name_len || it.path.len != w->path_len ||
            memcmp(it.name.ptr, w->name, w->name_len) != 0 ||
            memcmp(it.path.ptr, w->path, w->path_len) != 0) {
            snprintf(why, ws, "snapshot item %u differs from the generator", i);
            return false;
        }
    }
    return true;
}

bool wl_verify(const shim_args_t *a, const snapshot_t *snap, uint64_t index, size_t size,
               const uint8_t *p, size_t n, char *why, size_t ws) {
    switch (a->kind) {
    case KIND_INCREMENT: {
        uint64_t v;
        if (n != NIPC_INCREMENT_PAYLOAD_SIZE || nipc_increment_decode(p, n, &v) != NIPC_OK) {
            snprintf(why, ws, "INCREMENT response of %zu bytes does not decode", n);
            return false;
        }
        if (v != increment_value(index) + 1) {
            snprintf(why, ws, "INCREMENT %llu answered %llu",
                     (unsigned long long)increment_value(index), (unsigned long long)v);
            return false;
        }
        return true;
    }
    case KIND_STRING_REVERSE: {
        nipc_string_reverse_view_t v;
        nipc_error_t e = nipc_string_reverse_decode(p, n, &v);
        if (e != NIPC_OK) { snprintf(why, ws, "STRING_REVERSE response does not decode (%d)", (int)e); return false; }
        uint32_t len;
        char *s = reverse_input(index, size, &len);
        bool ok = s && v.str_len == len && n == NIPC_STRING_REVERSE_HDR_SIZE + (size_t)len + 1;
        for (uint32_t k = 0; ok && k < len; k++) ok = v.str[k] == s[len - 1 - k];
        free(s);
        if (!ok) snprintf(why, ws, "STRING_REVERSE response is not the reversed string");
        return ok;
    }
    case KIND_SNAPSHOT:
        return verify_snapshot(snap, p, n, why, ws);
    case KIND_ECHO: {
        size_t len = echo_len(index, size);
        bool ok = n == len;
        for (size_t k = 0; ok && k < len; k++) ok = p[k] == echo_byte(index, k);
        if (!ok) snprintf(why, ws, "echo response differs from the request");
        return ok;
    }
    }
    return false;
}

/* ---- serving ---- */

static bool increment_handler(void *user, uint64_t request, uint64_t *response) {
    (void)user;
    *response = request + 1;
    return true;
}

static bool reverse_handler(void *user, const char *in, uint32_t len, char *out, uint32_t cap,
                            uint32_t *out_len) {
    (void)user;
    if (cap < len) return false;
    for (uint32_t k = 0; k < len; k++) out[k] = in[len - 1 - k];
    *out_len = len;
    return true;
}

static bool snapshot_handler(void *user, const nipc_cgroups_req_t *request,
                             nipc_cgroups_builder_t *b) {
    (void)request;
    const snapshot_t *s = user;
    nipc_cgroups_builder_set_header(b, s->systemd_enabled, s->generation);
    for (uint32_t i = 0; i < s->count; i++) {
        const snap_item_t *it = &s->items[i];
        if (nipc_cgroups_builder_add(b, it->hash, it->options, it->enabled, it->name,
                                     it->name_len, it->path, it->path_len) != NIPC_OK)
            return false;
    }
    return true;
}

uint16_t wl_serve(const shim_args_t *a, const snapshot_t *snap, const uint8_t *req,
                  size_t req_len, uint8_t *out, size_t cap, size_t *out_len) {
    switch (a->kind) {
    case KIND_INCREMENT: {
        uint64_t v;
        if (nipc_increment_decode(req, req_len, &v) != NIPC_OK) return NIPC_STATUS_BAD_ENVELOPE;
        if (cap < NIPC_INCREMENT_PAYLOAD_SIZE) return NIPC_STATUS_LIMIT_EXCEEDED;
        return nipc_dispatch_increment(req, req_len, out, cap, out_len, increment_handler, NULL)
                   ? NIPC_STATUS_OK : NIPC_STATUS_INTERNAL_ERROR;
    }
    case KIND_STRING_REVERSE: {
        nipc_string_reverse_view_t v;
        if (nipc_string_reverse_decode(req, req_len, &v) != NIPC_OK) return NIPC_STATUS_BAD_ENVELOPE;
        if (cap < NIPC_STRING_REVERSE_HDR_SIZE + (size_t)v.str_len + 1) return NIPC_STATUS_LIMIT_EXCEEDED;
        return nipc_dispatch_string_reverse(req, req_len, out, cap, out_len, reverse_handler, NULL)
                   ? NIPC_STATUS_OK : NIPC_STATUS_INTERNAL_ERROR;
    }
    case KIND_SNAPSHOT: {
        nipc_error_t e = nipc_dispatch_cgroups_snapshot(req, req_len, out, cap, out_len,
                                                        snap->count, snapshot_handler,
                                                        (void *)snap);
        switch (e) {
        case NIPC_OK: return NIPC_STATUS_OK;
        case NIPC_ERR_OVERFLOW: return NIPC_STATUS_LIMIT_EXCEEDED;
        case NIPC_ERR_TRUNCATED: case NIPC_ERR_BAD_LAYOUT: case NIPC_ERR_OUT_OF_BOUNDS:
        case NIPC_ERR_MISSING_NUL: case NIPC_ERR_BAD_ALIGNMENT: case NIPC_ERR_BAD_ITEM_COUNT:
            return NIPC_STATUS_BAD_ENVELOPE;
        default: return NIPC_STATUS_INTERNAL_ERROR;
        }
    }
    case KIND_ECHO:
        if (req_len > cap) return NIPC_STATUS_LIMIT_EXCEEDED;
        if (req_len) memcpy(out, req, req_len);
        *out_len = req_len;
        return NIPC_STATUS_OK;
    }
    return NIPC_STATUS_INTERNAL_ERROR;
}
