/* The suite's deterministic cgroups snapshot (SHIM-SNAP-001), reimplemented from its
 * description in the suite: SplitMix64 streams, item i depends only on (seed, i). */
#ifndef SHIM_SNAPSHOT_H
#define SHIM_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t hash, options, enabled;
    char *name;
    uint32_t name_len;
    char *path;
    uint32_t path_len;
} snap_item_t;

typedef struct {
    uint32_t systemd_enabled;
    uint64_t generation;
    snap_item_t *items;
    uint32_t count;
} snapshot_t;

/* Fills `out` with generate_snapshot(seed, k); false when memory runs out. Free with
 * snapshot_free. */
int snapshot_generate(uint64_t seed, uint32_t k, snapshot_t *out);
void snapshot_free(snapshot_t *s);

#endif
