package main

import "strings"

// cacheProbe is what one lookup in the library's L3 cache returned.
type cacheProbe struct {
	found            bool
	options, enabled uint32
	path             string
}

// cacheAPI is the library's L3 cgroups cache as the scenario uses it; one adapter per API
// revision (cache_unix_*.go), none on Windows.
type cacheAPI interface {
	refresh() bool
	lookup(hash uint32, name string) cacheProbe
	status() (ready bool, generation uint64, items uint32)
	close()
}

// runCacheScenario plays the `cache` scenario (spec/shim-contract.md, "The cache scenario"):
// --count refreshes, after each the generator probes and the absent-name probe.
func runCacheScenario(o *options, out map[string]any) int {
	c := newCacheAPI(o)
	if c == nil {
		out["ok"] = false
		out["not_supported"] = "the library's L3 cache is not available in this build"
		emit(out)
		return exitNotSupported
	}
	defer c.close()
	want := generateSnapshot(o.snapSeed, o.snapItems)
	absent := strings.Repeat("q", 4096)
	var absentHash uint32
	if len(want.items) > 0 {
		absentHash = want.items[0].hash
	}
	refreshes := []map[string]any{}
	okCount, absentFound := uint64(0), false
	for i := uint64(0); i < o.count; i++ {
		ok := c.refresh()
		if ok {
			okCount++
		}
		hits := 0
		for _, it := range want.items {
			p := c.lookup(it.hash, string(it.name))
			if p.found && p.options == it.options && p.enabled == it.enabled && p.path == string(it.path) {
				hits++
			}
		}
		missFound := c.lookup(absentHash, absent).found
		absentFound = absentFound || missFound
		ready, gen, items := c.status()
		r := map[string]any{"ok": ok, "ready": ready, "generation": nil, "items": 0, "hits": hits,
			"miss_found": missFound}
		if ready {
			r["generation"] = gen
			r["items"] = items
		}
		refreshes = append(refreshes, r)
	}
	ready, _, _ := c.status()
	out["refreshes"] = refreshes
	out["requests"] = o.count
	out["verified"] = okCount
	failure := ""
	if !ready {
		failure = "no refresh succeeded"
	} else if absentFound {
		failure = "a name that is in no snapshot was found"
	}
	code := exitOK
	if failure != "" {
		out["failure"] = failure
		code = exitFailed
	} else {
		out["failure"] = nil
	}
	out["ok"] = code == exitOK
	emit(out)
	return code
}
