"""Toy codecs for the harness's own tests, written from the layout tables of spec/envelope.md
(outer header) and spec/chunking.md (continuation chunk header). `correct_*` follow the
spec; `wrong_decode` carries two deliberate faults the vectors must catch."""
import struct

import nipc_vectors as nv

MESSAGE_MAGIC = 0x4E495043
CHUNK_MAGIC = 0x4E43484B
OUTER = struct.Struct("<IHHHHHHIIQ")   # magic version header_len kind flags code status plen items id
CHUNK = struct.Struct("<IHHQIIII")     # magic version flags message_id total index count plen


def decode_outer_header(case, message_id_bytes=8):
    b = case.data
    if len(b) < 32:
        return nv.Invalid("HeaderTruncated")
    magic, version, header_len, kind, flags, code, status, plen, items, msg_id = \
        OUTER.unpack_from(b)
    if message_id_bytes == 4:        # the fault: message_id read as a u32
        msg_id = struct.unpack_from("<I", b, 24)[0]
    if magic != MESSAGE_MAGIC:
        return nv.Invalid("HeaderBadMagic")
    if version != 1:
        return nv.Invalid("HeaderBadVersion")
    if header_len != 32:
        return nv.Invalid("HeaderBadHeaderLen")
    if kind not in (1, 2, 3):
        return nv.Invalid("HeaderBadKind")
    limits = case.context.get("limits")
    if limits is not None:
        if plen > limits["max_payload_bytes"]:
            return nv.Invalid("PayloadOverLimit")
        if items > limits["max_batch_items"]:
            return nv.Invalid("ItemCountOverLimit")
    return {"kind": kind, "flags": flags, "code": code, "transport_status": status,
            "payload_len": plen, "item_count": items, "message_id": str(msg_id)}


def decode_chunk_header(case, check_flags=True):
    b = case.data
    if len(b) < 32:
        return nv.Invalid("ChunkTruncated")
    magic, version, flags, msg_id, total, index, count, plen = CHUNK.unpack_from(b)
    if magic != CHUNK_MAGIC:
        return nv.Invalid("ChunkBadMagic")
    if version != 1:
        return nv.Invalid("ChunkBadVersion")
    if check_flags and flags != 0:
        return nv.Invalid("ChunkNonzeroFlags")
    return {"message_id": str(msg_id), "total_message_len": total, "chunk_index": index,
            "chunk_count": count, "chunk_payload_len": plen}


def encode_outer_header(case):
    f = case.fields
    return OUTER.pack(MESSAGE_MAGIC, 1, 32, f["kind"], f["flags"], f["code"],
                      f["transport_status"], f["payload_len"], f["item_count"],
                      int(f["message_id"]))


def encode_chunk_header(case):
    f = case.fields
    return CHUNK.pack(CHUNK_MAGIC, 1, 0, int(f["message_id"]), f["total_message_len"],
                      f["chunk_index"], f["chunk_count"], f["chunk_payload_len"])


CORRECT_DECODE = {"outer_header": decode_outer_header, "chunk_header": decode_chunk_header}
CORRECT_ENCODE = {"outer_header": encode_outer_header, "chunk_header": encode_chunk_header}
# message_id read as a u32 at offset 24; the chunk header's reserved flags ignored.
WRONG_DECODE = {"outer_header": lambda case: decode_outer_header(case, message_id_bytes=4),
                "chunk_header": lambda case: decode_chunk_header(case, check_flags=False)}
