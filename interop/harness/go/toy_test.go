package harness_test

// Toy codecs for the harness's own tests, written from the layout tables of spec/envelope.md
// (outer header) and spec/chunking.md (continuation chunk header). toyCodec follows the spec;
// with wrong set it carries two deliberate faults the vectors must catch: message_id read as
// a u32, and the chunk header's reserved flags ignored.

import (
	"encoding/binary"
	"strconv"

	"netipc-cts/harness"
)

const (
	messageMagic = 0x4E495043
	chunkMagic   = 0x4E43484B
)

var le = binary.LittleEndian

type toyCodec struct{ wrong bool }

func (t toyCodec) Decode(c *harness.Case) harness.Outcome {
	switch c.Family {
	case "outer_header":
		return t.outerHeader(c)
	case "chunk_header":
		return t.chunkHeader(c)
	}
	return harness.Unsupported("the toy decodes outer_header and chunk_header only")
}

func (t toyCodec) outerHeader(c *harness.Case) harness.Outcome {
	b := c.Bytes
	if len(b) < 32 {
		return harness.Invalid("HeaderTruncated")
	}
	switch {
	case le.Uint32(b[0:]) != messageMagic:
		return harness.Invalid("HeaderBadMagic")
	case le.Uint16(b[4:]) != 1:
		return harness.Invalid("HeaderBadVersion")
	case le.Uint16(b[6:]) != 32:
		return harness.Invalid("HeaderBadHeaderLen")
	}
	kind := le.Uint16(b[8:])
	if kind < 1 || kind > 3 {
		return harness.Invalid("HeaderBadKind")
	}
	payloadLen, itemCount := le.Uint32(b[16:]), le.Uint32(b[20:])
	if maxPayload, ok := harness.Uint(c.Context, "limits", "max_payload_bytes"); ok &&
		uint64(payloadLen) > maxPayload {
		return harness.Invalid("PayloadOverLimit")
	}
	if maxItems, ok := harness.Uint(c.Context, "limits", "max_batch_items"); ok &&
		uint64(itemCount) > maxItems {
		return harness.Invalid("ItemCountOverLimit")
	}
	messageID := le.Uint64(b[24:])
	if t.wrong {
		messageID = uint64(le.Uint32(b[24:]))
	}
	return harness.Valid(map[string]any{
		"kind": kind, "flags": le.Uint16(b[10:]), "code": le.Uint16(b[12:]),
		"transport_status": le.Uint16(b[14:]), "payload_len": payloadLen,
		"item_count": itemCount, "message_id": strconv.FormatUint(messageID, 10),
	})
}

func (t toyCodec) chunkHeader(c *harness.Case) harness.Outcome {
	b := c.Bytes
	if len(b) < 32 {
		return harness.Invalid("ChunkTruncated")
	}
	switch {
	case le.Uint32(b[0:]) != chunkMagic:
		return harness.Invalid("ChunkBadMagic")
	case le.Uint16(b[4:]) != 1:
		return harness.Invalid("ChunkBadVersion")
	case le.Uint16(b[6:]) != 0 && !t.wrong:
		return harness.Invalid("ChunkNonzeroFlags")
	}
	return harness.Valid(map[string]any{
		"message_id":        strconv.FormatUint(le.Uint64(b[8:]), 10),
		"total_message_len": le.Uint32(b[16:]), "chunk_index": le.Uint32(b[20:]),
		"chunk_count": le.Uint32(b[24:]), "chunk_payload_len": le.Uint32(b[28:]),
	})
}

func (t toyCodec) Encode(c *harness.Case) harness.Outcome {
	f := func(key string) uint64 { v, _ := harness.Uint(c.Fields, key); return v }
	b := make([]byte, 32)
	switch c.Family {
	case "outer_header":
		le.PutUint32(b[0:], messageMagic)
		le.PutUint16(b[4:], 1)
		le.PutUint16(b[6:], 32)
		le.PutUint16(b[8:], uint16(f("kind")))
		le.PutUint16(b[10:], uint16(f("flags")))
		le.PutUint16(b[12:], uint16(f("code")))
		le.PutUint16(b[14:], uint16(f("transport_status")))
		le.PutUint32(b[16:], uint32(f("payload_len")))
		le.PutUint32(b[20:], uint32(f("item_count")))
		le.PutUint64(b[24:], f("message_id"))
	case "chunk_header":
		le.PutUint32(b[0:], chunkMagic)
		le.PutUint16(b[4:], 1)
		le.PutUint64(b[8:], f("message_id"))
		le.PutUint32(b[16:], uint32(f("total_message_len")))
		le.PutUint32(b[20:], uint32(f("chunk_index")))
		le.PutUint32(b[24:], uint32(f("chunk_count")))
		le.PutUint32(b[28:], uint32(f("chunk_payload_len")))
	default:
		return harness.Unsupported("the toy encodes outer_header and chunk_header only")
	}
	return harness.Encoded(b)
}
