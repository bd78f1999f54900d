#!/usr/bin/env python3
"""A second netipc codec, written from the layout tables and check orders of spec/*.md in plain
Python, sharing no code with the reference. It speaks the codec testee contract
(vectors/README.md) for every vector family, with fields under the contract's names and the
contract's error classes:

- `decode` for outer_header, chunk_header, hello, hello_ack, batch, chunked_message,
  increment, string_reverse, cgroups_snapshot_request/response and the lookup families
  (cgroups_lookup_request/response, apps_lookup_request/response, spec/lookup.md);
- `decide` for handshake_decide (the server's HELLO checks and its HELLO_ACK);
- `check_ack` for handshake_check_ack (the client's HELLO_ACK checks);
- `names` for windows_names (pipe and kernel object names);
- `encode` for the single-buffer families, the canonical encoding of their fields.

Two places use it as an independent oracle: `vectors.replay_model` replays every golden
vector through it (so a bug the reference's encoder and decoder share cannot pass), and
`spec.hex_examples` decodes every fenced hex example of the spec with it. differential_fuzz
compares the reference with it in the fuzz smoke run.

    model_testee.py [--lie FAMILY] [--ignore-reserved FAMILY]

--lie FAMILY flips every verdict of that family: a deliberately broken testee, used to show
that disagreements are detected and written as vector candidates.
--ignore-reserved FAMILY (hello, hello_ack or cgroups_snapshot_response) skips that family's
reserved-must-be-zero check: a subtler seeded bug (fuzz/testees/seeded-bug.toml) that the
differential run must find as exactly one class, with a minimised input.
"""
import json
import struct
import sys

MSG_MAGIC = 0x4E495043      # envelope.md, Constants
CHUNK_MAGIC = 0x4E43484B    # chunking.md, continuation chunk header
HEADER_LEN = 32
HELLO_LEN = 44              # handshake.md, HELLO payload
ACK_LEN = 48                # handshake.md, HELLO_ACK payload
HANDSHAKE_BUFFER = 128      # HS-FLOW-001: the handshake packet is read into 128 bytes
KIND_REQUEST, KIND_RESPONSE, KIND_CONTROL = 1, 2, 3
CODE_HELLO, CODE_HELLO_ACK = 1, 2
STATUS = {"BadEnvelope": 1, "AuthFailed": 2, "Incompatible": 3, "Unsupported": 4,
          "LimitExceeded": 5}
U32_MAX = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF
IGNORE_RESERVED = set()     # families whose reserved field is not checked (--ignore-reserved)

# The outer header (envelope.md, "Outer header layout"): field, offset, struct code.
OUTER_HEADER = [("magic", 0, "I"), ("version", 4, "H"), ("header_len", 6, "H"),
                ("kind", 8, "H"), ("flags", 10, "H"), ("code", 12, "H"),
                ("transport_status", 14, "H"), ("payload_len", 16, "I"),
                ("item_count", 20, "I"), ("message_id", 24, "Q")]
# The continuation chunk header (chunking.md).
CHUNK_HEADER = [("magic", 0, "I"), ("version", 4, "H"), ("flags", 6, "H"),
                ("message_id", 8, "Q"), ("total_message_len", 16, "I"),
                ("chunk_index", 20, "I"), ("chunk_count", 24, "I"),
                ("chunk_payload_len", 28, "I")]
# HELLO and HELLO_ACK payloads (handshake.md).
HELLO = [("layout_version", 0, "H"), ("flags", 2, "H"), ("supported_profiles", 4, "I"),
         ("preferred_profiles", 8, "I"), ("max_request_payload_bytes", 12, "I"),
         ("max_request_batch_items", 16, "I"), ("max_response_payload_bytes", 20, "I"),
         ("max_response_batch_items", 24, "I"), ("reserved", 28, "I"),
         ("auth_token", 32, "Q"), ("packet_size", 40, "I")]
HELLO_ACK = [("layout_version", 0, "H"), ("flags", 2, "H"),
             ("server_supported_profiles", 4, "I"), ("intersection_profiles", 8, "I"),
             ("selected_profile", 12, "I"), ("agreed_max_request_payload_bytes", 16, "I"),
             ("agreed_max_request_batch_items", 20, "I"),
             ("agreed_max_response_payload_bytes", 24, "I"),
             ("agreed_max_response_batch_items", 28, "I"), ("agreed_packet_size", 32, "I"),
             ("reserved", 36, "I"), ("session_id", 40, "Q")]
# Fields a decoder yields (vectors/README.md): constants and must-be-zero fields are not.
OUTER_FIELDS = ["kind", "flags", "code", "transport_status", "payload_len", "item_count",
                "message_id"]
CHUNK_FIELDS = ["message_id", "total_message_len", "chunk_index", "chunk_count",
                "chunk_payload_len"]
HELLO_FIELDS = [f for f, _, _ in HELLO if f not in ("layout_version", "flags", "reserved")]
ACK_FIELDS = [f for f, _, _ in HELLO_ACK if f not in ("layout_version", "flags", "reserved")]


class Invalid(Exception):
    """A rule is broken; args[0] is the contract's error class."""


class BadRequest(Exception):
    """The request itself cannot be read (answered with result "error")."""


def read(layout, b, base=0):
    """Every field of `layout` from `b` at `base`; 64-bit values stay ints here."""
    return {name: struct.unpack_from("<" + code, b, base + off)[0] for name, off, code in layout}


def write(layout, size, values):
    """`size` bytes with each field of `layout` written from `values` (missing ones are 0)."""
    out = bytearray(size)
    for name, off, code in layout:
        value = int(values.get(name, 0))
        limit = U64_MAX if code == "Q" else (U32_MAX if code == "I" else 0xFFFF)
        if not 0 <= value <= limit:
            raise Invalid("ValueOutOfRange")
        struct.pack_into("<" + code, out, off, value)
    return bytes(out)


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64_text(fields, names):
    """64-bit integers are decimal strings in the contract (vectors/README.md)."""
    for n in names:
        fields[n] = str(fields[n])
    return fields


def align8(x):
    return (x + 7) & ~7


# ---- envelope.md ---------------------------------------------------------------------------

def decode_outer(b):
    """The header decode in the order of ENV-ORDER-001; returns every header field."""
    if len(b) < HEADER_LEN:
        raise Invalid("HeaderTruncated")
    h = read(OUTER_HEADER, b)
    if h["magic"] != MSG_MAGIC:
        raise Invalid("HeaderBadMagic")
    if h["version"] != 1:
        raise Invalid("HeaderBadVersion")
    if h["header_len"] != HEADER_LEN:
        raise Invalid("HeaderBadHeaderLen")
    if h["kind"] not in (KIND_REQUEST, KIND_RESPONSE, KIND_CONTROL):
        raise Invalid("HeaderBadKind")
    return h


def check_limits(h, limits):
    """ENV-LIMIT-001 then ENV-LIMIT-002: the receiving direction's limits, payload first."""
    if h["payload_len"] > int(limits.get("max_payload_bytes", 0)):
        raise Invalid("PayloadOverLimit")
    if h["item_count"] > int(limits.get("max_batch_items", 0)):
        raise Invalid("ItemCountOverLimit")


def header_fields(h):
    return u64_text({n: h[n] for n in OUTER_FIELDS}, ["message_id"])


def outer_header(b, ctx):
    h = decode_outer(b)
    if ctx.get("limits") is not None:
        check_limits(h, ctx["limits"])
    return header_fields(h)


# ---- chunking.md ---------------------------------------------------------------------------

def decode_chunk(b):
    """Checks 1-4 of the continuation table: length, magic, version, flags."""
    if len(b) < HEADER_LEN:
        raise Invalid("ChunkTruncated")
    c = read(CHUNK_HEADER, b)
    if c["magic"] != CHUNK_MAGIC:
        raise Invalid("ChunkBadMagic")
    if c["version"] != 1:
        raise Invalid("ChunkBadVersion")
    if c["flags"] != 0:
        raise Invalid("ChunkNonzeroFlags")
    return c


def chunk_header(b, _ctx):
    c = decode_chunk(b)
    return u64_text({n: c[n] for n in CHUNK_FIELDS}, ["message_id"])


def chunked_message(packets, ctx):
    """One logical message received on a packet transport: first packet, then continuations
    checked in the order of chunking.md's receiver table; every packet offered is received,
    so a packet after the complete message is a continuation with an unexpected index."""
    if not packets:
        raise BadRequest("chunked_message needs at least one packet")
    first = packets[0]
    h = decode_outer(first)
    check_limits(h, ctx.get("limits") or {})
    total = HEADER_LEN + h["payload_len"]
    n = len(first)
    if n > total:
        raise Invalid("PacketLengthMismatch")           # ENV-TRAIL-001
    payload = bytearray(first[HEADER_LEN:])
    rest = packets[1:]
    if n < total:
        if h["kind"] == KIND_CONTROL:
            raise Invalid("ChunkControlMessage")        # CHUNK-SCOPE-001
        packet_size = int(ctx.get("packet_size", 0))
        if packet_size <= HEADER_LEN:
            raise Invalid("ChunkPacketSizeTooSmall")    # CHUNK-SPLIT-002: B would be <= 0
        if not payload:
            raise Invalid("ChunkEmpty")                 # CHUNK-PLEN-002: header-only first
        budget = packet_size - HEADER_LEN
        expected_count = 1 + -(-(h["payload_len"] - len(payload)) // budget)
        ci = 0
        while len(payload) < h["payload_len"]:
            ci += 1
            if ci >= expected_count:                    # the last counted chunk left a gap
                raise Invalid("ChunkCountMismatch")
            if ci > len(rest):
                raise BadRequest("the case ends before its message is complete")
            payload += continuation(rest[ci - 1], h, ci, expected_count, total, len(payload))
        rest = rest[ci:]
        if rest:  # offered after completion: it can only be a continuation out of place
            continuation(rest[0], h, ci + 1, expected_count, total, len(payload))
            raise Invalid("ChunkIndexMismatch")
    elif rest:
        raise Invalid("ChunkIndexMismatch")
    return {"header": header_fields(h), "payload_hex": bytes(payload).hex()}


def continuation(pkt, h, ci, expected_count, total, assembled):
    c = decode_chunk(pkt)
    if c["message_id"] != h["message_id"]:
        raise Invalid("ChunkMessageIdMismatch")
    if c["chunk_index"] != ci:
        raise Invalid("ChunkIndexMismatch")
    if c["chunk_count"] != expected_count:
        raise Invalid("ChunkCountMismatch")
    if c["total_message_len"] != total:
        raise Invalid("ChunkTotalLenMismatch")
    if c["chunk_payload_len"] != len(pkt) - HEADER_LEN:
        raise Invalid("ChunkPayloadLenMismatch")
    if c["chunk_payload_len"] == 0:
        raise Invalid("ChunkEmpty")
    if assembled + c["chunk_payload_len"] > h["payload_len"]:
        raise Invalid("ChunkOverrun")
    return pkt[HEADER_LEN:]


# ---- handshake.md --------------------------------------------------------------------------

def decode_hello(b):
    if len(b) < HELLO_LEN:
        raise Invalid("HelloTruncated")
    p = read(HELLO, b)
    if p["layout_version"] != 1:
        raise Invalid("HelloBadLayout")
    if p["flags"] != 0:
        raise Invalid("HelloNonzeroFlags")
    if p["reserved"] != 0 and "hello" not in IGNORE_RESERVED:
        raise Invalid("HelloNonzeroReserved")
    return p


def hello(b, _ctx):
    p = decode_hello(b)
    return u64_text({n: p[n] for n in HELLO_FIELDS}, ["auth_token"])


def decode_ack(b):
    if len(b) < ACK_LEN:
        raise Invalid("AckTruncated")
    a = read(HELLO_ACK, b)
    if a["layout_version"] != 1:
        raise Invalid("AckBadLayout")
    if a["flags"] != 0:
        raise Invalid("AckNonzeroFlags")
    if a["reserved"] != 0 and "hello_ack" not in IGNORE_RESERVED:
        raise Invalid("AckNonzeroReserved")
    return a


def ack_fields(a):
    return u64_text({n: a[n] for n in ACK_FIELDS}, ["session_id"])


def hello_ack(b, _ctx):
    return ack_fields(decode_ack(b))


def ack_packet(status, ack):
    header = write(OUTER_HEADER, HEADER_LEN, {
        "magic": MSG_MAGIC, "version": 1, "header_len": HEADER_LEN, "kind": KIND_CONTROL,
        "code": CODE_HELLO_ACK, "transport_status": status, "payload_len": ACK_LEN,
        "item_count": 1})
    return header + write(HELLO_ACK, ACK_LEN, dict(ack, layout_version=1))


def highest_bit(x):
    return 1 << (x.bit_length() - 1)


def decide(b, policy):
    """The server's reading of a first packet (handshake.md, "Check order", steps 1-13).
    Returns the HELLO_ACK packet it sends; raises Invalid("Status<Name>") for a rejection
    and Invalid("SilentClose") when it closes without replying."""
    b = b[:HANDSHAKE_BUFFER]
    if len(b) < HEADER_LEN or u32(b, 0) != MSG_MAGIC:
        raise Invalid("SilentClose")                                  # step 1
    h = read(OUTER_HEADER, b)
    if h["version"] != 1:                                             # step 2
        hello_shaped = (h["header_len"] == HEADER_LEN and h["kind"] == KIND_CONTROL
                        and h["code"] == CODE_HELLO)
        raise Invalid("StatusIncompatible" if hello_shaped else "SilentClose")
    if h["header_len"] != HEADER_LEN or h["kind"] not in (1, 2, 3):   # step 3
        raise Invalid("SilentClose")
    if h["kind"] != KIND_CONTROL or h["code"] != CODE_HELLO:          # step 4
        raise Invalid("SilentClose")
    try:
        p = decode_hello(b[HEADER_LEN:])                              # steps 5-8
    except Invalid as e:
        raise Invalid({"HelloTruncated": "SilentClose", "HelloBadLayout": "StatusIncompatible",
                       "HelloNonzeroFlags": "StatusBadEnvelope",
                       "HelloNonzeroReserved": "StatusBadEnvelope"}[e.args[0]]) from None
    if p["auth_token"] != int(policy["auth_token"]):                  # step 9
        raise Invalid("StatusAuthFailed")
    offer = int(policy["supported_profiles"]) or 0x01                 # HS-PROF-003
    intersection = p["supported_profiles"] & offer
    if intersection == 0:                                             # step 10
        raise Invalid("StatusUnsupported")
    if p["max_request_payload_bytes"] > int(policy["max_request_payload_bytes"]):
        raise Invalid("StatusLimitExceeded")                          # step 11
    packet_size = min(p["packet_size"], int(policy["packet_size"]))
    if packet_size <= HEADER_LEN:                                     # step 12
        raise Invalid("StatusIncompatible")
    preferred = intersection & p["preferred_profiles"] & int(policy["preferred_profiles"])
    return ack_packet(0, {                                            # step 13
        "server_supported_profiles": offer, "intersection_profiles": intersection,
        "selected_profile": highest_bit(preferred or intersection),
        "agreed_max_request_payload_bytes": p["max_request_payload_bytes"],
        "agreed_max_request_batch_items": p["max_request_batch_items"],
        "agreed_max_response_payload_bytes": int(policy["response_payload_bytes"]),
        "agreed_max_response_batch_items": p["max_request_batch_items"],
        "agreed_packet_size": packet_size, "session_id": int(policy["session_id"])})


def check_ack(b, sent):
    """The client's checks of the HELLO_ACK, in the order of handshake.md's client table;
    `sent` is the HELLO the client sent (its fields)."""
    b = b[:HANDSHAKE_BUFFER]
    try:
        h = decode_outer(b)
    except Invalid as e:
        if e.args[0] == "HeaderBadVersion":
            raise Invalid("AckRejectedIncompatible") from None        # HS-CLI-KIND-001
        raise
    if h["kind"] != KIND_CONTROL or h["code"] != CODE_HELLO_ACK:
        raise Invalid("AckNotControl")
    status = h["transport_status"]
    if status != 0:
        raise Invalid({2: "AckRejectedAuth", 4: "AckRejectedUnsupported",
                       3: "AckRejectedIncompatible", 5: "AckRejectedLimit"}.get(
                           status, "AckRejectedOther"))
    a = decode_ack(b[HEADER_LEN:])
    offered = int(sent["supported_profiles"])
    selected = a["selected_profile"]
    if selected == 0 or selected & (selected - 1):
        raise Invalid("AckProfileNotSingleBit")
    if selected & ~(offered & a["server_supported_profiles"]):
        raise Invalid("AckProfileNotOffered")
    if a["intersection_profiles"] != offered & a["server_supported_profiles"]:
        raise Invalid("AckIntersectionMismatch")
    if a["agreed_max_request_payload_bytes"] != int(sent["max_request_payload_bytes"]):
        raise Invalid("AckRequestPayloadChanged")
    if a["agreed_max_request_batch_items"] != int(sent["max_request_batch_items"]):
        raise Invalid("AckRequestBatchChanged")
    if a["agreed_max_response_batch_items"] != a["agreed_max_request_batch_items"]:
        raise Invalid("AckBatchAsymmetric")
    if a["agreed_packet_size"] <= HEADER_LEN:
        raise Invalid("AckPacketSizeTooSmall")
    if a["agreed_packet_size"] > int(sent["packet_size"]):
        raise Invalid("AckPacketSizeAboveProposal")
    if a["session_id"] == 0:
        raise Invalid("AckZeroSessionId")
    return ack_fields(a)


# ---- batch.md ------------------------------------------------------------------------------

def batch(b, ctx):
    count = int(ctx.get("item_count", 1))
    directory = count * 8
    if directory > len(b):
        raise Invalid("BatchDirectoryTruncated")
    area = len(b) - directory
    items = []
    for i in range(count):
        off, length = u32(b, 8 * i), u32(b, 8 * i + 4)
        if off % 8:
            raise Invalid("BatchMisalignedOffset")
        if off + length > area:
            raise Invalid("BatchItemOutOfBounds")
        items.append(b[directory + off:directory + off + length].hex())
    return {"items_hex": items}


# ---- codecs.md -----------------------------------------------------------------------------

def increment(b, _ctx):
    if len(b) < 8:
        raise Invalid("IncrementTruncated")
    return {"value": str(struct.unpack_from("<Q", b, 0)[0])}


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
    if struct.unpack_from("<H", b, 0)[0] != 1:
        raise Invalid("SnapshotRequestBadLayout")
    if struct.unpack_from("<H", b, 2)[0] != 0:
        raise Invalid("SnapshotRequestNonzeroFlags")
    return {}


SNAP_HEADER = [("layout_version", 0, "H"), ("flags", 2, "H"), ("item_count", 4, "I"),
               ("systemd_enabled", 8, "I"), ("reserved", 12, "I"), ("generation", 16, "Q")]
SNAP_ITEM = [("layout_version", 0, "H"), ("flags", 2, "H"), ("hash", 4, "I"),
             ("options", 8, "I"), ("enabled", 12, "I"), ("name_offset", 16, "I"),
             ("name_length", 20, "I"), ("path_offset", 24, "I"), ("path_length", 28, "I")]


def _item_string(item, off, length):
    if off < 32:
        raise Invalid("SnapshotStringOffsetLow")
    if off + length + 1 > len(item):
        raise Invalid("SnapshotStringOutOfBounds")
    if item[off + length] != 0:
        raise Invalid("SnapshotStringMissingNul")
    return item[off:off + length]


def snapshot_response(b, _ctx):
    if len(b) < 24:
        raise Invalid("SnapshotTruncated")
    s = read(SNAP_HEADER, b)
    if s["layout_version"] != 1:
        raise Invalid("SnapshotBadLayout")
    if s["flags"] != 0:
        raise Invalid("SnapshotNonzeroFlags")
    if s["reserved"] != 0 and "cgroups_snapshot_response" not in IGNORE_RESERVED:
        raise Invalid("SnapshotNonzeroReserved")
    count = s["item_count"]
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
        it = read(SNAP_ITEM, item)
        if it["layout_version"] != 1:
            raise Invalid("SnapshotItemBadLayout")
        if it["flags"] != 0:
            raise Invalid("SnapshotItemNonzeroFlags")
        name = _item_string(item, it["name_offset"], it["name_length"])
        path = _item_string(item, it["path_offset"], it["path_length"])
        name_end = it["name_offset"] + it["name_length"] + 1
        path_end = it["path_offset"] + it["path_length"] + 1
        if it["name_offset"] < path_end and it["path_offset"] < name_end:
            raise Invalid("SnapshotStringsOverlap")
        items.append({"hash": it["hash"], "options": it["options"], "enabled": it["enabled"],
                      "name_hex": name.hex(), "path_hex": path.hex()})
    return {"systemd_enabled": s["systemd_enabled"], "generation": str(s["generation"]),
            "items": items}


# ---- lookup.md (newest revision): CGROUPS_LOOKUP and APPS_LOOKUP ----------------------------

LOOKUP_REQ = [("layout_version", 0, "H"), ("flags", 2, "H"), ("item_count", 4, "I"),
              ("reserved0", 8, "I"), ("reserved1", 12, "I")]
LOOKUP_RESP = [("layout_version", 0, "H"), ("flags", 2, "H"), ("item_count", 4, "I"),
               ("generation", 8, "Q")]
CG_ITEM = [("layout_version", 0, "H"), ("status", 2, "H"), ("orchestrator", 4, "H"),
           ("reserved0", 6, "H"), ("path_offset", 8, "I"), ("path_length", 12, "I"),
           ("name_offset", 16, "I"), ("name_length", 20, "I"), ("label_count", 24, "H"),
           ("reserved1", 26, "H")]
CG_ITEM_SIZE = 28
AP_ITEM = [("layout_version", 0, "H"), ("status", 2, "H"), ("orchestrator", 4, "H"),
           ("cgroup_status", 6, "H"), ("pid", 8, "I"), ("ppid", 12, "I"), ("uid", 16, "I"),
           ("reserved0", 20, "I"), ("starttime", 24, "Q"), ("comm_offset", 32, "I"),
           ("comm_length", 36, "I"), ("cgroup_path_offset", 40, "I"),
           ("cgroup_path_length", 44, "I"), ("cgroup_name_offset", 48, "I"),
           ("cgroup_name_length", 52, "I"), ("label_count", 56, "H"), ("reserved1", 58, "H")]
AP_ITEM_SIZE = 60
UID_UNSET = 0xFFFFFFFF


def _lookup_frame(b, request, length_ok):
    """Validation order steps 1-9: header, then every directory entry. Returns
    (generation, [(offset, length)], packed)."""
    if len(b) < 16:
        raise Invalid("LookupTruncated")
    h = read(LOOKUP_REQ if request else LOOKUP_RESP, b)
    if h["layout_version"] != 1:
        raise Invalid("LookupBadLayout")
    if h["flags"] != 0:
        raise Invalid("LookupNonzeroFlags")
    if request and (h["reserved0"] or h["reserved1"]):
        raise Invalid("LookupNonzeroReserved")
    count = h["item_count"]
    if 16 + 8 * count > len(b):
        raise Invalid("LookupDirectoryTruncated")
    packed = b[16 + 8 * count:]
    spans, prev_end = [], 0
    for i in range(count):
        off, length = u32(b, 16 + 8 * i), u32(b, 20 + 8 * i)
        if off % 8:
            raise Invalid("LookupMisalignedOffset")
        length_ok(length)
        if off + length > len(packed):
            raise Invalid("LookupEntryOutOfBounds")
        if i and off < prev_end:
            raise Invalid("LookupEntriesOverlap")
        prev_end = off + length
        spans.append((off, length))
    return (None if request else h["generation"]), spans, packed


def _need(cond, error):
    if not cond:
        raise Invalid(error)


def cgroups_lookup_request(b, _ctx):
    def length_ok(n):
        _need(n >= 2, "CgroupsKeyTooShort")
    _, spans, packed = _lookup_frame(b, True, length_ok)
    paths = []
    for off, length in spans:
        key = packed[off:off + length]
        _need(key[-1] == 0, "CgroupsKeyMissingNul")
        _need(0 not in key[:-1], "CgroupsKeyInteriorNul")
        paths.append(key[:-1].hex())
    return {"paths_hex": paths}


def apps_lookup_request(b, _ctx):
    def length_ok(n):
        _need(n == 8, "AppsKeyBadLength")
    _, spans, packed = _lookup_frame(b, True, length_ok)
    pids = []
    for off, _length in spans:
        _need(u32(packed, off + 4) == 0, "AppsKeyNonzeroReserved")
        pids.append(u32(packed, off))
    return {"pids": pids}


def _lookup_string(item, fixed, off, length):
    """LOOKUP-STR-001..004; returns (bytes, end)."""
    _need(off >= fixed, "LookupStringOffsetLow")
    _need(off + length + 1 <= len(item), "LookupStringOutOfBounds")
    _need(item[off + length] == 0, "LookupStringMissingNul")
    s = item[off:off + length]
    _need(0 not in s, "LookupStringInteriorNul")
    return s, off + length + 1


def _lookup_strings_and_labels(item, fixed, it, names, label_count):
    """The item's strings in field order, their overlap, then labels and the item end."""
    out, ranges = [], []
    for n in names:
        s, end = _lookup_string(item, fixed, it[n + "_offset"], it[n + "_length"])
        out.append(s)
        ranges.append((it[n + "_offset"], end))
    for i, (a0, a1) in enumerate(ranges):
        for b0, b1 in ranges[i + 1:]:
            _need(not (a0 < b1 and b0 < a1), "LookupStringsOverlap")
    end = max(r[1] for r in ranges)
    labels = []
    if label_count == 0:
        _need(end == len(item), "LookupItemTrailingBytes")
        return out, labels
    table = align8(end)
    _need(table <= len(item), "LookupLabelTableOutOfBounds")
    _need(not any(item[end:table]), "LookupLabelPaddingNonzero")
    cursor = table + 16 * label_count
    _need(cursor <= len(item), "LookupLabelTableOutOfBounds")
    for i in range(label_count):
        key_off, key_len, val_off, val_len = struct.unpack_from("<IIII", item, table + 16 * i)
        _need(key_len != 0, "LookupLabelKeyEmpty")
        _need(key_off == cursor, "LookupLabelNotPacked")
        key, cursor = _lookup_string(item, fixed, key_off, key_len)
        _need(val_off == cursor, "LookupLabelNotPacked")
        value, cursor = _lookup_string(item, fixed, val_off, val_len)
        labels.append({"key_hex": key.hex(), "value_hex": value.hex()})
    _need(cursor == len(item), "LookupItemTrailingBytes")
    return out, labels


def _lookup_item_common(item, layout):
    it = read(layout, item)
    _need(it["layout_version"] == 1, "LookupItemBadLayout")
    _need(it["reserved0"] == 0 and it["reserved1"] == 0, "LookupItemNonzeroReserved")
    return it


def cgroups_lookup_response(b, _ctx):
    def length_ok(n):
        _need(n >= CG_ITEM_SIZE, "LookupItemTruncated")
    generation, spans, packed = _lookup_frame(b, False, length_ok)
    items = []
    for off, length in spans:
        item = packed[off:off + length]
        it = _lookup_item_common(item, CG_ITEM)
        _need(it["status"] <= 4, "CgroupsItemBadStatus")
        _need(it["path_length"] != 0, "CgroupsItemEmptyPath")
        _need(it["status"] == 0 or not (it["orchestrator"] or it["name_length"]
                                        or it["label_count"]), "CgroupsItemUnknownNotEmpty")
        (path, name), labels = _lookup_strings_and_labels(item, CG_ITEM_SIZE, it,
                                                          ["path", "name"], it["label_count"])
        items.append({"status": it["status"], "orchestrator": it["orchestrator"],
                      "path_hex": path.hex(), "name_hex": name.hex(), "labels": labels})
    return {"generation": str(generation), "items": items}


def _apps_semantics(it):
    """LOOKUP-APITEM-001..006 in order."""
    _need(it["status"] <= 3, "AppsItemBadStatus")
    _need(it["cgroup_status"] <= 3, "AppsItemBadCgroupStatus")
    _need(it["comm_length"] <= 15, "AppsItemCommTooLong")
    path, name, labels = it["cgroup_path_length"], it["cgroup_name_length"], it["label_count"]
    if it["status"] != 0:
        _need(it["orchestrator"] == 0 and it["cgroup_status"] == 0 and it["ppid"] == 0
              and it["uid"] == UID_UNSET and it["starttime"] == 0 and it["comm_length"] == 0
              and path == 0 and name == 0 and labels == 0, "AppsItemUnknownNotEmpty")
        return
    _need(it["comm_length"] != 0, "AppsItemCommEmpty")
    quiet = it["orchestrator"] == 0 and name == 0 and labels == 0
    ok = {0: path != 0, 1: quiet, 2: path != 0 and quiet, 3: path == 0 and quiet}
    _need(ok[it["cgroup_status"]], "AppsItemCgroupMismatch")


def apps_lookup_response(b, _ctx):
    def length_ok(n):
        _need(n >= AP_ITEM_SIZE, "LookupItemTruncated")
    generation, spans, packed = _lookup_frame(b, False, length_ok)
    items = []
    for off, length in spans:
        item = packed[off:off + length]
        it = _lookup_item_common(item, AP_ITEM)
        _apps_semantics(it)
        (comm, path, name), labels = _lookup_strings_and_labels(
            item, AP_ITEM_SIZE, it, ["comm", "cgroup_path", "cgroup_name"], it["label_count"])
        items.append({"status": it["status"], "orchestrator": it["orchestrator"],
                      "cgroup_status": it["cgroup_status"], "pid": it["pid"],
                      "ppid": it["ppid"], "uid": it["uid"], "starttime": str(it["starttime"]),
                      "comm_hex": comm.hex(), "cgroup_path_hex": path.hex(),
                      "cgroup_name_hex": name.hex(), "labels": labels})
    return {"generation": str(generation), "items": items}


# ---- transport-windows.md and transport-uds.md (names) -------------------------------------

FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x00000100000001B3
SERVICE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
NAME_MAX = 255          # WIN-NAME-LEN-001
HASH_INPUT_MAX = 511    # WIN-SHM-NAME-002


def fnv1a64(data):
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & U64_MAX
    return h


def hex16(x):
    return "%016x" % x


def check_service(service):
    """UDS-NAME-001, which applies on every transport."""
    if not service or service in (".", "..") or not set(service) <= SERVICE_CHARS:
        raise Invalid("BadParameter")


def check_name(name):
    if len(name.encode("utf-8")) > NAME_MAX:
        raise Invalid("NameTooLong")
    return name


def shm_names(hash_value, service, profile, session_id):
    if hash_value == 0:
        raise Invalid("NameHashZero")                               # WIN-SHM-NAME-003
    prefix = "Local\\netipc-%s-%s-p%d-s%s" % (hex16(hash_value), service, int(profile),
                                               hex16(int(session_id)))
    return {"prefix": prefix, "mapping": check_name(prefix + "-mapping"),
            "request_event": check_name(prefix + "-req_event"),
            "response_event": check_name(prefix + "-resp_event")}


def windows_names(ctx):
    obj, service = ctx.get("object"), ctx.get("service", "")
    check_service(service)
    if obj == "pipe":                                               # WIN-PIPE-NAME-001
        digest = hex16(fnv1a64(ctx["run_dir"].encode("utf-8")))
        return {"run_dir_hash": digest,
                "pipe_name": check_name("\\\\.\\pipe\\netipc-%s-%s" % (digest, service))}
    if obj == "shm":                                                # WIN-SHM-NAME-001
        hash_input = "%s\n%s\n%d" % (ctx["run_dir"], service, int(ctx["auth_token"]))
        raw = hash_input.encode("utf-8")
        if len(raw) > HASH_INPUT_MAX:
            raise Invalid("NameInputTooLong")
        digest = fnv1a64(raw)
        names = shm_names(digest, service, ctx["profile"], ctx["session_id"])
        del names["prefix"]
        return dict(names, hash_input=hash_input, hash=hex16(digest))
    if obj == "shm_from_hash":
        names = shm_names(int(ctx["hash"], 16), service, ctx["profile"], ctx["session_id"])
        return {"prefix": names["prefix"]}
    raise BadRequest("unknown object %r" % obj)


# ---- encoders: the canonical form of each single-buffer family -----------------------------

def encode_outer(f, _ctx):
    return write(OUTER_HEADER, HEADER_LEN, dict(f, magic=MSG_MAGIC, version=1,
                                                header_len=HEADER_LEN))


def encode_chunk(f, _ctx):
    return write(CHUNK_HEADER, HEADER_LEN, dict(f, magic=CHUNK_MAGIC, version=1))


def encode_hello(f, _ctx):
    return write(HELLO, HELLO_LEN, dict(f, layout_version=1))


def encode_ack(f, _ctx):
    return write(HELLO_ACK, ACK_LEN, dict(f, layout_version=1))


def packed_items(items, pad_end):
    """Directory entries and the packed area of BATCH-LAYOUT-001 / CODEC-SNAP-015."""
    directory, area = b"", b""
    for data in items:
        area += bytes(align8(len(area)) - len(area))
        directory += struct.pack("<II", len(area), len(data))
        area += data
    if pad_end:
        area += bytes(align8(len(area)) - len(area))
    return directory + area


def encode_batch(f, _ctx):
    return packed_items([bytes.fromhex(x) for x in f["items_hex"]], pad_end=True)


def encode_increment(f, _ctx):
    return write([("value", 0, "Q")], 8, f)


def encode_string(f, _ctx):
    s = bytes.fromhex(f["string_hex"])
    return struct.pack("<II", 8, len(s)) + s + b"\0"


def encode_snapshot_request(_f, _ctx):
    return struct.pack("<HH", 1, 0)


def encode_snapshot_response(f, _ctx):
    items = []
    for it in f["items"]:
        name, path = bytes.fromhex(it["name_hex"]), bytes.fromhex(it["path_hex"])
        fixed = write(SNAP_ITEM, 32, dict(it, layout_version=1, name_offset=32,
                                          name_length=len(name),
                                          path_offset=32 + len(name) + 1,
                                          path_length=len(path)))
        items.append(fixed + name + b"\0" + path + b"\0")
    header = write(SNAP_HEADER, 24, {"layout_version": 1, "item_count": len(items),
                                     "systemd_enabled": f["systemd_enabled"],
                                     "generation": f["generation"]})
    return header + packed_items(items, pad_end=False)


def _lookup_packed(parts, header):
    """Header, directory and parts at align8 of the previous end, nothing after the last."""
    directory, packed = b"", b""
    for i, part in enumerate(parts):
        if i:
            packed += bytes(align8(len(packed)) - len(packed))
        directory += struct.pack("<II", len(packed), len(part))
        packed += part
    return header + directory + packed


def _lookup_item(layout, fixed, values, strings, labels):
    """Fixed part, strings back to back with NULs, then padding, table and label strings."""
    body, cursor = b"", fixed
    for name, s in strings:
        values[name + "_offset"], values[name + "_length"] = cursor, len(s)
        body += s + b"\0"
        cursor += len(s) + 1
    if labels:
        pad = align8(cursor) - cursor
        table_at = cursor + pad
        cursor = table_at + 16 * len(labels)
        table, text = b"", b""
        for lab in labels:
            k, v = bytes.fromhex(lab["key_hex"]), bytes.fromhex(lab["value_hex"])
            table += struct.pack("<IIII", cursor, len(k), cursor + len(k) + 1, len(v))
            text += k + b"\0" + v + b"\0"
            cursor += len(k) + len(v) + 2
        body += bytes(pad) + table + text
    values["label_count"] = len(labels)
    values["layout_version"] = 1
    return write(layout, fixed, values) + body


def encode_cgroups_lookup_request(f, _ctx):
    keys = [bytes.fromhex(p) + b"\0" for p in f["paths_hex"]]
    return _lookup_packed(keys, write(LOOKUP_REQ, 16, {"layout_version": 1,
                                                        "item_count": len(keys)}))


def encode_apps_lookup_request(f, _ctx):
    keys = [struct.pack("<II", p, 0) for p in f["pids"]]
    return _lookup_packed(keys, write(LOOKUP_REQ, 16, {"layout_version": 1,
                                                        "item_count": len(keys)}))


def encode_cgroups_lookup_response(f, _ctx):
    items = [_lookup_item(CG_ITEM, CG_ITEM_SIZE,
                          {"status": it["status"], "orchestrator": it["orchestrator"]},
                          [("path", bytes.fromhex(it["path_hex"])),
                           ("name", bytes.fromhex(it["name_hex"]))], it["labels"])
             for it in f["items"]]
    return _lookup_packed(items, write(LOOKUP_RESP, 16, {"layout_version": 1,
                                                          "item_count": len(items),
                                                          "generation": f["generation"]}))


def encode_apps_lookup_response(f, _ctx):
    items = []
    for it in f["items"]:
        values = {k: it[k] for k in ("status", "orchestrator", "cgroup_status", "pid", "ppid",
                                     "uid", "starttime")}
        items.append(_lookup_item(AP_ITEM, AP_ITEM_SIZE, values,
                                  [("comm", bytes.fromhex(it["comm_hex"])),
                                   ("cgroup_path", bytes.fromhex(it["cgroup_path_hex"])),
                                   ("cgroup_name", bytes.fromhex(it["cgroup_name_hex"]))],
                                  it["labels"]))
    return _lookup_packed(items, write(LOOKUP_RESP, 16, {"layout_version": 1,
                                                          "item_count": len(items),
                                                          "generation": f["generation"]}))


# ---- the testee contract -------------------------------------------------------------------

DECODERS = {"outer_header": outer_header, "chunk_header": chunk_header, "hello": hello,
            "hello_ack": hello_ack, "batch": batch, "increment": increment,
            "string_reverse": string_reverse, "cgroups_snapshot_request": snapshot_request,
            "cgroups_snapshot_response": snapshot_response,
            "cgroups_lookup_request": cgroups_lookup_request,
            "cgroups_lookup_response": cgroups_lookup_response,
            "apps_lookup_request": apps_lookup_request,
            "apps_lookup_response": apps_lookup_response}
ENCODERS = {"outer_header": encode_outer, "chunk_header": encode_chunk, "hello": encode_hello,
            "hello_ack": encode_ack, "batch": encode_batch, "increment": encode_increment,
            "string_reverse": encode_string, "cgroups_snapshot_request": encode_snapshot_request,
            "cgroups_snapshot_response": encode_snapshot_response,
            "cgroups_lookup_request": encode_cgroups_lookup_request,
            "cgroups_lookup_response": encode_cgroups_lookup_response,
            "apps_lookup_request": encode_apps_lookup_request,
            "apps_lookup_response": encode_apps_lookup_response}
FAMILY_OP = {"chunked_message": "decode", "handshake_decide": "decide",
             "handshake_check_ack": "check_ack", "windows_names": "names"}
FAMILIES = sorted(set(DECODERS) | set(FAMILY_OP))


def _bytes(req):
    if not isinstance(req.get("hex"), str):
        raise BadRequest("missing hex")
    try:
        return bytes.fromhex(req["hex"])
    except ValueError:
        raise BadRequest("hex is not hexadecimal") from None


def _run(req):
    """The verdict for one request (before any --lie), or raises BadRequest."""
    op, family = req.get("op"), req.get("family")
    ctx = req.get("context") or {}
    if family not in FAMILIES:
        return {"result": "unsupported", "reason": "unknown family %r" % family}
    want_op = FAMILY_OP.get(family, "decode")
    try:
        if op == "encode":
            if family not in ENCODERS:
                return {"result": "unsupported", "reason": "no encoder for " + family}
            return {"result": "valid", "hex": ENCODERS[family](req["fields"], ctx).hex()}
        if op != want_op:
            return {"result": "unsupported", "reason": "%s takes op %s" % (family, want_op)}
        if family == "chunked_message":
            if not isinstance(req.get("packets"), list):
                raise BadRequest("missing packets")
            packets = [bytes.fromhex(p) for p in req["packets"]]
            return {"result": "valid", "fields": chunked_message(packets, ctx)}
        if family == "handshake_decide":
            try:
                reply = decide(_bytes(req), ctx["policy"])
            except Invalid as e:
                error = e.args[0]
                if error == "SilentClose":
                    return {"result": "invalid", "error": error}
                status = STATUS[error.removeprefix("Status")]
                return {"result": "invalid", "error": error,
                        "hex": ack_packet(status, {}).hex()}
            return {"result": "valid", "fields": {"reply_hex": reply.hex()}}
        if family == "handshake_check_ack":
            return {"result": "valid", "fields": check_ack(_bytes(req), ctx["hello"])}
        if family == "windows_names":
            return {"result": "valid", "fields": windows_names(ctx)}
        return {"result": "valid", "fields": DECODERS[family](_bytes(req), ctx)}
    except Invalid as e:
        return {"result": "invalid", "error": e.args[0]}
    except (KeyError, TypeError, ValueError) as e:
        raise BadRequest("malformed request: %r" % e) from None


def answer(req, lie=None):
    if req.get("op") == "hello":
        name = "spec-model (Python)"
        if lie or IGNORE_RESERVED:
            name += " with seeded bugs: " + ", ".join(
                (["lies about " + lie] if lie else [])
                + ["ignores reserved in " + f for f in sorted(IGNORE_RESERVED)])
        return {"result": "valid", "implementation": name,
                "families": FAMILIES}
    try:
        resp = _run(req)
    except BadRequest as e:
        return {"result": "error", "message": str(e)}
    if req.get("family") == lie and resp["result"] in ("valid", "invalid"):
        resp = {"result": "invalid", "error": "HeaderTruncated"} if resp["result"] == "valid" \
            else {"result": "valid", "fields": {}}
    return resp


def main(argv):
    lie = argv[argv.index("--lie") + 1] if "--lie" in argv else None
    if "--ignore-reserved" in argv:
        family = argv[argv.index("--ignore-reserved") + 1]
        if family not in ("hello", "hello_ack", "cgroups_snapshot_response"):
            print("model_testee.py: --ignore-reserved takes hello, hello_ack or "
                  "cgroups_snapshot_response, not %r" % family, file=sys.stderr)
            return 2
        IGNORE_RESERVED.add(family)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return 0
        (n,) = struct.unpack("<I", head)
        try:
            req = json.loads(inp.read(n))
            resp = answer(req, lie) if isinstance(req, dict) else \
                {"result": "error", "message": "request is not a JSON object"}
        except ValueError as e:
            resp = {"result": "error", "message": "request is not JSON: %s" % e}
        body = json.dumps(resp, separators=(",", ":")).encode()
        out.write(struct.pack("<I", len(body)) + body)
        out.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
