package main

// The codec testee (vectors/README.md, "Replaying them through netipc-cts"): requests and
// answers are 4-byte little-endian lengths followed by UTF-8 JSON. Every verdict comes from
// the library's public protocol package (or, for the session-level families, from its
// transport sessions); the shim only translates fields and error names.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
)

type codecReq struct {
	Op      string          `json:"op"`
	Family  string          `json:"family"`
	Hex     *string         `json:"hex"`
	Packets []string        `json:"packets"`
	Context json.RawMessage `json:"context"`
	Fields  json.RawMessage `json:"fields"`
}

type answer map[string]any

func unsupported(reason string) answer { return answer{"result": "unsupported", "reason": reason} }
func invalid(class string) answer      { return answer{"result": "invalid", "error": class} }
func valid(fields any) answer          { return answer{"result": "valid", "fields": fields} }

var pureFamilies = []string{"outer_header", "chunk_header", "hello", "hello_ack", "batch",
	"increment", "string_reverse", "cgroups_snapshot_request", "cgroups_snapshot_response"}

func runCodec(in io.Reader, out io.Writer) int {
	r := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	for {
		var lenBuf [4]byte
		if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
			return exitOK
		}
		body := make([]byte, binary.LittleEndian.Uint32(lenBuf[:]))
		if _, err := io.ReadFull(r, body); err != nil {
			return exitOK
		}
		a := handleCodec(body)
		b, err := json.Marshal(a)
		if err != nil {
			b = []byte(`{"result":"error","message":"answer could not be encoded"}`)
		}
		binary.LittleEndian.PutUint32(lenBuf[:], uint32(len(b)))
		w.Write(lenBuf[:])
		w.Write(b)
		if err := w.Flush(); err != nil {
			return exitFailed
		}
	}
}

func handleCodec(body []byte) (a answer) {
	defer func() {
		if p := recover(); p != nil {
			a = answer{"result": "error", "message": fmt.Sprintf("the library panicked: %v", p)}
		}
	}()
	var req codecReq
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return answer{"result": "error", "message": "request is not JSON: " + err.Error()}
	}
	switch req.Op {
	case "hello":
		return answer{"result": "valid", "implementation": "netipc Go (" + apiRevision + ")",
			"families": append(append(append([]string{}, pureFamilies...), lookupFamilies...), sessionFamilies()...)}
	case "decode":
		if req.Family == "chunked_message" {
			var pk [][]byte
			for _, p := range req.Packets {
				b, err := hex.DecodeString(p)
				if err != nil {
					return answer{"result": "error", "message": "bad packets hex"}
				}
				pk = append(pk, b)
			}
			return decodeChunked(pk, req.Context)
		}
		if req.Hex == nil {
			return answer{"result": "error", "message": "decode needs hex"}
		}
		data, err := hex.DecodeString(*req.Hex)
		if err != nil {
			return answer{"result": "error", "message": "bad hex"}
		}
		return decodeFamily(req.Family, data, req.Context)
	case "encode":
		var f map[string]any
		d := json.NewDecoder(bytes.NewReader(req.Fields))
		d.UseNumber()
		if err := d.Decode(&f); err != nil {
			return answer{"result": "error", "message": "encode needs fields"}
		}
		return encodeFamily(req.Family, fieldMap(f), req.Context)
	case "decide":
		if req.Family != "handshake_decide" || req.Hex == nil {
			return unsupported("decide is implemented for handshake_decide only")
		}
		data, err := hex.DecodeString(*req.Hex)
		if err != nil {
			return answer{"result": "error", "message": "bad hex"}
		}
		return decide(data, req.Context)
	case "check_ack":
		if req.Family != "handshake_check_ack" || req.Hex == nil {
			return unsupported("check_ack is implemented for handshake_check_ack only")
		}
		data, err := hex.DecodeString(*req.Hex)
		if err != nil {
			return answer{"result": "error", "message": "bad hex"}
		}
		return checkAck(data, req.Context)
	case "names":
		return names(req.Context)
	}
	return answer{"result": "error", "message": "unknown op " + strconv.Quote(req.Op)}
}

// --- field helpers ----------------------------------------------------------------------

type fieldMap map[string]any

func (f fieldMap) u64(k string) (uint64, error) {
	switch v := f[k].(type) {
	case json.Number:
		return strconv.ParseUint(v.String(), 10, 64)
	case string:
		return strconv.ParseUint(v, 10, 64)
	}
	return 0, fmt.Errorf("field %s missing", k)
}

func (f fieldMap) u32(k string) uint32 { v, _ := f.u64(k); return uint32(v) }
func (f fieldMap) u16(k string) uint16 { v, _ := f.u64(k); return uint16(v) }

func (f fieldMap) bytes(k string) []byte {
	s, _ := f[k].(string)
	b, _ := hex.DecodeString(s)
	return b
}

func ctxMap(raw json.RawMessage) fieldMap {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if len(raw) == 0 || d.Decode(&m) != nil || m == nil {
		return fieldMap{}
	}
	return fieldMap(m)
}

func (f fieldMap) sub(k string) fieldMap {
	if m, ok := f[k].(map[string]any); ok {
		return fieldMap(m)
	}
	return nil
}

func dec(v uint64) string { return strconv.FormatUint(v, 10) }

func headerFields(h protocol.Header) map[string]any {
	return map[string]any{"kind": h.Kind, "flags": h.Flags, "code": h.Code,
		"transport_status": h.TransportStatus, "payload_len": h.PayloadLen,
		"item_count": h.ItemCount, "message_id": dec(h.MessageID)}
}

// classOf names a protocol-package error for one family (the library's errors are
// coarser than the suite's classes: each maps to the class it implies).
func classOf(err error, table map[error]string) string {
	for e, c := range table {
		if errors.Is(err, e) {
			return c
		}
	}
	return "Unclassified(" + err.Error() + ")"
}

var (
	headerClasses = map[error]string{protocol.ErrTruncated: "HeaderTruncated", protocol.ErrBadMagic: "HeaderBadMagic",
		protocol.ErrBadVersion: "HeaderBadVersion", protocol.ErrBadHeaderLen: "HeaderBadHeaderLen",
		protocol.ErrBadKind: "HeaderBadKind"}
	chunkClasses = map[error]string{protocol.ErrTruncated: "ChunkTruncated", protocol.ErrBadMagic: "ChunkBadMagic",
		protocol.ErrBadVersion: "ChunkBadVersion", protocol.ErrBadLayout: "ChunkNonzeroFlags"}
	helloClasses = map[error]string{protocol.ErrTruncated: "HelloTruncated", protocol.ErrBadLayout: "HelloBadLayout"}
	ackClasses   = map[error]string{protocol.ErrTruncated: "AckTruncated", protocol.ErrBadLayout: "AckBadLayout"}
	batchClasses = map[error]string{protocol.ErrTruncated: "BatchDirectoryTruncated",
		protocol.ErrBadItemCount: "BatchDirectoryTruncated", protocol.ErrBadAlignment: "BatchMisalignedOffset",
		protocol.ErrOutOfBounds: "BatchItemOutOfBounds"}
	stringClasses = map[error]string{protocol.ErrTruncated: "StringTruncated", protocol.ErrBadLayout: "StringBadOffset",
		protocol.ErrOutOfBounds: "StringOutOfBounds", protocol.ErrMissingNul: "StringMissingNul"}
	snapReqClasses = map[error]string{protocol.ErrTruncated: "SnapshotRequestTruncated",
		protocol.ErrBadLayout: "SnapshotRequestBadLayout"}
	snapClasses = map[error]string{protocol.ErrTruncated: "SnapshotTruncated", protocol.ErrBadLayout: "SnapshotBadLayout",
		protocol.ErrBadItemCount: "SnapshotDirectoryTruncated", protocol.ErrBadAlignment: "SnapshotMisalignedOffset",
		protocol.ErrOutOfBounds: "SnapshotItemOutOfBounds", protocol.ErrMissingNul: "SnapshotStringMissingNul"}
	snapItemClasses = map[error]string{protocol.ErrTruncated: "SnapshotItemTruncated",
		protocol.ErrBadLayout: "SnapshotItemBadLayout", protocol.ErrOutOfBounds: "SnapshotStringOutOfBounds",
		protocol.ErrMissingNul: "SnapshotStringMissingNul"}
)

// --- decode -----------------------------------------------------------------------------

func decodeFamily(family string, b []byte, rawCtx json.RawMessage) answer {
	switch family {
	case "outer_header":
		h, err := protocol.DecodeHeader(b)
		if err != nil {
			return invalid(classOf(err, headerClasses))
		}
		if lim := ctxMap(rawCtx).sub("limits"); lim != nil {
			// The limits are checked by the library's session receive, not its decoder.
			return decodeHeaderWithLimits(b, h, lim)
		}
		return valid(headerFields(h))
	case "chunk_header":
		c, err := protocol.DecodeChunkHeader(b)
		if err != nil {
			return invalid(classOf(err, chunkClasses))
		}
		return valid(map[string]any{"message_id": dec(c.MessageID), "total_message_len": c.TotalMessageLen,
			"chunk_index": c.ChunkIndex, "chunk_count": c.ChunkCount, "chunk_payload_len": c.ChunkPayloadLen})
	case "hello":
		h, err := protocol.DecodeHello(b)
		if err != nil {
			return invalid(classOf(err, helloClasses))
		}
		return valid(helloFields(h))
	case "hello_ack":
		h, err := protocol.DecodeHelloAck(b)
		if err != nil {
			return invalid(classOf(err, ackClasses))
		}
		return valid(ackFields(h))
	case "batch":
		n := ctxMap(rawCtx).u32("item_count")
		dirBytes := int(n) * 8
		if len(b) < dirBytes {
			return invalid("BatchDirectoryTruncated")
		}
		packed := len(b) - protocol.Align8(dirBytes)
		if packed < 0 {
			return invalid("BatchDirectoryTruncated")
		}
		if err := protocol.BatchDirValidate(b[:dirBytes], n, uint32(packed)); err != nil {
			return invalid(classOf(err, batchClasses))
		}
		items := []string{}
		for i := uint32(0); i < n; i++ {
			it, err := protocol.BatchItemGet(b, n, i)
			if err != nil {
				return invalid(classOf(err, batchClasses))
			}
			items = append(items, hex.EncodeToString(it))
		}
		return valid(map[string]any{"items_hex": items})
	case "increment":
		v, err := protocol.IncrementDecode(b)
		if err != nil {
			return invalid("IncrementTruncated")
		}
		return valid(map[string]any{"value": dec(v)})
	case "string_reverse":
		v, err := protocol.StringReverseDecode(b)
		if err != nil {
			return invalid(classOf(err, stringClasses))
		}
		return valid(map[string]any{"string_hex": hex.EncodeToString([]byte(v.Str))})
	case "cgroups_snapshot_request":
		if _, err := protocol.DecodeCgroupsRequest(b); err != nil {
			return invalid(classOf(err, snapReqClasses))
		}
		return valid(map[string]any{})
	case "cgroups_snapshot_response":
		v, err := protocol.DecodeCgroupsResponse(b)
		if err != nil {
			return invalid(classOf(err, snapClasses))
		}
		items := []any{}
		for i := uint32(0); i < v.ItemCount; i++ {
			it, err := v.Item(i)
			if err != nil {
				return invalid(classOf(err, snapItemClasses))
			}
			items = append(items, map[string]any{"hash": it.Hash, "options": it.Options, "enabled": it.Enabled,
				"name_hex": hex.EncodeToString(it.Name.Bytes()), "path_hex": hex.EncodeToString(it.Path.Bytes())})
		}
		return valid(map[string]any{"systemd_enabled": v.SystemdEnabled, "generation": dec(v.Generation), "items": items})
	}
	if a, ok := decodeLookup(family, b); ok {
		return a
	}
	return unsupported("family " + family + " has no public decoder in the library")
}

func helloFields(h protocol.Hello) map[string]any {
	return map[string]any{"supported_profiles": h.SupportedProfiles, "preferred_profiles": h.PreferredProfiles,
		"max_request_payload_bytes": h.MaxRequestPayloadBytes, "max_request_batch_items": h.MaxRequestBatchItems,
		"max_response_payload_bytes": h.MaxResponsePayloadBytes, "max_response_batch_items": h.MaxResponseBatchItems,
		"auth_token": dec(h.AuthToken), "packet_size": h.PacketSize}
}

func ackFields(h protocol.HelloAck) map[string]any {
	return map[string]any{"server_supported_profiles": h.ServerSupportedProfiles,
		"intersection_profiles": h.IntersectionProfiles, "selected_profile": h.SelectedProfile,
		"agreed_max_request_payload_bytes":  h.AgreedMaxRequestPayloadBytes,
		"agreed_max_request_batch_items":    h.AgreedMaxRequestBatchItems,
		"agreed_max_response_payload_bytes": h.AgreedMaxResponsePayloadBytes,
		"agreed_max_response_batch_items":   h.AgreedMaxResponseBatchItems,
		"agreed_packet_size":                h.AgreedPacketSize, "session_id": dec(h.SessionID)}
}

// --- encode -----------------------------------------------------------------------------

func hexAnswer(b []byte) answer { return answer{"result": "valid", "hex": hex.EncodeToString(b)} }

func encodeFamily(family string, f fieldMap, rawCtx json.RawMessage) answer {
	switch family {
	case "outer_header":
		id, _ := f.u64("message_id")
		h := protocol.Header{Magic: protocol.MagicMsg, Version: protocol.Version, HeaderLen: protocol.HeaderLen,
			Kind: f.u16("kind"), Flags: f.u16("flags"), Code: f.u16("code"), TransportStatus: f.u16("transport_status"),
			PayloadLen: f.u32("payload_len"), ItemCount: f.u32("item_count"), MessageID: id}
		b := make([]byte, protocol.HeaderSize)
		h.Encode(b)
		return hexAnswer(b)
	case "chunk_header":
		id, _ := f.u64("message_id")
		c := protocol.ChunkHeader{Magic: protocol.MagicChunk, Version: protocol.Version, MessageID: id,
			TotalMessageLen: f.u32("total_message_len"), ChunkIndex: f.u32("chunk_index"),
			ChunkCount: f.u32("chunk_count"), ChunkPayloadLen: f.u32("chunk_payload_len")}
		b := make([]byte, protocol.HeaderSize)
		c.Encode(b)
		return hexAnswer(b)
	case "hello":
		tok, _ := f.u64("auth_token")
		h := protocol.Hello{LayoutVersion: 1, SupportedProfiles: f.u32("supported_profiles"),
			PreferredProfiles: f.u32("preferred_profiles"), MaxRequestPayloadBytes: f.u32("max_request_payload_bytes"),
			MaxRequestBatchItems: f.u32("max_request_batch_items"), MaxResponsePayloadBytes: f.u32("max_response_payload_bytes"),
			MaxResponseBatchItems: f.u32("max_response_batch_items"), AuthToken: tok, PacketSize: f.u32("packet_size")}
		b := make([]byte, 44)
		return hexAnswer(b[:h.Encode(b)])
	case "hello_ack":
		sid, _ := f.u64("session_id")
		h := protocol.HelloAck{LayoutVersion: 1, ServerSupportedProfiles: f.u32("server_supported_profiles"),
			IntersectionProfiles: f.u32("intersection_profiles"), SelectedProfile: f.u32("selected_profile"),
			AgreedMaxRequestPayloadBytes:  f.u32("agreed_max_request_payload_bytes"),
			AgreedMaxRequestBatchItems:    f.u32("agreed_max_request_batch_items"),
			AgreedMaxResponsePayloadBytes: f.u32("agreed_max_response_payload_bytes"),
			AgreedMaxResponseBatchItems:   f.u32("agreed_max_response_batch_items"),
			AgreedPacketSize:              f.u32("agreed_packet_size"), SessionID: sid}
		b := make([]byte, 48)
		return hexAnswer(b[:h.Encode(b)])
	case "batch":
		list, _ := f["items_hex"].([]any)
		items := make([][]byte, 0, len(list))
		total := 8*len(list) + 8
		for _, it := range list {
			s, _ := it.(string)
			b, err := hex.DecodeString(s)
			if err != nil {
				return answer{"result": "error", "message": "bad items_hex"}
			}
			items = append(items, b)
			total += len(b) + 8
		}
		buf := make([]byte, total)
		bb := protocol.NewBatchBuilder(buf, uint32(len(items)))
		for _, it := range items {
			if err := bb.Add(it); err != nil {
				return invalid("BufferTooSmall")
			}
		}
		n, _ := bb.Finish()
		return hexAnswer(buf[:n])
	case "increment":
		v, _ := f.u64("value")
		b := make([]byte, 8)
		return hexAnswer(b[:protocol.IncrementEncode(v, b)])
	case "string_reverse":
		s := f.bytes("string_hex")
		b := make([]byte, 8+len(s)+1)
		n := protocol.StringReverseEncode(string(s), b)
		if n == 0 {
			return invalid("BufferTooSmall")
		}
		return hexAnswer(b[:n])
	case "cgroups_snapshot_request":
		r := protocol.CgroupsRequest{LayoutVersion: 1}
		b := make([]byte, 4)
		return hexAnswer(b[:r.Encode(b)])
	case "cgroups_snapshot_response":
		list, _ := f["items"].([]any)
		gen, _ := f.u64("generation")
		total := 24 + 8
		type item struct {
			h, o, e    uint32
			name, path []byte
		}
		var its []item
		for _, x := range list {
			m, _ := x.(map[string]any)
			fm := fieldMap(m)
			it := item{fm.u32("hash"), fm.u32("options"), fm.u32("enabled"), fm.bytes("name_hex"), fm.bytes("path_hex")}
			its = append(its, it)
			total += 8 + 32 + len(it.name) + len(it.path) + 2 + 8
		}
		buf := make([]byte, total)
		b := protocol.NewCgroupsBuilder(buf, uint32(len(its)), f.u32("systemd_enabled"), gen)
		for _, it := range its {
			if err := b.Add(it.h, it.o, it.e, it.name, it.path); err != nil {
				return invalid("BufferTooSmall")
			}
		}
		n := b.Finish()
		if n == 0 {
			return invalid("BufferTooSmall")
		}
		return hexAnswer(buf[:n])
	case "chunked_message":
		return encodeChunked(f, rawCtx)
	}
	return unsupported("family " + family + " has no public encoder in the library")
}
