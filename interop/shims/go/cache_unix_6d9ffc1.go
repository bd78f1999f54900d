//go:build unix && !netipc_0d17a9d

package main

import "github.com/netdata/plugin-ipc/go/pkg/netipc/service/cgroups"

// The 6d9ffc1-era cache returns copies from Lookup.
type libCache struct{ c *cgroups.Cache }

func newCacheAPI(o *options) cacheAPI {
	cfg := cgroups.ClientConfig{SupportedProfiles: o.profiles, PreferredProfiles: o.preferred,
		MaxResponsePayloadBytes: o.maxResp, AuthToken: o.authToken}
	return &libCache{c: cgroups.NewCache(o.runDir, o.service, cfg)}
}

func (l *libCache) refresh() bool { return l.c.Refresh() }

func (l *libCache) lookup(hash uint32, name string) cacheProbe {
	it, ok := l.c.Lookup(hash, name)
	if !ok {
		return cacheProbe{}
	}
	return cacheProbe{found: true, options: it.Options, enabled: it.Enabled, path: it.Path}
}

func (l *libCache) status() (bool, uint64, uint32) {
	s := l.c.Status()
	return s.Populated, s.Generation, s.ItemCount
}

func (l *libCache) close() { l.c.Close() }
