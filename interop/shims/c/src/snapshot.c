#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

typedef struct { uint64_t state; } splitmix_t;

static uint64_t sm_next(splitmix_t *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t sm_between(splitmix_t *r, size_t lo, size_t hi) {
    return lo + (size_t)(sm_next(r) % (uint64_t)(hi - lo + 1));
}

#define HEADER_STREAM 0x6e69706320686472ULL
#define ITEM_STREAM 0x6e69706320697465ULL

static char *random_bytes(splitmix_t *r, size_t n) {
    char *s = malloc(n + 1);
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) s[i] = (char)(1 + sm_next(r) % 255);
    s[n] = 0;
    return s;
}

static size_t name_length(splitmix_t *r, size_t index) {
    switch (index % 7) {
    case 0: return 0;
    case 1: return 1;
    case 6: return sm_between(r, 200, 1023);
    default: return sm_between(r, 1, 48);
    }
}

static size_t path_length(splitmix_t *r, size_t index) {
    switch (index % 5) {
    case 0: return 0;
    case 4: return sm_between(r, 256, 2047);
    default: return sm_between(r, 1, 96);
    }
}

static int make_item(uint64_t seed, size_t index, snap_item_t *it) {
    splitmix_t base = {seed ^ ITEM_STREAM};
    splitmix_t r = {sm_next(&base) + index};
    sm_next(&r);
    it->hash = (uint32_t)sm_next(&r);
    it->options = (uint32_t)sm_next(&r);
    uint64_t e = sm_next(&r);
    it->enabled = (e % 8 == 0) ? (uint32_t)(e >> 32) : (uint32_t)((e >> 3) & 1);
    if (index == 3) {
        it->name = malloc(256);
        it->path = malloc(256);
        if (!it->name || !it->path) return -1;
        for (int b = 1; b <= 255; b++) {
            it->name[b - 1] = (char)b;
            it->path[255 - b] = (char)b;
        }
        it->name[255] = it->path[255] = 0;
        it->name_len = it->path_len = 255;
        return 0;
    }
    size_t nl = name_length(&r, index);
    it->name = random_bytes(&r, nl);
    if (!it->name) return -1;
    size_t pl = path_length(&r, index);
    it->path = random_bytes(&r, pl);
    if (!it->path) return -1;
    it->name_len = (uint32_t)nl;
    it->path_len = (uint32_t)pl;
    return 0;
}

int snapshot_generate(uint64_t seed, uint32_t k, snapshot_t *out) {
    memset(out, 0, sizeof(*out));
    splitmix_t r = {seed ^ HEADER_STREAM};
    out->systemd_enabled = (uint32_t)(sm_next(&r) & 1);
    out->generation = sm_next(&r);
    out->items = calloc(k ? k : 1, sizeof(snap_item_t));
    if (!out->items) return -1;
    out->count = k;
    for (uint32_t i = 0; i < k; i++)
        if (make_item(seed, i, &out->items[i]) != 0) return -1;
    return 0;
}

void snapshot_free(snapshot_t *s) {
    if (!s->items) return;
    for (uint32_t i = 0; i < s->count; i++) {
        free(s->items[i].name);
        free(s->items[i].path);
    }
    free(s->items);
    memset(s, 0, sizeof(*s));
}
