#!/usr/bin/env python3
"""A second netipc decoder, written from spec/*.md in plain Python, speaking the codec
testee contract (vectors/README.md). differential_fuzz compares the reference with it in the
fuzz smoke run, so the differential machinery is exercised on every `./cts test`.

It answers `decode` for the fixed-layout families with a result and the error class of the
first rule broken (fields are given with the reference's struct member names but are not
part of the contract's comparison unless a reference testee is configured).

    model_testee.py [--lie FAMILY]

--lie FAMILY flips every verdict of that family: a deliberately broken testee, used to show
that disagreements are detected and written as vector candidates.
"""
import json
import struct
import sys

MSG_MAGIC = 0x4E495043
CHUNK_MAGIC = 0x4E43484B


class Invalid(Exception):
    pass


def u16(b, o):
    return struct.unpack_from("<H", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


def outer_header(b, ctx):
    if len(b) < 32:
        raise Invalid("HeaderTruncated")
    if u32(b, 0) != MSG_MAGIC:
        raise Invalid("HeaderBadMagic")
    if u16(b, 4) != 1:
        raise Invalid("HeaderBadVersion")
    if u16(b, 6) != 32:
        raise Invalid("HeaderBadHeaderLen")
    if u16(b, 8) not in (1, 2, 3):
        raise Invalid("HeaderBadKind")
    limits = ctx.get("limits")
    if limits is not None:  # the receiver direction's negotiated limits (ENV-LIMIT-001/002)
        if u32(b, 16) > int(limits.get("max_payload_bytes", 0)):
            raise Invalid("PayloadOverLimit")
        if u32(b, 20) > int(limits.get("max_batch_items", 0)):
            raise Invalid("ItemCountOverLimit")
    return {"kind": u16(b, 8), "flags": u16(b, 10), "code": u16(b, 12),
            "transport_status": u16(b, 14), "payload_len": u32(b, 16),
            "item_count": u32(b, 20), "message_id": str(u64(b, 24))}


def chunk_header(b, _ctx):
    if len(b) < 32:
        raise Invalid("ChunkTruncated")
    if u32(b, 0) != CHUNK_MAGIC:
        raise Invalid("ChunkBadMagic")
    if u16(b, 4) != 1:
        raise Invalid("ChunkBadVersion")
    if u16(b, 6) != 0:
        raise Invalid("ChunkNonzeroFlags")
    return {"message_id": str(u64(b, 8)), "total_message_len": u32(b, 16),
            "chunk_index": u32(b, 20), "chunk_count": u32(b, 24),
            "chunk_payload_len": u32(b, 28)}


def hello(b, _ctx):
    if len(b) < 44:
        raise Invalid("HelloTruncated")
    if u16(b, 0) != 1:
        raise Invalid("HelloBadLayout")
    if u16(b, 2) != 0:
        raise Invalid("HelloNonzeroFlags")
    if u32(b, 28) != 0:
        raise Invalid("HelloNonzeroReserved")
    names = ["supported_profiles", "preferred_profiles", "max_request_payload_bytes",
             "max_request_batch_items", "max_response_payload_bytes", "max_response_batch_items"]
    fields = {n: u32(b, 4 + 4 * i) for i, n in enumerate(names)}
    fields.update(auth_token=str(u64(b, 32)), packet_size=u32(b, 40))
    return fields


def hello_ack(b, _ctx):
    if len(b) < 48:
        raise Invalid("AckTruncated")
    if u16(b, 0) != 1:
        raise Invalid("AckBadLayout")
    if u16(b, 2) != 0:
        raise Invalid("AckNonzeroFlags")
    if u32(b, 36) != 0:
        raise Invalid("AckNonzeroReserved")
    names = ["server_supported_profiles", "intersection_profiles", "selected_profile",
             "agreed_max_request_payload_bytes", "agreed_max_request_batch_items",
             "agreed_max_response_payload_bytes", "agreed_max_response_batch_items",
             "agreed_packet_size"]
    fields = {n: u32(b, 4 + 4 * i) for i, n in enumerate(names)}
    fields["session_id"] = str(u64(b, 40))
    return fields


def batch(b, ctx):
    count = int(ctx.get("item_count", 1))
    if count * 8 > len(b):
        raise Invalid("BatchDirectoryTruncated")
    packed = b[count * 8:]
    items = []
    for i in range(count):
        off, length = u32(b, 8 * i), u32(b, 8 * i + 4)
        if off % 8:
            raise Invalid("BatchMisalignedOffset")
        if off + length > len(packed):
            raise Invalid("BatchItemOutOfBounds")
        items.append(packed[off:off + length].hex())
    return {"items_hex": items}


def increment(b, _ctx):
    if len(b) < 8:
        raise Invalid("IncrementTruncated")
    return {"value": str(u64(b, 0))}


def string_reverse(b, _ctx):
    if len(b) < 8:
        raise Invalid("StringTruncated")
    off, length = u32(b, 0), u32(b, 4)
    if off != 8:
        raise Invalid("StringBadOffset")
    if off + length + 1 > len(b):
        raise Invalid("StringOutOfBounds")
    if b[off + length] != 0:
        raise Invalid("StringMissingNul")
    return {"string_hex": b[off:off + length].hex()}


def snapshot_request(b, _ctx):
    if len(b) < 4:
        raise Invalid("SnapshotRequestTruncated")
    if u16(b, 0) != 1:
        raise Invalid("SnapshotRequestBadLayout")
    if u16(b, 2) != 0:
        raise Invalid("SnapshotRequestNonzeroFlags")
    return {}


def _item_string(item, field):
    off, length = u32(item, field), u32(item, field + 4)
    if off < 32:
        raise Invalid("SnapshotStringOffsetLow")
    if off + length + 1 > len(item):
        raise Invalid("SnapshotStringOutOfBounds")
    if item[off + length] != 0:
        raise Invalid("SnapshotStringMissingNul")
    return off, length


def snapshot_response(b, _ctx):
    if len(b) < 24:
        raise Invalid("SnapshotTruncated")
    if u16(b, 0) != 1:
        raise Invalid("SnapshotBadLayout")
    if u16(b, 2) != 0:
        raise Invalid("SnapshotNonzeroFlags")
    if u32(b, 12) != 0:
        raise Invalid("SnapshotNonzeroReserved")
    count = u32(b, 4)
    if 24 + 8 * count > len(b):
        raise Invalid("SnapshotDirectoryTruncated")
    packed = b[24 + 8 * count:]
    spans = []
    for i in range(count):  # every directory entry first
        off, length = u32(b, 24 + 8 * i), u32(b, 28 + 8 * i)
        if off % 8:
            raise Invalid("SnapshotMisalignedOffset")
        if off + length > len(packed):
            raise Invalid("SnapshotItemOutOfBounds")
        if length < 32:
            raise Invalid("SnapshotItemTruncated")
        spans.append((off, length))
    items = []
    for off, length in spans:  # then every item
        item = packed[off:off + length]
        if u16(item, 0) != 1:
            raise Invalid("SnapshotItemBadLayout")
        if u16(item, 2) != 0:
            raise Invalid("SnapshotItemNonzeroFlags")
        name = _item_string(item, 16)
        path = _item_string(item, 24)
        if name[0] < path[0] + path[1] + 1 and path[0] < name[0] + name[1] + 1:
            raise Invalid("SnapshotStringsOverlap")
        items.append({"hash": u32(item, 4), "options": u32(item, 8), "enabled": u32(item, 12),
                      "name_hex": item[name[0]:name[0] + name[1]].hex(),
                      "path_hex": item[path[0]:path[0] + path[1]].hex()})
    return {"systemd_enabled": u32(b, 8), "generation": str(u64(b, 16)), "items": items}


FAMILIES = {"outer_header": outer_header, "chunk_header": chunk_header, "hello": hello,
            "hello_ack": hello_ack, "batch": batch, "increment": increment,
            "string_reverse": string_reverse, "cgroups_snapshot_request": snapshot_request,
            "cgroups_snapshot_response": snapshot_response}


def answer(req, lie):
    op = req.get("op")
    if op == "hello":
        return {"result": "valid", "implementation": "spec-model (Python)",
                "families": sorted(FAMILIES)}
    family = req.get("family")
    if op != "decode" or family not in FAMILIES or "hex" not in req:
        return {"result": "unsupported", "reason": "the model decodes fixed layouts only"}
    try:
        resp = {"result": "valid",
                "fields": FAMILIES[family](bytes.fromhex(req["hex"]), req.get("context") or {})}
    except Invalid as e:
        resp = {"result": "invalid", "error": e.args[0]}
    if family == lie:
        resp = {"result": "invalid", "error": "HeaderTruncated"} if resp["result"] == "valid" \
            else {"result": "valid", "fields": {}}
    return resp


def main(argv):
    lie = argv[argv.index("--lie") + 1] if "--lie" in argv else None
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return 0
        (n,) = struct.unpack("<I", head)
        body = json.dumps(answer(json.loads(inp.read(n)), lie), separators=(",", ":")).encode()
        out.write(struct.pack("<I", len(body)) + body)
        out.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
