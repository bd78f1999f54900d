"""Readable annotations of netipc packets for evidence pages: outer header, continuation
chunk header, HELLO and HELLO_ACK fields. Display only; the verdicts never depend on it.
Layouts: spec/envelope.md, spec/chunking.md, spec/handshake.md."""
import struct

MESSAGE_MAGIC = 0x4E495043
CHUNK_MAGIC = 0x4E43484B
KINDS = {1: "REQUEST", 2: "RESPONSE", 3: "CONTROL"}
CONTROL = {1: "HELLO", 2: "HELLO_ACK"}
METHODS = {1: "INCREMENT", 2: "CGROUPS_SNAPSHOT", 3: "STRING_REVERSE", 4: "CGROUPS_LOOKUP",
           5: "APPS_LOOKUP"}
STATUS = {0: "OK", 1: "BAD_ENVELOPE", 2: "AUTH_FAILED", 3: "INCOMPATIBLE", 4: "UNSUPPORTED",
          5: "LIMIT_EXCEEDED", 6: "INTERNAL_ERROR"}

HEADER = struct.Struct("<IHHHHHHIIQ")
CHUNK = struct.Struct("<IHHQIIII")
HELLO = struct.Struct("<HHIIIIIIIQI")
ACK = struct.Struct("<HHIIIIIIIIIQ")


def _header_text(magic, version, header_len, kind, flags, code, status, plen, items, mid):
    kname = KINDS.get(kind, "kind?%d" % kind)
    cname = CONTROL.get(code) if kind == 3 else METHODS.get(code)
    return ("header magic=%#x version=%d header_len=%d kind=%s flags=%#x code=%d%s status=%s "
            "payload_len=%d item_count=%d message_id=%d" % (
                magic, version, header_len, kname, flags, code,
                " (%s)" % cname if cname else "", STATUS.get(status, str(status)), plen, items,
                mid))


def annotate(packet: bytes, first_of_message=True):
    """One-line descriptions of what `packet` holds, outermost first."""
    notes = []
    if len(packet) < 32:
        return ["%d bytes: shorter than a header" % len(packet)]
    magic = struct.unpack_from("<I", packet)[0]
    if magic == CHUNK_MAGIC:
        _, version, flags, mid, total, index, count, plen = CHUNK.unpack_from(packet)
        notes.append("chunk version=%d flags=%#x message_id=%d total_message_len=%d "
                     "chunk_index=%d chunk_count=%d chunk_payload_len=%d (%d bytes follow)"
                     % (version, flags, mid, total, index, count, plen, len(packet) - 32))
        return notes
    fields = HEADER.unpack_from(packet)
    notes.append(_header_text(*fields))
    kind, code, plen = fields[3], fields[5], fields[7]
    payload = packet[32:]
    if len(payload) < plen:
        notes.append("first packet of a chunked message: %d of %d payload bytes"
                     % (len(payload), plen))
    elif len(payload) > plen:
        notes.append("%d bytes beyond payload_len" % (len(payload) - plen))
    if kind == 3 and code == 1 and len(payload) >= 44:
        v = HELLO.unpack_from(payload)
        notes.append("HELLO layout_version=%d flags=%#x supported=%#x preferred=%#x "
                     "max_request_payload=%d max_request_batch=%d max_response_payload=%d "
                     "max_response_batch=%d reserved=%d auth_token=%#x packet_size=%d" % v)
    elif kind == 3 and code == 2 and len(payload) >= 48:
        v = ACK.unpack_from(payload)
        notes.append("HELLO_ACK layout_version=%d flags=%#x server_supported=%#x "
                     "intersection=%#x selected=%#x agreed_request_payload=%d "
                     "agreed_request_batch=%d agreed_response_payload=%d "
                     "agreed_response_batch=%d agreed_packet_size=%d reserved=%d "
                     "session_id=%d" % v)
    elif kind in (1, 2) and code == 1 and plen == 8 and len(payload) >= 8 and not fields[4] & 1:
        notes.append("INCREMENT value=%d" % struct.unpack_from("<Q", payload)[0])
    elif kind in (1, 2) and fields[4] & 1:
        notes.append("batch of %d items" % fields[8])
    return notes


def ack_of(packet: bytes):
    """(status, selected_profile, session_id) when `packet` is a HELLO_ACK, else None."""
    if len(packet) < 32 + 48:
        return None
    magic, _, _, kind, _, code, status = HEADER.unpack_from(packet)[:7]
    if magic != MESSAGE_MAGIC or kind != 3 or code != 2:
        return None
    v = ACK.unpack_from(packet, 32)
    return status, v[4], v[11]


def hexdump(data: bytes, limit=512):
    """Offset / hex / ASCII rows of at most `limit` bytes."""
    rows = []
    for off in range(0, min(len(data), limit), 16):
        chunk = data[off:off + 16]
        hx = " ".join("%02x" % b for b in chunk)
        asc = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append("%08x  %-47s  %s" % (off, hx, asc))
    if len(data) > limit:
        rows.append("… %d more bytes" % (len(data) - limit))
    return rows


def render_exchange(packets, limit=256):
    """Text of a recorded exchange: packets are dicts with direction, t, data (bytes)."""
    out = []
    for i, p in enumerate(packets):
        out.append("#%d %s %d bytes at +%.4f s" % (i + 1, p["direction"], len(p["data"]),
                                                    p["t"]))
        out += ["    " + n for n in annotate(p["data"])]
        out += ["    " + r for r in hexdump(p["data"], limit)]
    return "\n".join(out)
