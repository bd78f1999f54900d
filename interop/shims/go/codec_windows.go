//go:build windows

package main

import (
	"encoding/json"
	"fmt"
	"syscall"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/windows"
)

const sessionOnlyReason = "the library checks this only inside its POSIX sessions; the Windows testee does not replay it"

func sessionFamilies() []string { return nil }

func decodeHeaderWithLimits(b []byte, h protocol.Header, lim fieldMap) answer {
	return unsupported("outer_header limits: " + sessionOnlyReason)
}
func decodeChunked([][]byte, json.RawMessage) answer {
	return unsupported("chunked_message: " + sessionOnlyReason)
}
func encodeChunked(fieldMap, json.RawMessage) answer {
	return unsupported("chunked_message: " + sessionOnlyReason)
}
func decide([]byte, json.RawMessage) answer {
	return unsupported("handshake_decide: " + sessionOnlyReason)
}
func checkAck([]byte, json.RawMessage) answer {
	return unsupported("handshake_check_ack: " + sessionOnlyReason)
}

// names: the library's public pipe-name function; the shared-memory object names are
// not public.
func names(raw json.RawMessage) answer {
	ctx := ctxMap(raw)
	obj, _ := ctx["object"].(string)
	if obj != "pipe" {
		return unsupported("windows_names " + obj + ": the library's object-name functions are not public")
	}
	runDir, _ := ctx["run_dir"].(string)
	service, _ := ctx["service"].(string)
	name, err := windows.BuildPipeName(runDir, service)
	if err != nil {
		if contains(err.Error(), "service name") || contains(err.Error(), "invalid") {
			return invalid("BadParameter")
		}
		return invalid("NameTooLong")
	}
	return valid(map[string]any{"run_dir_hash": fmt.Sprintf("%016x", windows.FNV1a64([]byte(runDir))),
		"pipe_name": syscall.UTF16ToString(name)})
}
