/* The `cache` scenario (spec/shim-contract.md, "The cache scenario") through the library's
 * own L3 cgroups cache: --count refreshes, each followed by the generator probes and the
 * absent-name probe; the result line reports what the cache held after each refresh. */
#include "json.h"
#include "plat.h"
#include "shim.h"
#include "snapshot.h"
#include "shim_config.h"

#include <netipc/netipc_service.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library reads the L3 cache through a read guard since the revision that added the
 * lookup methods; before, it handed out items directly. */
#if SHIM_HAVE_LOOKUP_METHODS
#define SHIM_CACHE_GUARDED 1
#else
#define SHIM_CACHE_GUARDED 0
#endif

typedef struct {
    bool found;
    uint32_t options, enabled;
    bool path_equal;
} probe_t;

static probe_t probe(nipc_cgroups_cache_t *cache, uint32_t hash, const char *name,
                     const char *path, uint32_t path_len) {
    probe_t p;
    memset(&p, 0, sizeof(p));
#if SHIM_CACHE_GUARDED
    nipc_cgroups_cache_read_guard_t guard;
    if (!nipc_cgroups_cache_read_lock(cache, &guard)) return p;
    const nipc_cgroups_cache_item_view_t *it = nipc_cgroups_cache_get(&guard, hash, name);
#else
    const nipc_cgroups_cache_item_t *it = nipc_cgroups_cache_lookup(cache, hash, name);
#endif
    if (it) {
        p.found = true;
        p.options = it->options;
        p.enabled = it->enabled;
        p.path_equal = path && strlen(it->path) == path_len && memcmp(it->path, path, path_len) == 0;
    }
#if SHIM_CACHE_GUARDED
    nipc_cgroups_cache_read_unlock(&guard);
#endif
    return p;
}

int run_cache_scenario(const shim_args_t *a) {
    snapshot_t want;
    memset(&want, 0, sizeof(want));
    if (snapshot_generate(a->snapshot_seed, a->snapshot_items, &want) != 0) {
        fprintf(stderr, "netipc-shim-c: out of memory for the snapshot\n");
        return EXIT_ENV;
    }
    nipc_client_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.supported_profiles = a->profiles;
    cfg.preferred_profiles = a->preferred;
    cfg.max_response_payload_bytes = a->max_response_payload;
    cfg.auth_token = a->auth_token;
#if SHIM_HAVE_LOOKUP_METHODS
    cfg.max_request_payload_bytes = a->max_request_payload;
    cfg.call_timeout_ms = a->timeout_ms;
#endif
    static nipc_cgroups_cache_t cache;
    memset(&cache, 0, sizeof(cache));
    nipc_cgroups_cache_init(&cache, a->run_dir, a->service, &cfg);

    char *absent = malloc(4097);
    if (!absent) return EXIT_ENV;
    memset(absent, 'q', 4096);
    absent[4096] = 0;

    jbuf_t b;
    jb_init(&b);
    jb_obj_begin(&b);
    jb_key(&b, "role"); jb_str(&b, "client");
    jb_key(&b, "scenario"); jb_str(&b, a->scenario);
    jb_key(&b, "service_kind"); jb_str(&b, a->kind_name);
    jb_key(&b, "count"); jb_u64(&b, a->count);
    jb_key(&b, "refreshes");
    jb_arr_begin(&b);
    uint64_t ok_count = 0;
    bool absent_found = false;
    nipc_cgroups_cache_status_t st;
    for (uint64_t i = 0; i < a->count; i++) {
        bool ok = nipc_cgroups_cache_refresh(&cache);
        ok_count += ok;
        uint64_t hits = 0;
        for (uint32_t k = 0; k < want.count; k++) {
            const snap_item_t *w = &want.items[k];
            /* Generated names never hold a NUL, so the library's C-string lookup sees them
             * whole. */
            probe_t p = probe(&cache, w->hash, w->name, w->path, w->path_len);
            if (p.found && p.options == w->options && p.enabled == w->enabled && p.path_equal) hits++;
        }
        bool miss_found = probe(&cache, want.count ? want.items[0].hash : 0, absent, NULL, 0).found;
        absent_found |= miss_found;
        memset(&st, 0, sizeof(st));
        nipc_cgroups_cache_status(&cache, &st);
        jb_obj_begin(&b);
        jb_key(&b, "ok"); jb_bool(&b, ok);
        jb_key(&b, "ready"); jb_bool(&b, st.populated);
        jb_key(&b, "generation");
        if (st.populated) jb_u64(&b, st.generation);
        else jb_null(&b);
        jb_key(&b, "items"); jb_u64(&b, st.populated ? st.item_count : 0);
        jb_key(&b, "hits"); jb_u64(&b, hits);
        jb_key(&b, "miss_found"); jb_bool(&b, miss_found);
        jb_obj_end(&b);
    }
    jb_arr_end(&b);
    memset(&st, 0, sizeof(st));
    nipc_cgroups_cache_status(&cache, &st);
    const char *failure = !st.populated ? "no refresh succeeded"
                          : absent_found ? "a name that is in no snapshot was found" : NULL;
    jb_key(&b, "requests"); jb_u64(&b, a->count);
    jb_key(&b, "verified"); jb_u64(&b, ok_count);
    jb_key(&b, "error"); jb_null(&b);
    jb_key(&b, "failure");
    if (failure) jb_str(&b, failure);
    else jb_null(&b);
    jb_key(&b, "ok"); jb_bool(&b, failure == NULL);
    jb_obj_end(&b);
    printf("%s\n", b.p);
    fflush(stdout);
    jb_free(&b);
    nipc_cgroups_cache_close(&cache);
    free(absent);
    snapshot_free(&want);
    return failure ? EXIT_FAILED : 0;
}
