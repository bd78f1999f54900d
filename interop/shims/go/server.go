package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/service/raw"
)

// dispatchFor returns the method the server serves and the library dispatch handler of
// its service kind (SHIM-SERVICE-001). The library's managed server answers every other
// method UNSUPPORTED itself.
func dispatchFor(o *options) (uint16, raw.DispatchHandler) {
	switch o.kind {
	case "increment":
		return protocol.MethodIncrement, raw.IncrementDispatch(func(v uint64) (uint64, bool) { return v + 1, true })
	case "string-reverse":
		return protocol.MethodStringReverse, raw.StringReverseDispatch(func(s string) (string, bool) {
			b := []byte(s)
			for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
				b[i], b[j] = b[j], b[i]
			}
			return string(b), true
		})
	case "cgroups-snapshot":
		w := &snapshotWorkload{fixture: generateSnapshot(o.snapSeed, o.snapItems)}
		return protocol.MethodCgroupsSnapshot, raw.SnapshotDispatch(func(_ *protocol.CgroupsRequest, b *protocol.CgroupsBuilder) bool {
			return w.fill(b)
		}, uint32(len(w.fixture.items)))
	default: // echo: every payload answered with itself
		return o.echoMethod, func(req, resp []byte) (int, error) {
			if len(req) > len(resp) {
				return 0, protocol.ErrOverflow
			}
			return copy(resp, req), nil
		}
	}
}

// printReady announces readiness (SHIM-READY-001): one line on stdout, flushed.
func printReady(o *options, endpoint string) {
	b, _ := json.Marshal(map[string]any{"role": "server", "pid": os.Getpid(), "socket": endpoint,
		"service": o.service, "service_kind": o.kind, "profiles": o.profiles})
	fmt.Fprintf(os.Stdout, "READY %s\n", b)
	os.Stdout.Sync()
}

func serverPrecheck(o *options) int {
	if o.transport != defaultTransport {
		fmt.Fprintf(os.Stderr, "netipc-shim-go: transport %s is not available in this build\n", o.transport)
		return exitNotSupported
	}
	if o.sessions != "forever" {
		fmt.Fprintln(os.Stderr, "netipc-shim-go: not supported: --sessions N: the library's managed server "+
			"has no session limit and no hook to count sessions")
		return exitNotSupported
	}
	if reason := unsupportedProfiles(o.profiles | o.preferred); reason != "" {
		fmt.Fprintln(os.Stderr, "netipc-shim-go: not supported: "+reason)
		return exitNotSupported
	}
	return -1
}
