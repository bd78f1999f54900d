//! The codec-testee role (vectors/README.md, "Replaying them through netipc-cts"): each
//! request is decoded or encoded by the library's public protocol functions; the shim only
//! converts fields to and from the suite's JSON and names the library's errors with the
//! suite's classes. The library's errors are coarser than the classes; where one error
//! stands for several classes, the bytes the library refused say which class it implies.

use crate::errors::ShimError;
use crate::json::{hex, parse, unhex, Json};
use netipc::protocol::{
    batch_item_get, increment_decode, increment_encode, string_reverse_decode, string_reverse_encode,
    BatchBuilder, CgroupsBuilder, CgroupsRequest, CgroupsResponseView, ChunkHeader, Header, Hello, HelloAck,
    NipcError, HEADER_SIZE, MAGIC_CHUNK, MAGIC_MSG, VERSION,
};
use std::io::{Read, Write};

const FAMILIES: &[&str] = &[
    "handshake_decide",
    "handshake_check_ack",
    "chunked_message",
    "outer_header",
    "chunk_header",
    "hello",
    "hello_ack",
    "batch",
    "increment",
    "string_reverse",
    "cgroups_snapshot_request",
    "cgroups_snapshot_response",
];

fn u16_at(b: &[u8], o: usize) -> u16 {
    b.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).unwrap_or(0)
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    b.get(o..o + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).unwrap_or(0)
}

/// Class of an outer-header decode error (also used for messages read from shared memory).
pub fn header_class(e: NipcError) -> &'static str {
    match e {
        NipcError::Truncated => "HeaderTruncated",
        NipcError::BadMagic => "HeaderBadMagic",
        NipcError::BadVersion => "HeaderBadVersion",
        NipcError::BadHeaderLen => "HeaderBadHeaderLen",
        _ => "HeaderBadKind",
    }
}

pub fn header_error(e: NipcError, _len: usize) -> ShimError {
    ShimError::new("Protocol", Some(header_class(e)), format!("outer header: {e}"))
}

type Decoded = Result<Json, &'static str>;

fn u64s(v: u64) -> Json {
    Json::Str(v.to_string())
}

fn decode_outer(b: &[u8]) -> Decoded {
    let h = Header::decode(b).map_err(header_class)?;
    let mut f = Json::obj();
    f.set("kind", h.kind);
    f.set("flags", h.flags);
    f.set("code", h.code);
    f.set("transport_status", h.transport_status);
    f.set("payload_len", h.payload_len);
    f.set("item_count", h.item_count);
    f.set("message_id", u64s(h.message_id));
    Ok(f)
}

fn decode_chunk(b: &[u8]) -> Decoded {
    let c = ChunkHeader::decode(b).map_err(|e| match e {
        NipcError::Truncated => "ChunkTruncated",
        NipcError::BadMagic => "ChunkBadMagic",
        NipcError::BadVersion => "ChunkBadVersion",
        // The library refuses flags != 0 and chunk_payload_len == 0 with one error.
        _ if u16_at(b, 6) != 0 => "ChunkNonzeroFlags",
        _ => "ChunkEmpty",
    })?;
    let mut f = Json::obj();
    f.set("message_id", u64s(c.message_id));
    f.set("total_message_len", c.total_message_len);
    f.set("chunk_index", c.chunk_index);
    f.set("chunk_count", c.chunk_count);
    f.set("chunk_payload_len", c.chunk_payload_len);
    Ok(f)
}

fn decode_hello(b: &[u8]) -> Decoded {
    let h = Hello::decode(b).map_err(|e| match e {
        NipcError::Truncated => "HelloTruncated",
        _ if u16_at(b, 0) != 1 => "HelloBadLayout",
        _ if u16_at(b, 2) != 0 => "HelloNonzeroFlags",
        _ => "HelloNonzeroReserved",
    })?;
    let mut f = Json::obj();
    f.set("supported_profiles", h.supported_profiles);
    f.set("preferred_profiles", h.preferred_profiles);
    f.set("max_request_payload_bytes", h.max_request_payload_bytes);
    f.set("max_request_batch_items", h.max_request_batch_items);
    f.set("max_response_payload_bytes", h.max_response_payload_bytes);
    f.set("max_response_batch_items", h.max_response_batch_items);
    f.set("auth_token", u64s(h.auth_token));
    f.set("packet_size", h.packet_size);
    Ok(f)
}

fn decode_hello_ack(b: &[u8]) -> Decoded {
    let h = HelloAck::decode(b).map_err(|e| match e {
        NipcError::Truncated => "AckTruncated",
        _ if u16_at(b, 0) != 1 => "AckBadLayout",
        _ if u16_at(b, 2) != 0 => "AckNonzeroFlags",
        _ => "AckNonzeroReserved",
    })?;
    let mut f = Json::obj();
    f.set("server_supported_profiles", h.server_supported_profiles);
    f.set("intersection_profiles", h.intersection_profiles);
    f.set("selected_profile", h.selected_profile);
    f.set("agreed_max_request_payload_bytes", h.agreed_max_request_payload_bytes);
    f.set("agreed_max_request_batch_items", h.agreed_max_request_batch_items);
    f.set("agreed_max_response_payload_bytes", h.agreed_max_response_payload_bytes);
    f.set("agreed_max_response_batch_items", h.agreed_max_response_batch_items);
    f.set("agreed_packet_size", h.agreed_packet_size);
    f.set("session_id", u64s(h.session_id));
    Ok(f)
}

fn batch_class(e: NipcError) -> &'static str {
    match e {
        NipcError::BadAlignment => "BatchMisalignedOffset",
        NipcError::OutOfBounds => "BatchItemOutOfBounds",
        _ => "BatchDirectoryTruncated",
    }
}

fn decode_batch(b: &[u8], ctx: &Json) -> Result<Decoded, String> {
    let n = ctx.get("item_count").and_then(Json::as_u64).ok_or("context.item_count missing")?;
    let n = u32::try_from(n).map_err(|_| "context.item_count is not a u32")?;
    let mut items = Vec::new();
    for i in 0..n {
        match batch_item_get(b, n, i) {
            Ok((s, _)) => items.push(Json::Str(hex(s))),
            Err(e) => return Ok(Err(batch_class(e))),
        }
    }
    let mut f = Json::obj();
    f.set("items_hex", Json::Arr(items));
    Ok(Ok(f))
}

fn decode_increment(b: &[u8]) -> Decoded {
    let v = increment_decode(b).map_err(|_| "IncrementTruncated")?;
    let mut f = Json::obj();
    f.set("value", u64s(v));
    Ok(f)
}

fn decode_string_reverse(b: &[u8]) -> Decoded {
    let v = string_reverse_decode(b).map_err(|e| match e {
        NipcError::Truncated => "StringTruncated",
        NipcError::BadLayout => "StringBadOffset",
        NipcError::MissingNul => "StringMissingNul",
        _ => "StringOutOfBounds",
    })?;
    let mut f = Json::obj();
    f.set("string_hex", hex(v.str_data));
    Ok(f)
}

fn decode_snapshot_request(b: &[u8]) -> Decoded {
    CgroupsRequest::decode(b).map_err(|e| match e {
        NipcError::Truncated => "SnapshotRequestTruncated",
        _ if u16_at(b, 0) != 1 => "SnapshotRequestBadLayout",
        _ => "SnapshotRequestNonzeroFlags",
    })?;
    Ok(Json::obj())
}

fn snapshot_view_class(e: NipcError, b: &[u8]) -> &'static str {
    let n = u32_at(b, 4) as usize;
    match e {
        NipcError::Truncated if b.len() < 24 => "SnapshotTruncated",
        NipcError::Truncated if 24 + n.saturating_mul(8) > b.len() => "SnapshotDirectoryTruncated",
        NipcError::Truncated => "SnapshotItemTruncated",
        NipcError::BadLayout if u16_at(b, 0) != 1 => "SnapshotBadLayout",
        NipcError::BadLayout if u16_at(b, 2) != 0 => "SnapshotNonzeroFlags",
        NipcError::BadLayout if u32_at(b, 12) != 0 => "SnapshotNonzeroReserved",
        NipcError::BadLayout => "SnapshotDirectoryTruncated",
        NipcError::BadAlignment => "SnapshotMisalignedOffset",
        _ => "SnapshotItemOutOfBounds",
    }
}

fn snapshot_item_class(e: NipcError, b: &[u8], index: u32) -> &'static str {
    let n = u32_at(b, 4) as usize;
    let packed = 24 + n * 8;
    let off = u32_at(b, 24 + index as usize * 8) as usize;
    let item = b.get(packed + off..).unwrap_or(&[]);
    match e {
        NipcError::BadLayout if u16_at(item, 0) != 1 => "SnapshotItemBadLayout",
        NipcError::BadLayout if u16_at(item, 2) != 0 => "SnapshotItemNonzeroFlags",
        NipcError::BadLayout => "SnapshotStringsOverlap",
        NipcError::MissingNul => "SnapshotStringMissingNul",
        NipcError::OutOfBounds if (u32_at(item, 16) as usize) < 32 || (u32_at(item, 24) as usize) < 32 => {
            "SnapshotStringOffsetLow"
        }
        NipcError::OutOfBounds => "SnapshotStringOutOfBounds",
        NipcError::Truncated => "SnapshotItemTruncated",
        _ => "SnapshotItemOutOfBounds",
    }
}

fn decode_snapshot_response(b: &[u8]) -> Decoded {
    let v = CgroupsResponseView::decode(b).map_err(|e| snapshot_view_class(e, b))?;
    let mut items = Vec::new();
    for i in 0..v.item_count {
        let it = v.item(i).map_err(|e| snapshot_item_class(e, b, i))?;
        let mut j = Json::obj();
        j.set("hash", it.hash);
        j.set("options", it.options);
        j.set("enabled", it.enabled);
        j.set("name_hex", hex(it.name.as_bytes()));
        j.set("path_hex", hex(it.path.as_bytes()));
        items.push(j);
    }
    let mut f = Json::obj();
    f.set("systemd_enabled", v.systemd_enabled);
    f.set("generation", u64s(v.generation));
    f.set("items", Json::Arr(items));
    Ok(f)
}

// --- encode -------------------------------------------------------------------------------

fn num<T: TryFrom<u64>>(f: &Json, key: &str) -> Result<T, String> {
    f.get(key)
        .and_then(Json::as_u64)
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| format!("fields.{key} missing or out of range"))
}

fn bytes(f: &Json, key: &str) -> Result<Vec<u8>, String> {
    f.get(key).and_then(Json::as_str).and_then(unhex).ok_or_else(|| format!("fields.{key} is not hex"))
}

/// Encodes `fields`; Ok(None) when the library's encoder refuses.
fn encode(family: &str, f: &Json) -> Result<Option<Vec<u8>>, String> {
    let mut buf = vec![0u8; 64];
    let n = match family {
        "outer_header" => Header {
            magic: MAGIC_MSG,
            version: VERSION,
            header_len: HEADER_SIZE as u16,
            kind: num(f, "kind")?,
            flags: num(f, "flags")?,
            code: num(f, "code")?,
            transport_status: num(f, "transport_status")?,
            payload_len: num(f, "payload_len")?,
            item_count: num(f, "item_count")?,
            message_id: num(f, "message_id")?,
        }
        .encode(&mut buf),
        "chunk_header" => ChunkHeader {
            magic: MAGIC_CHUNK,
            version: VERSION,
            flags: 0,
            message_id: num(f, "message_id")?,
            total_message_len: num(f, "total_message_len")?,
            chunk_index: num(f, "chunk_index")?,
            chunk_count: num(f, "chunk_count")?,
            chunk_payload_len: num(f, "chunk_payload_len")?,
        }
        .encode(&mut buf),
        "hello" => Hello {
            layout_version: 1,
            flags: 0,
            supported_profiles: num(f, "supported_profiles")?,
            preferred_profiles: num(f, "preferred_profiles")?,
            max_request_payload_bytes: num(f, "max_request_payload_bytes")?,
            max_request_batch_items: num(f, "max_request_batch_items")?,
            max_response_payload_bytes: num(f, "max_response_payload_bytes")?,
            max_response_batch_items: num(f, "max_response_batch_items")?,
            auth_token: num(f, "auth_token")?,
            packet_size: num(f, "packet_size")?,
        }
        .encode(&mut buf),
        "hello_ack" => HelloAck {
            layout_version: 1,
            flags: 0,
            server_supported_profiles: num(f, "server_supported_profiles")?,
            intersection_profiles: num(f, "intersection_profiles")?,
            selected_profile: num(f, "selected_profile")?,
            agreed_max_request_payload_bytes: num(f, "agreed_max_request_payload_bytes")?,
            agreed_max_request_batch_items: num(f, "agreed_max_request_batch_items")?,
            agreed_max_response_payload_bytes: num(f, "agreed_max_response_payload_bytes")?,
            agreed_max_response_batch_items: num(f, "agreed_max_response_batch_items")?,
            agreed_packet_size: num(f, "agreed_packet_size")?,
            session_id: num(f, "session_id")?,
        }
        .encode(&mut buf),
        "increment" => increment_encode(num(f, "value")?, &mut buf),
        "string_reverse" => {
            let s = bytes(f, "string_hex")?;
            buf = vec![0u8; s.len() + 16];
            string_reverse_encode(&s, &mut buf)
        }
        "cgroups_snapshot_request" => CgroupsRequest { layout_version: 1, flags: 0 }.encode(&mut buf),
        "batch" => {
            let items: Vec<Vec<u8>> = f
                .get("items_hex")
                .and_then(Json::as_array)
                .ok_or("fields.items_hex missing")?
                .iter()
                .map(|x| x.as_str().and_then(unhex).ok_or_else(|| "items_hex entry is not hex".to_string()))
                .collect::<Result<_, _>>()?;
            buf = vec![0u8; 8 * items.len() + 8 + items.iter().map(|x| x.len() + 8).sum::<usize>()];
            let mut b = BatchBuilder::new(&mut buf, items.len() as u32);
            for it in &items {
                if b.add(it).is_err() {
                    return Ok(None);
                }
            }
            b.finish().0
        }
        "cgroups_snapshot_response" => {
            let list = f.get("items").and_then(Json::as_array).ok_or("fields.items missing")?;
            let mut parsed = Vec::new();
            for it in list {
                parsed.push((
                    num::<u32>(it, "hash")?,
                    num::<u32>(it, "options")?,
                    num::<u32>(it, "enabled")?,
                    bytes(it, "name_hex")?,
                    bytes(it, "path_hex")?,
                ));
            }
            let size = 24 + parsed.iter().map(|p| 8 + 32 + p.3.len() + p.4.len() + 2 + 8).sum::<usize>();
            buf = vec![0u8; size];
            let mut b = CgroupsBuilder::new(&mut buf, parsed.len() as u32, num(f, "systemd_enabled")?, num(f, "generation")?);
            for p in &parsed {
                if b.add(p.0, p.1, p.2, &p.3, &p.4).is_err() {
                    return Ok(None);
                }
            }
            b.finish()
        }
        _ => return Err(format!("family {family} has no encoder here")),
    };
    // The library's encoders return 0 when they refuse; an empty batch is 0 bytes long.
    if n == 0 && !(family == "batch" && f.get("items_hex").and_then(Json::as_array).is_some_and(|v| v.is_empty())) {
        return Ok(None);
    }
    buf.truncate(n);
    Ok(Some(buf))
}

// --- the request loop ---------------------------------------------------------------------

fn unsupported(reason: &str) -> Json {
    let mut j = Json::obj();
    j.set("result", "unsupported");
    j.set("reason", reason);
    j
}

fn error(message: String) -> Json {
    let mut j = Json::obj();
    j.set("result", "error");
    j.set("message", message);
    j
}

fn family_unsupported(family: &str) -> Option<&'static str> {
    match family {
        "windows_names" => Some("the library derives Windows names only in its Windows transports (not built on this platform)"),
        _ => None,
    }
}

fn handle(req: &Json) -> Json {
    let Some(op) = req.get("op").and_then(Json::as_str) else {
        return error("missing op".into());
    };
    if op == "hello" {
        let mut j = Json::obj();
        j.set("result", "valid");
        j.set("implementation", format!("netipc Rust crate ({})", crate::REVISION));
        j.set(
            "families",
            Json::Arr(FAMILIES.iter().chain(crate::lookup::FAMILIES).map(|f| Json::from(*f)).collect()),
        );
        return j;
    }
    let Some(family) = req.get("family").and_then(Json::as_str) else {
        return error("missing family".into());
    };
    if let Some(why) = family_unsupported(family) {
        return unsupported(why);
    }
    if !FAMILIES.contains(&family) && !crate::lookup::FAMILIES.contains(&family) {
        return unsupported("unknown family");
    }
    let empty = Json::obj();
    let ctx = req.get("context").unwrap_or(&empty);
    let handshake = family.starts_with("handshake_");
    match op {
        "decode" | "encode" if handshake => unsupported("handshake families are replayed with decide / check_ack"),
        "decode" if family == "chunked_message" => {
            let packets: Option<Vec<Vec<u8>>> = req
                .get("packets")
                .and_then(Json::as_array)
                .and_then(|v| v.iter().map(|p| p.as_str().and_then(unhex)).collect());
            let Some(packets) = packets else { return error("decode of chunked_message needs packets".into()) };
            crate::handshake::reassemble(&packets, ctx).unwrap_or_else(error)
        }
        "encode" if family == "chunked_message" => {
            unsupported("the crate splits messages only inside a live session's send")
        }
        "decode" => {
            let Some(b) = req.get("hex").and_then(Json::as_str).and_then(unhex) else {
                return error("decode needs hex".into());
            };
            if family == "outer_header" && ctx.get("limits").is_some() {
                return unsupported("the library checks direction limits only inside a live session's receive");
            }
            let r = match family {
                "outer_header" => decode_outer(&b),
                "chunk_header" => decode_chunk(&b),
                "hello" => decode_hello(&b),
                "hello_ack" => decode_hello_ack(&b),
                "batch" => match decode_batch(&b, ctx) {
                    Ok(r) => r,
                    Err(m) => return error(m),
                },
                "increment" => decode_increment(&b),
                "string_reverse" => decode_string_reverse(&b),
                "cgroups_snapshot_request" => decode_snapshot_request(&b),
                f if crate::lookup::FAMILIES.contains(&f) => crate::lookup::decode(f, &b),
                _ => decode_snapshot_response(&b),
            };
            let mut j = Json::obj();
            match r {
                Ok(fields) => {
                    j.set("result", "valid");
                    j.set("fields", fields);
                }
                Err(class) => {
                    j.set("result", "invalid");
                    j.set("error", class);
                }
            }
            j
        }
        "encode" if crate::lookup::FAMILIES.contains(&family) => {
            unsupported("the shim does not encode the lookup families")
        }
        "encode" => {
            let Some(fields) = req.get("fields") else { return error("encode needs fields".into()) };
            let mut j = Json::obj();
            match encode(family, fields) {
                Ok(Some(b)) => {
                    j.set("result", "valid");
                    j.set("hex", hex(&b));
                }
                Ok(None) => {
                    j.set("result", "invalid");
                    j.set("error", "BufferTooSmall");
                }
                Err(m) => return error(m),
            }
            j
        }
        "decide" if family == "handshake_decide" => {
            let (Some(b), Some(policy)) = (req.get("hex").and_then(Json::as_str).and_then(unhex), ctx.get("policy")) else {
                return error("decide needs hex and context.policy".into());
            };
            crate::handshake::decide(&b, policy).unwrap_or_else(error)
        }
        "check_ack" if family == "handshake_check_ack" => {
            let (Some(b), Some(hello)) = (req.get("hex").and_then(Json::as_str).and_then(unhex), ctx.get("hello")) else {
                return error("check_ack needs hex and context.hello".into());
            };
            crate::handshake::check_ack(&b, hello).unwrap_or_else(error)
        }
        "decide" | "check_ack" | "names" => unsupported("the library has no public entry point for this op"),
        _ => error(format!("unknown op {op}")),
    }
}

/// Reads length-prefixed JSON requests until stdin closes.
pub fn run() -> i32 {
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    loop {
        let mut len = [0u8; 4];
        if input.read_exact(&mut len).is_err() {
            return 0;
        }
        let n = u32::from_le_bytes(len) as usize;
        let mut body = vec![0u8; n];
        if input.read_exact(&mut body).is_err() {
            return 0;
        }
        let answer = match std::str::from_utf8(&body).map_err(|e| e.to_string()).and_then(|t| parse(t)) {
            Ok(req) => handle(&req),
            Err(m) => error(format!("request is not JSON: {m}")),
        };
        let text = answer.dump();
        let ok = output
            .write_all(&(text.len() as u32).to_le_bytes())
            .and_then(|_| output.write_all(text.as_bytes()))
            .and_then(|_| output.flush());
        if ok.is_err() {
            return 0;
        }
    }
}
