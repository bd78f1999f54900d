//go:build !windows

package main

import (
	"fmt"
	"time"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/service/raw"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/posix"
)

// runL2Client plays the typed-client scenarios (overflow, retry, attach-fail; SHIM-L2-001)
// through the library's L2 client (service/raw): Refresh before every call, the typed call,
// and the next call after a failed one. Only the kinds with a typed L2 call are played.
func runL2Client(o *options, out map[string]any, notSupported func(string) int) int {
	if o.kind != "increment" && o.kind != "string-reverse" {
		return notSupported("the library's typed client has no " + o.kind + " call this shim drives")
	}
	if o.scenario == "attach-fail" && o.profiles&0x06 == 0 {
		return notSupported("attach-fail needs a shared-memory profile in --profiles")
	}
	w, err := newWorkload(o)
	if err != nil {
		return exitUsage
	}
	if _, ok := w.request(0, o.size); !ok {
		return notSupported("this service kind has fixed-size requests (--size)")
	}
	cfg := posix.ClientConfig{
		SupportedProfiles:       o.profiles,
		PreferredProfiles:       o.preferred,
		MaxRequestPayloadBytes:  o.maxReq,
		MaxRequestBatchItems:    1,
		MaxResponsePayloadBytes: o.maxResp,
		MaxResponseBatchItems:   1,
		AuthToken:               o.authToken,
		PacketSize:              o.packetSize,
	}
	if cfg.MaxRequestPayloadBytes == 0 {
		cfg.MaxRequestPayloadBytes = 1024
	}
	if cfg.MaxResponsePayloadBytes == 0 {
		cfg.MaxResponsePayloadBytes = 65536
	}
	if o.maxBat != 0 {
		cfg.MaxRequestBatchItems, cfg.MaxResponseBatchItems = o.maxBat, o.maxBat
	}
	var c *raw.Client
	if o.kind == "increment" {
		c = raw.NewIncrementClient(o.runDir, o.service, cfg)
	} else {
		c = raw.NewStringReverseClient(o.runDir, o.service, cfg)
	}
	defer c.Close()
	start := time.Now()
	var requests, verified uint64
	var firstErr, failure string
	for i := uint64(0); i < o.count; i++ {
		c.Refresh()
		requests++
		var answer []byte
		var callErr error
		if o.kind == "increment" {
			var v uint64
			v, callErr = c.CallIncrement(incrementValue(i))
			if callErr == nil {
				answer = make([]byte, 8)
				protocol.IncrementEncode(v, answer)
			}
		} else {
			s := reverseString(i, o.size)
			var view *protocol.StringReverseView
			view, callErr = c.CallStringReverse(string(s))
			if callErr == nil {
				answer = make([]byte, 8+len(view.Str)+1)
				answer = answer[:protocol.StringReverseEncode(view.Str, answer)]
			}
		}
		if callErr != nil {
			if firstErr == "" {
				firstErr = callErr.Error()
			}
			continue
		}
		if f := w.verify(i, o.size, answer); f != "" {
			if failure == "" {
				failure = f
			}
			continue
		}
		verified++
	}
	st := c.Status()
	states := []string{"DISCONNECTED", "CONNECTING", "READY", "NOT_FOUND", "AUTH_FAILED", "INCOMPATIBLE", "BROKEN"}
	state := fmt.Sprint(int(st.State))
	if int(st.State) >= 0 && int(st.State) < len(states) {
		state = states[st.State]
	}
	out["l2"] = map[string]any{"state": state, "calls": st.CallCount, "errors": st.ErrorCount,
		"connects": st.ConnectCount, "reconnects": st.ReconnectCount}
	out["requests"] = requests
	out["verified"] = verified
	out["elapsed_ms"] = float64(time.Since(start).Microseconds()) / 1000
	if firstErr != "" {
		out["error"] = map[string]any{"kind": "L2Call", "rule": nil, "requirement": "SVC-CALL-001", "text": firstErr}
	}
	if failure != "" {
		out["failure"] = failure
	}
	code := exitOK
	switch {
	case o.expectError != "":
		out["expected_error"] = o.expectError
		code = exitFailed // the library's L2 errors carry no rule names to match
	case st.State == raw.StateAuthFailed || st.State == raw.StateIncompatible:
		code = exitRejected
	case st.State == raw.StateNotFound && verified == 0:
		code = exitEnvironment
	case firstErr != "" || failure != "" || verified < o.count:
		code = exitFailed
	}
	out["ok"] = code == exitOK
	emit(out)
	return code
}
