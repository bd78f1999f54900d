//go:build unix && netipc_0d17a9d

package main

import cs "github.com/netdata/plugin-ipc/go/pkg/netipc/service/cgroups_snapshot"

// The 0d17a9d-era cache hands out views under a read guard.
type libCache struct{ c *cs.Cache }

func newCacheAPI(o *options) cacheAPI {
	cfg := cs.ClientConfig{SupportedProfiles: o.profiles, PreferredProfiles: o.preferred,
		MaxRequestPayloadBytes: o.maxReq, MaxResponsePayloadBytes: o.maxResp,
		CallTimeoutMs: o.timeoutMs, AuthToken: o.authToken}
	return &libCache{c: cs.NewCache(o.runDir, o.service, cfg)}
}

func (l *libCache) refresh() bool { return l.c.Refresh() }

func (l *libCache) lookup(hash uint32, name string) cacheProbe {
	g := l.c.ReadLock()
	defer g.Unlock()
	v := g.Get(hash, name)
	if v == nil {
		return cacheProbe{}
	}
	return cacheProbe{found: true, options: v.Options, enabled: v.Enabled, path: v.Path}
}

func (l *libCache) status() (bool, uint64, uint32) {
	s := l.c.Status()
	return s.Populated, s.Generation, s.ItemCount
}

func (l *libCache) close() { l.c.Close() }
