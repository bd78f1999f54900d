package main

import (
	"bytes"
	"fmt"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
)

// workload builds the requests of one service kind and checks the answers the service must
// give (SHIM-VERIFY-001). Requests depend only on their index (and size for `large`).
type workload interface {
	method() uint16
	// request returns the payload of request i; size > 0 asks for exactly size payload
	// bytes (ok=false: this kind has fixed-size requests).
	request(i uint64, size uint64) (payload []byte, ok bool)
	// verify checks the response payload to request i; "" when it verified.
	verify(i uint64, size uint64, payload []byte) string
}

func newWorkload(o *options) (workload, error) {
	switch o.kind {
	case "increment":
		return incrementWorkload{}, nil
	case "string-reverse":
		return stringReverseWorkload{}, nil
	case "cgroups-snapshot":
		return &snapshotWorkload{fixture: generateSnapshot(o.snapSeed, o.snapItems)}, nil
	case "echo":
		return echoWorkload{code: o.echoMethod}, nil
	}
	return nil, fmt.Errorf("unknown --service-kind %q", o.kind)
}

// --- increment --------------------------------------------------------------------------

type incrementWorkload struct{}

func (incrementWorkload) method() uint16 { return protocol.MethodIncrement }

// incrementValue includes 2^64-1 so the wrap to 0 is exercised.
func incrementValue(i uint64) uint64 {
	switch i % 4 {
	case 0:
		return i
	case 1:
		return ^uint64(0)
	case 2:
		return 0x8000000000000000 + i
	default:
		return i * 0x9e3779b97f4a7c15
	}
}

func (incrementWorkload) request(i, size uint64) ([]byte, bool) {
	if size != 0 {
		return nil, false
	}
	buf := make([]byte, 8)
	if protocol.IncrementEncode(incrementValue(i), buf) != 8 {
		return nil, false
	}
	return buf, true
}

func (incrementWorkload) verify(i, size uint64, payload []byte) string {
	v, err := protocol.IncrementDecode(payload)
	if err != nil {
		return fmt.Sprintf("increment response %d does not decode: %v", i, err)
	}
	if want := incrementValue(i) + 1; v != want {
		return fmt.Sprintf("increment response %d is %d, want %d (CODEC-INC-002)", i, v, want)
	}
	if len(payload) != 8 {
		return fmt.Sprintf("increment response %d has %d payload bytes, want 8", i, len(payload))
	}
	return ""
}

// --- string-reverse ---------------------------------------------------------------------

type stringReverseWorkload struct{}

func (stringReverseWorkload) method() uint16 { return protocol.MethodStringReverse }

// reverseString gives request i's string: empty strings and interior NULs included.
func reverseString(i, size uint64) []byte {
	if size != 0 {
		n := uint64(0)
		if size > 9 {
			n = size - 9 // 8-byte header and the NUL
		}
		b := make([]byte, n)
		for k := range b {
			b[k] = byte('a' + (uint64(k)+i)%26)
		}
		return b
	}
	switch i % 5 {
	case 0:
		return []byte{}
	case 1:
		return []byte("x")
	case 2:
		return []byte("netipc\x00inner\x00nul")
	case 3:
		return []byte(fmt.Sprintf("request-%d-abcdefghijklmnopqrstuvwxyz", i))
	default:
		return bytes.Repeat([]byte{byte(0x80 + i%100)}, int(1+i%200))
	}
}

func (stringReverseWorkload) request(i, size uint64) ([]byte, bool) {
	s := reverseString(i, size)
	buf := make([]byte, 8+len(s)+1)
	n := protocol.StringReverseEncode(string(s), buf)
	if n == 0 {
		return nil, false
	}
	return buf[:n], true
}

func (stringReverseWorkload) verify(i, size uint64, payload []byte) string {
	v, err := protocol.StringReverseDecode(payload)
	if err != nil {
		return fmt.Sprintf("string-reverse response %d does not decode: %v", i, err)
	}
	s := reverseString(i, size)
	want := make([]byte, len(s))
	for k := range s {
		want[len(s)-1-k] = s[k]
	}
	if v.Str != string(want) || int(v.StrLen) != len(want) {
		return fmt.Sprintf("string-reverse response %d is not the reversed string (CODEC-STR-005)", i)
	}
	return ""
}

// --- echo -------------------------------------------------------------------------------

type echoWorkload struct{ code uint16 }

func (e echoWorkload) method() uint16 { return e.code }

func echoPayload(i, size uint64) []byte {
	n := size
	if n == 0 {
		n = 1 + (i*37)%300
	}
	b := make([]byte, n)
	for k := range b {
		b[k] = byte(uint64(k)*7 + i)
	}
	return b
}

func (echoWorkload) request(i, size uint64) ([]byte, bool) { return echoPayload(i, size), true }

func (echoWorkload) verify(i, size uint64, payload []byte) string {
	if !bytes.Equal(payload, echoPayload(i, size)) {
		return fmt.Sprintf("echo response %d differs from its request", i)
	}
	return ""
}

// --- cgroups-snapshot -------------------------------------------------------------------

type snapshotWorkload struct{ fixture snapshotFixture }

func (*snapshotWorkload) method() uint16 { return protocol.MethodCgroupsSnapshot }

func (*snapshotWorkload) request(i, size uint64) ([]byte, bool) {
	if size != 0 {
		return nil, false
	}
	req := protocol.CgroupsRequest{LayoutVersion: 1}
	buf := make([]byte, 4)
	if req.Encode(buf) != 4 {
		return nil, false
	}
	return buf, true
}

func (w *snapshotWorkload) verify(i, size uint64, payload []byte) string {
	v, err := protocol.DecodeCgroupsResponse(payload)
	if err != nil {
		return fmt.Sprintf("snapshot response %d does not decode: %v", i, err)
	}
	f := &w.fixture
	if v.SystemdEnabled != f.systemdEnabled || v.Generation != f.generation {
		return fmt.Sprintf("snapshot %d header differs from the generator (SHIM-SNAP-001)", i)
	}
	if int(v.ItemCount) != len(f.items) {
		return fmt.Sprintf("snapshot %d has %d items, the generator %d (SHIM-SNAP-001)", i, v.ItemCount, len(f.items))
	}
	for k := range f.items {
		it, err := v.Item(uint32(k))
		if err != nil {
			return fmt.Sprintf("snapshot %d item %d does not decode: %v", i, k, err)
		}
		g := &f.items[k]
		if it.Hash != g.hash || it.Options != g.options || it.Enabled != g.enabled ||
			!bytes.Equal(it.Name.Bytes(), g.name) || !bytes.Equal(it.Path.Bytes(), g.path) {
			return fmt.Sprintf("snapshot %d item %d differs from the generator (SHIM-SNAP-001)", i, k)
		}
	}
	return ""
}

// serveSnapshot fills a library snapshot builder with the generator's snapshot.
func (w *snapshotWorkload) fill(b *protocol.CgroupsBuilder) bool {
	f := &w.fixture
	b.SetHeader(f.systemdEnabled, f.generation)
	for k := range f.items {
		it := &f.items[k]
		if b.Add(it.hash, it.options, it.enabled, it.name, it.path) != nil {
			return false
		}
	}
	return true
}
