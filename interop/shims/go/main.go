// netipc-shim-go: the netipc-cts shim for the Go implementation of netipc
// (spec/shim-contract.md), written against the library's public packages.
//
//	netipc-shim-go server --run-dir D --service S --service-kind K [...]   prints one READY line
//	netipc-shim-go client --run-dir D --service S --service-kind K --scenario X [...]
//	netipc-shim-go codec                                                  codec testee on stdio
//
// Exit codes: 0 ok, 1 failure, 2 usage, 3 environment, 4 not supported, 5 handshake rejected.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

const (
	exitOK           = 0
	exitFailed       = 1
	exitUsage        = 2
	exitEnvironment  = 3
	exitNotSupported = 4
	exitRejected     = 5
)

// options are the shim-contract flags (SHIM-FLAG-001), both roles.
type options struct {
	role                                string
	transport                           string
	runDir, service, kind               string
	authToken                           uint64
	profiles, preferred                 uint32
	maxReq, maxResp, packetSize, maxBat uint32
	timeoutMs                           uint32
	snapItems                           uint32
	snapSeed                            uint64
	echoMethod                          uint16
	sessions                            string
	scenario                            string
	count                               uint64
	items, depth                        uint32
	size                                uint64
	expectError                         string
	durationMs                          uint64  // bench: measuring time
	rate                                float64 // bench: target requests/s, 0 = as fast as possible
}

type flagSpec struct {
	roles string // "sc": server and client
	set   func(o *options, v string) error
}

func parseNum(v string, bits int) (uint64, error) {
	if v == "" || strings.HasPrefix(v, "-") || strings.HasPrefix(v, "+") {
		return 0, fmt.Errorf("not a number: %q", v)
	}
	n, err := strconv.ParseUint(v, 0, bits)
	if err != nil {
		return 0, fmt.Errorf("not a %d-bit number: %q", bits, v)
	}
	return n, nil
}

func u32(dst *uint32) func(*options, string) error {
	return func(_ *options, v string) error {
		n, err := parseNum(v, 32)
		*dst = uint32(n)
		return err
	}
}

func flagTable(o *options) map[string]flagSpec {
	str := func(dst *string) func(*options, string) error {
		return func(_ *options, v string) error { *dst = v; return nil }
	}
	return map[string]flagSpec{
		"--transport":            {"sc", str(&o.transport)},
		"--run-dir":              {"sc", str(&o.runDir)},
		"--service":              {"sc", str(&o.service)},
		"--service-kind":         {"sc", str(&o.kind)},
		"--auth-token":           {"sc", func(_ *options, v string) (err error) { o.authToken, err = parseNum(v, 64); return }},
		"--profiles":             {"sc", u32(&o.profiles)},
		"--preferred":            {"sc", u32(&o.preferred)},
		"--max-request-payload":  {"sc", u32(&o.maxReq)},
		"--max-response-payload": {"sc", u32(&o.maxResp)},
		"--packet-size":          {"sc", u32(&o.packetSize)},
		"--timeout-ms":           {"sc", u32(&o.timeoutMs)},
		"--snapshot-items":       {"sc", u32(&o.snapItems)},
		"--snapshot-seed":        {"sc", func(_ *options, v string) (err error) { o.snapSeed, err = parseNum(v, 64); return }},
		"--echo-method": {"sc", func(_ *options, v string) error {
			n, err := parseNum(v, 16)
			o.echoMethod = uint16(n)
			return err
		}},
		"--sessions": {"s", func(_ *options, v string) error {
			if v != "forever" {
				if n, err := parseNum(v, 64); err != nil || n == 0 {
					return fmt.Errorf("--sessions wants a positive number or 'forever', not %q", v)
				}
			}
			o.sessions = v
			return nil
		}},
		"--scenario":          {"c", str(&o.scenario)},
		"--count":             {"c", func(_ *options, v string) (err error) { o.count, err = parseNum(v, 64); return }},
		"--items":             {"c", u32(&o.items)},
		"--depth":             {"c", u32(&o.depth)},
		"--size":              {"c", func(_ *options, v string) (err error) { o.size, err = parseNum(v, 64); return }},
		"--max-request-batch": {"c", u32(&o.maxBat)},
		"--expect-error":      {"c", str(&o.expectError)},
		"--duration-ms": {"c", func(_ *options, v string) (err error) {
			if o.durationMs, err = parseNum(v, 32); err == nil && o.durationMs == 0 {
				err = fmt.Errorf("must be > 0")
			}
			return
		}},
		"--rate": {"c", func(_ *options, v string) (err error) {
			if o.rate, err = strconv.ParseFloat(v, 64); err == nil && !(o.rate >= 0) {
				err = fmt.Errorf("must be >= 0")
			}
			return
		}},
	}
}

const usageText = `usage:
  netipc-shim-go server --run-dir DIR --service NAME --service-kind KIND [options]
  netipc-shim-go client --run-dir DIR --service NAME --service-kind KIND --scenario NAME [options]
  netipc-shim-go codec
flags and exit codes: spec/shim-contract.md of netipc-cts
`

// parseArgs reads the flags of one role; an error is a usage error (exit 2).
func parseArgs(role string, args []string) (*options, error) {
	o := &options{role: role, transport: defaultTransport, profiles: 1, timeoutMs: 10000,
		snapItems: 16, snapSeed: 1, echoMethod: 1, sessions: "forever", scenario: "single",
		count: 1, items: 4, depth: 16, durationMs: 1000}
	table := flagTable(o)
	r := role[:1]
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		spec, ok := table[name]
		if !ok || !strings.Contains(spec.roles, r) {
			return nil, fmt.Errorf("unknown flag %q for role %s", args[i], role)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag %s needs a value", name)
			}
			i++
			value = args[i]
		}
		if err := spec.set(o, value); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		seen[name] = true
	}
	for _, req := range []string{"--run-dir", "--service", "--service-kind"} {
		if !seen[req] {
			return nil, fmt.Errorf("missing required flag %s", req)
		}
	}
	switch o.kind {
	case "increment", "string-reverse", "cgroups-snapshot", "echo":
	default:
		return nil, fmt.Errorf("unknown --service-kind %q", o.kind)
	}
	if role == "client" {
		switch o.scenario {
		case "single", "batch", "pipeline", "large", "snapshot", "wrong-method", "connect", "bench":
		default:
			return nil, fmt.Errorf("unknown --scenario %q", o.scenario)
		}
		// bench: one item per request, one request in flight, unless the flags say otherwise.
		if o.scenario == "bench" {
			if !seen["--items"] {
				o.items = 1
			}
			if !seen["--depth"] {
				o.depth = 1
			}
		}
	}
	return o, nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usageText)
		os.Exit(exitUsage)
	}
	switch os.Args[1] {
	case "--help", "-h", "help":
		fmt.Fprint(os.Stderr, usageText)
		os.Exit(exitOK)
	case "codec":
		os.Exit(runCodec(os.Stdin, os.Stdout))
	case "server", "client":
		o, err := parseArgs(os.Args[1], os.Args[2:])
		if err != nil {
			fmt.Fprintf(os.Stderr, "netipc-shim-go: %v\n%s", err, usageText)
			os.Exit(exitUsage)
		}
		if o.role == "server" {
			os.Exit(runServer(o))
		}
		os.Exit(runClient(o))
	default:
		fmt.Fprintf(os.Stderr, "netipc-shim-go: unknown role %q\n%s", os.Args[1], usageText)
		os.Exit(exitUsage)
	}
}

// ---------------------------------------------------------------------------------------
// errors in the suite's names

// shimError is a failure named as the reference names it: a transport error kind and,
// when one applies, the codec rule (with its requirement). text keeps the library's words.
type shimError struct {
	kind, rule, text string
}

func (e *shimError) Error() string { return e.kind + ": " + e.text }

func (e *shimError) json() map[string]any {
	var rule any
	req := kindRequirement[e.kind]
	if e.rule != "" {
		rule = e.rule
		if r, ok := ruleRequirement[e.rule]; ok {
			req = r
		}
	}
	return map[string]any{"kind": e.kind, "rule": rule, "requirement": req, "text": e.text}
}

// exitCode follows SHIM-EXIT-001: environment kinds 3, rejection 5, everything else 1.
func (e *shimError) exitCode() int {
	switch e.kind {
	case "NotFound", "AddressInUse", "PipeInUse", "PathTooLong", "System":
		return exitEnvironment
	case "Rejected":
		return exitRejected
	case "NotSupported":
		return exitNotSupported
	}
	return exitFailed
}

var kindRequirement = map[string]string{
	"BadParameter": "UDS-NAME-001", "PathTooLong": "UDS-SUN-001", "AddressInUse": "UDS-LIVE-001",
	"PipeInUse": "WIN-PIPE-FIRST-001", "NotFound": "UDS-CONNECT-001", "PeerClosed": "UDS-EOF-001",
	"Timeout": "UDS-TIMEOUT-001", "Cancelled": "UDS-TIMEOUT-001", "PacketTooLarge": "UDS-RECV-001",
	"InFlight": "SHM-ONEINFLIGHT-001", "ShmOpen": "SHM-ATTACH-001", "ShmNotReady": "SHM-ATTACH-001",
	"ShmBadMagic": "SHM-ATTACH-001", "ShmBadVersion": "SHM-ATTACH-001", "ShmBadHeader": "SHM-ATTACH-001",
	"ShmBadSize": "SHM-ATTACH-001", "ShmCreate": "SHM-CREATE-001", "ShmMessageTooLarge": "SHM-PUB-002",
	"ShmBadLength": "SHM-CONSUME-002", "WinShmCreate": "WIN-SHM-CREATE-001", "WinShmOpen": "WIN-SHM-ATTACH-001",
	"WinShmBadMagic": "WIN-SHM-ATTACH-001", "WinShmBadVersion": "WIN-SHM-ATTACH-001",
	"WinShmBadHeaderLen": "WIN-SHM-ATTACH-001", "WinShmBadProfile": "WIN-SHM-ATTACH-001",
	"WinShmBadLayout": "WIN-SHM-ATTACH-001", "WinShmMessageTooLarge": "WIN-SHM-LEN-001",
	"Protocol": "", "LimitExceeded": "", "Rejected": "", "HandshakeFailed": "", "NotSupported": "", "System": "",
}

var ruleRequirement = map[string]string{
	"HeaderTruncated": "ENV-LEN-001", "HeaderBadMagic": "ENV-MAGIC-001", "HeaderBadVersion": "ENV-VERSION-001",
	"HeaderBadHeaderLen": "ENV-HDRLEN-001", "HeaderBadKind": "ENV-KIND-001", "PayloadOverLimit": "ENV-LIMIT-001",
	"ItemCountOverLimit": "ENV-LIMIT-002", "OutboundPayloadOverLimit": "ENV-LIMIT-003",
	"UnexpectedKind": "SESS-KIND-001", "DuplicateMessageId": "SESS-MSGID-001", "UnknownMessageId": "SESS-MSGID-002",
	"ResponseCodeMismatch": "SESS-CODE-001", "BatchDirectoryTruncated": "BATCH-DIR-001",
	"BatchMisalignedOffset": "BATCH-ALIGN-001", "BatchItemOutOfBounds": "BATCH-BOUNDS-001",
	"ChunkTruncated": "CHUNK-LEN-001", "ChunkBadMagic": "CHUNK-MAGIC-001", "ChunkBadVersion": "CHUNK-VERSION-001",
	"ChunkNonzeroFlags": "CHUNK-FLAGS-001", "ChunkMessageIdMismatch": "CHUNK-MSGID-001",
	"ChunkIndexMismatch": "CHUNK-INDEX-001", "ChunkCountMismatch": "CHUNK-COUNT-001",
	"ChunkTotalLenMismatch": "CHUNK-TOTAL-001", "ChunkPayloadLenMismatch": "CHUNK-PLEN-001",
	"ChunkOverrun": "CHUNK-OVERRUN-001", "AckTruncated": "HS-ACK-LEN-001", "AckBadLayout": "HS-ACK-LAYOUT-001",
	"AckRejectedAuth": "HS-CLI-STATUS-001", "AckRejectedUnsupported": "HS-CLI-STATUS-002",
	"AckRejectedIncompatible": "HS-CLI-STATUS-003", "AckRejectedLimit": "HS-CLI-STATUS-004",
	"AckRejectedOther": "HS-CLI-STATUS-005", "AckNotControl": "HS-CLI-KIND-001",
}

// emit prints the one JSON line of a client (SHIM-RESULT-001).
func emit(out map[string]any) {
	b, err := json.Marshal(out)
	if err != nil {
		b = []byte(`{"role":"client","ok":false,"error":null,"failure":"result line could not be encoded"}`)
	}
	os.Stdout.Write(append(b, '\n'))
}
