//! The library's errors mapped onto the suite's names: transport error kinds
//! (reference/include/nipc/transport/error.h) and codec rules (reference/include/nipc/codec/errors.h).
//! Where the library's error is coarser than the suite's classes, the class its error implies
//! is chosen and the library's own text is kept in `text`.

use crate::json::Json;
use netipc::transport::posix::UdsError;
#[cfg(target_os = "linux")]
use netipc::transport::shm::ShmError;

/// One failure as the result line reports it.
#[derive(Clone, Debug)]
pub struct ShimError {
    pub kind: &'static str,
    pub rule: Option<&'static str>,
    pub text: String,
    pub errno: i32,
}

/// Where in a client run an error happened: the same library error means different things.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connect,
    Send,
    Receive,
}

fn kind_requirement(kind: &str) -> &'static str {
    match kind {
        "BadParameter" => "UDS-NAME-001",
        "PathTooLong" => "UDS-SUN-001",
        "AddressInUse" => "UDS-LIVE-001",
        "NotFound" => "UDS-CONNECT-001",
        "PeerClosed" => "UDS-EOF-001",
        "Timeout" | "Cancelled" => "UDS-TIMEOUT-001",
        "PacketTooLarge" => "UDS-RECV-001",
        "InFlight" => "SHM-ONEINFLIGHT-001",
        "ShmOpen" | "ShmNotReady" | "ShmBadMagic" | "ShmBadVersion" | "ShmBadHeader" | "ShmBadSize" => {
            "SHM-ATTACH-001"
        }
        "ShmCreate" => "SHM-CREATE-001",
        "ShmMessageTooLarge" => "SHM-PUB-002",
        "ShmBadLength" => "SHM-CONSUME-002",
        _ => "",
    }
}

pub fn rule_requirement(rule: &str) -> &'static str {
    match rule {
        "HeaderTruncated" => "ENV-LEN-001",
        "HeaderBadMagic" => "ENV-MAGIC-001",
        "HeaderBadVersion" => "ENV-VERSION-001",
        "HeaderBadHeaderLen" => "ENV-HDRLEN-001",
        "HeaderBadKind" => "ENV-KIND-001",
        "PayloadOverLimit" => "ENV-LIMIT-001",
        "ItemCountOverLimit" => "ENV-LIMIT-002",
        "OutboundPayloadOverLimit" => "ENV-LIMIT-003",
        "OutboundItemCountOverLimit" => "ENV-LIMIT-004",
        "PacketLengthMismatch" => "ENV-TRAIL-001",
        "UnexpectedKind" => "SESS-KIND-001",
        "DuplicateMessageId" => "SESS-MSGID-001",
        "UnknownMessageId" => "SESS-MSGID-002",
        "ResponseCodeMismatch" => "SESS-CODE-001",
        "BatchDirectoryTruncated" => "BATCH-DIR-001",
        "BatchMisalignedOffset" => "BATCH-ALIGN-001",
        "BatchItemOutOfBounds" => "BATCH-BOUNDS-001",
        "ChunkTruncated" => "CHUNK-LEN-001",
        "ChunkBadMagic" => "CHUNK-MAGIC-001",
        "ChunkBadVersion" => "CHUNK-VERSION-001",
        "ChunkNonzeroFlags" => "CHUNK-FLAGS-001",
        "ChunkMessageIdMismatch" => "CHUNK-MSGID-001",
        "ChunkIndexMismatch" => "CHUNK-INDEX-001",
        "ChunkCountMismatch" => "CHUNK-COUNT-001",
        "ChunkTotalLenMismatch" => "CHUNK-TOTAL-001",
        "ChunkPayloadLenMismatch" => "CHUNK-PLEN-001",
        "ChunkEmpty" => "CHUNK-PLEN-002",
        "ChunkOverrun" => "CHUNK-OVERRUN-001",
        "AckTruncated" => "HS-ACK-LEN-001",
        "AckBadLayout" => "HS-ACK-LAYOUT-001",
        "AckNonzeroFlags" => "HS-ACK-FLAGS-001",
        "AckRejectedAuth" => "HS-CLI-STATUS-001",
        "AckRejectedUnsupported" => "HS-CLI-STATUS-002",
        "AckRejectedIncompatible" => "HS-CLI-STATUS-003",
        "AckRejectedLimit" => "HS-CLI-STATUS-004",
        "AckRejectedOther" => "HS-CLI-STATUS-005",
        "AckNotControl" => "HS-CLI-KIND-001",
        _ => "",
    }
}

impl ShimError {
    pub fn new(kind: &'static str, rule: Option<&'static str>, text: impl Into<String>) -> ShimError {
        ShimError { kind, rule, text: text.into(), errno: 0 }
    }

    fn sys(kind: &'static str, errno: i32, text: String) -> ShimError {
        ShimError { kind, rule: None, text, errno }
    }

    pub fn requirement(&self) -> &'static str {
        match self.rule {
            Some(r) if !rule_requirement(r).is_empty() => rule_requirement(r),
            _ => kind_requirement(self.kind),
        }
    }

    pub fn to_json(&self) -> Json {
        let mut j = Json::obj();
        j.set("kind", self.kind);
        j.set("rule", self.rule);
        j.set("requirement", self.requirement());
        j.set("errno", self.errno);
        j.set("text", self.text.clone());
        j
    }

    /// Exit code class (SHIM-EXIT-001) of a client run that ended with this error.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            "NotFound" | "AddressInUse" | "PathTooLong" | "System" => 3,
            "NotSupported" => 4,
            "Rejected" => 5,
            _ => 1,
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        self.kind == name || self.rule == Some(name)
    }
}

fn errno_kind(e: i32) -> &'static str {
    match e {
        0 | libc::EPIPE | libc::ECONNRESET | libc::ENOTCONN => "PeerClosed",
        libc::EAGAIN | libc::ETIMEDOUT => "Timeout",
        _ => "System",
    }
}

/// Rule implied by a protocol::NipcError's text inside a library message ("ack header: …").
fn header_rule(t: &str) -> &'static str {
    if t.contains("too short") {
        "HeaderTruncated"
    } else if t.contains("magic") {
        "HeaderBadMagic"
    } else if t.contains("version") {
        "HeaderBadVersion"
    } else if t.contains("header_len") {
        "HeaderBadHeaderLen"
    } else {
        "HeaderBadKind"
    }
}

/// Rule implied by the library's protocol / chunk error text (the crate reports these as
/// strings; the table follows the messages of both revisions).
fn rule_from_text(t: &str) -> Option<&'static str> {
    let rule = if let Some(rest) = t.strip_prefix("chunk header: ") {
        if rest.contains("too short") {
            "ChunkTruncated"
        } else if rest.contains("magic") {
            "ChunkBadMagic"
        } else if rest.contains("version") && !rest.contains("layout") {
            "ChunkBadVersion"
        } else {
            // One library error covers flags != 0 and chunk_payload_len == 0.
            "ChunkNonzeroFlags"
        }
    } else if t.starts_with("continuation too short") {
        "ChunkTruncated"
    } else if t.starts_with("message_id mismatch") {
        "ChunkMessageIdMismatch"
    } else if t.starts_with("chunk_index mismatch") {
        "ChunkIndexMismatch"
    } else if t.starts_with("chunk_count mismatch") {
        "ChunkCountMismatch"
    } else if t.starts_with("total_message_len mismatch") {
        "ChunkTotalLenMismatch"
    } else if t.starts_with("chunk_payload_len mismatch") {
        "ChunkPayloadLenMismatch"
    } else if t.starts_with("chunk exceeds payload_len") {
        "ChunkOverrun"
    } else if t.starts_with("packet too short for header") {
        "HeaderTruncated"
    } else if let Some(rest) = t.strip_prefix("header decode: ") {
        header_rule(rest)
    } else if let Some(rest) = t.strip_prefix("ack header: ") {
        header_rule(rest)
    } else if t.starts_with("packet exceeds declared payload_len") || t.starts_with("total message length") {
        "PacketLengthMismatch"
    } else if t.starts_with("batch directory exceeds payload") {
        "BatchDirectoryTruncated"
    } else if let Some(rest) = t.strip_prefix("batch directory: ") {
        if rest.contains("BadAlignment") {
            "BatchMisalignedOffset"
        } else if rest.contains("OutOfBounds") {
            "BatchItemOutOfBounds"
        } else {
            "BatchDirectoryTruncated"
        }
    } else if t.starts_with("expected HELLO_ACK") {
        "AckNotControl"
    } else if t.starts_with("ack payload truncated") {
        "AckTruncated"
    } else if t.starts_with("ack payload: ") {
        "AckNonzeroFlags"
    } else if t.starts_with("agreed packet_size too small") {
        "AckPacketSizeTooSmall"
    } else {
        return None;
    };
    Some(rule)
}

pub fn from_uds(e: &UdsError, phase: Phase) -> ShimError {
    let text = format!("{e} ({e:?})");
    match e {
        UdsError::PathTooLong => ShimError::new("PathTooLong", None, text),
        UdsError::Socket(n) => ShimError::sys("System", *n, text),
        UdsError::Connect(n) => {
            if *n == libc::ENOENT || *n == libc::ECONNREFUSED {
                ShimError::sys("NotFound", *n, text)
            } else {
                ShimError::sys("System", *n, text)
            }
        }
        UdsError::Accept(n) => ShimError::sys("System", *n, text),
        UdsError::Send(n) | UdsError::Recv(n) => {
            let k = errno_kind(*n);
            let k = if phase == Phase::Connect && k == "PeerClosed" { "PeerClosed" } else { k };
            ShimError::sys(k, *n, text)
        }
        UdsError::Handshake(s) => {
            if s.contains("transport_status") {
                ShimError::new("Rejected", Some("AckRejectedOther"), text)
            } else {
                ShimError::new("HandshakeFailed", rule_from_text(s), text)
            }
        }
        UdsError::AuthFailed => ShimError::new("Rejected", Some("AckRejectedAuth"), text),
        UdsError::NoProfile => ShimError::new("Rejected", Some("AckRejectedUnsupported"), text),
        UdsError::Incompatible(s) => {
            if s.contains("transport_status") || s.contains("ack header") {
                // An INCOMPATIBLE status, or a HELLO_ACK header of another version.
                ShimError::new("Rejected", Some("AckRejectedIncompatible"), text)
            } else if phase == Phase::Connect && s.contains("layout") {
                ShimError::new("Protocol", Some("AckBadLayout"), text)
            } else {
                ShimError::new("Protocol", Some("HeaderBadVersion"), text)
            }
        }
        UdsError::Protocol(s) | UdsError::Chunk(s) => ShimError::new("Protocol", rule_from_text(s), text),
        UdsError::AddrInUse => ShimError::new("AddressInUse", None, text),
        UdsError::Alloc => ShimError::new("System", None, text),
        UdsError::LimitExceeded => match phase {
            Phase::Connect => ShimError::new("Rejected", Some("AckRejectedLimit"), text),
            Phase::Send => ShimError::new("LimitExceeded", Some("OutboundPayloadOverLimit"), text),
            Phase::Receive => ShimError::new("LimitExceeded", Some("PayloadOverLimit"), text),
        },
        UdsError::BadParam(_) => ShimError::new("BadParameter", None, text),
        UdsError::DuplicateMsgId(_) => ShimError::new("Protocol", Some("DuplicateMessageId"), text),
        UdsError::UnknownMsgId(_) => ShimError::new("Protocol", Some("UnknownMessageId"), text),
        #[allow(unreachable_patterns)]
        _ => from_uds_newer(e, text),
    }
}

/// Variants only the newer crate has (call timeouts and abort).
#[cfg(feature = "crate-0d17a9d")]
fn from_uds_newer(e: &UdsError, text: String) -> ShimError {
    match e {
        UdsError::Timeout => ShimError::new("Timeout", None, text),
        UdsError::Aborted => ShimError::new("Cancelled", None, text),
        _ => ShimError::new("System", None, text),
    }
}

#[cfg(not(feature = "crate-0d17a9d"))]
fn from_uds_newer(_e: &UdsError, text: String) -> ShimError {
    ShimError::new("System", None, text)
}

#[cfg(target_os = "linux")]
pub fn from_shm(e: &ShmError) -> ShimError {
    let text = format!("{e} ({e:?})");
    match e {
        ShmError::PathTooLong => ShimError::new("PathTooLong", None, text),
        ShmError::Open(n) => ShimError::sys("ShmOpen", *n, text),
        ShmError::Mmap(n) => ShimError::sys("System", *n, text),
        ShmError::BadMagic => ShimError::new("ShmBadMagic", None, text),
        ShmError::BadVersion => ShimError::new("ShmBadVersion", None, text),
        ShmError::BadHeader => ShimError::new("ShmBadHeader", None, text),
        ShmError::BadSize => ShimError::new("ShmBadSize", None, text),
        ShmError::AddrInUse => ShimError::new("AddressInUse", None, text),
        ShmError::NotReady => ShimError::new("ShmNotReady", None, text),
        ShmError::MsgTooLarge => ShimError::new("ShmMessageTooLarge", None, text),
        ShmError::Timeout => ShimError::new("Timeout", None, text),
        ShmError::BadParam(_) => ShimError::new("BadParameter", None, text),
        ShmError::PeerDead => ShimError::new("PeerClosed", None, text),
        #[allow(unreachable_patterns)]
        _ => ShimError::new("ShmCreate", None, text),
    }
}
