//! Handshake vectors replayed through the library's real handshake: the library decides
//! only inside `UdsListener::accept_with_config` (server) and `UdsSession::connect`
//! (client), so each case runs over a socket in a private directory, with the other side
//! played by raw socket calls that send the case's packet and record what comes back.

use crate::codec::header_class;
use crate::json::{hex, Json};
use netipc::protocol::{Header, HelloAck, HEADER_SIZE};
use netipc::transport::posix::{ClientConfig, ServerConfig, UdsError, UdsListener, UdsSession};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// A private directory for one case, removed on drop.
struct CaseDir(std::path::PathBuf);

impl CaseDir {
    fn new() -> Result<CaseDir, String> {
        let p = std::env::temp_dir().join(format!(
            "nipc-rs-codec-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
        Ok(CaseDir(p))
    }
    fn path(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for CaseDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A raw SEQPACKET descriptor, closed on drop.
struct Fd(i32);
impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the descriptor is owned here.
        unsafe { libc::close(self.0) };
    }
}

fn sockaddr(path: &str) -> Result<libc::sockaddr_un, String> {
    // SAFETY: zeroed sockaddr_un is a valid value.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let b = path.as_bytes();
    if b.len() >= a.sun_path.len() {
        return Err("socket path too long".into());
    }
    for (i, c) in b.iter().enumerate() {
        a.sun_path[i] = *c as libc::c_char;
    }
    Ok(a)
}

fn seqpacket() -> Result<Fd, String> {
    // SAFETY: plain socket call.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(format!("socket: {}", std::io::Error::last_os_error()));
    }
    Ok(Fd(fd))
}

fn set_timeout(fd: i32, ms: u64) {
    let tv = libc::timeval { tv_sec: (ms / 1000) as libc::time_t, tv_usec: ((ms % 1000) * 1000) as libc::suseconds_t };
    for opt in [libc::SO_RCVTIMEO, libc::SO_SNDTIMEO] {
        // SAFETY: valid fd and option value.
        unsafe {
            libc::setsockopt(fd, libc::SOL_SOCKET, opt, &tv as *const _ as *const libc::c_void, std::mem::size_of::<libc::timeval>() as u32);
        }
    }
}

enum Read {
    Packet(Vec<u8>),
    Closed,
    Nothing,
}

fn recv_packet(fd: i32) -> Read {
    let mut buf = vec![0u8; 65536];
    loop {
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) };
        if n > 0 {
            buf.truncate(n as usize);
            return Read::Packet(buf);
        }
        if n == 0 {
            return Read::Closed;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::ECONNRESET) => return Read::Closed,
            _ => return Read::Nothing,
        }
    }
}

fn send_packet(fd: i32, b: &[u8]) -> bool {
    // SAFETY: b is valid for its length.
    unsafe { libc::send(fd, b.as_ptr() as *const libc::c_void, b.len(), libc::MSG_NOSIGNAL) == b.len() as isize }
}

fn num<T: TryFrom<u64>>(o: &Json, key: &str) -> Result<T, String> {
    o.get(key).and_then(Json::as_u64).and_then(|v| T::try_from(v).ok()).ok_or_else(|| format!("{key} missing or out of range"))
}

fn status_name(s: u16) -> &'static str {
    match s {
        1 => "StatusBadEnvelope",
        2 => "StatusAuthFailed",
        3 => "StatusIncompatible",
        4 => "StatusUnsupported",
        5 => "StatusLimitExceeded",
        6 => "StatusInternalError",
        _ => "StatusOther",
    }
}

/// `decide`: the library's server handshake with `policy` reads `packet`; the answer is
/// the HELLO_ACK it sends, its rejection, or a close without reply.
pub fn decide(packet: &[u8], policy: &Json) -> Result<Json, String> {
    let dir = CaseDir::new()?;
    let cfg = ServerConfig {
        supported_profiles: num(policy, "supported_profiles")?,
        preferred_profiles: num(policy, "preferred_profiles")?,
        max_request_payload_bytes: num(policy, "max_request_payload_bytes")?,
        max_request_batch_items: 0,
        max_response_payload_bytes: num(policy, "response_payload_bytes")?,
        max_response_batch_items: 0,
        auth_token: num(policy, "auth_token")?,
        packet_size: num(policy, "packet_size")?,
        backlog: 0,
    };
    let session_id: u64 = num(policy, "session_id")?;
    let listener = UdsListener::bind(&dir.path(), "d", cfg.clone()).map_err(|e| format!("bind: {e}"))?;
    let client = seqpacket()?;
    let addr = sockaddr(&format!("{}/d.sock", dir.path()))?;
    // SAFETY: addr is a valid sockaddr_un.
    let rc = unsafe {
        libc::connect(client.0, &addr as *const _ as *const libc::sockaddr, std::mem::size_of::<libc::sockaddr_un>() as u32)
    };
    if rc != 0 {
        return Err(format!("connect: {}", std::io::Error::last_os_error()));
    }
    set_timeout(client.0, 2000);
    let server = std::thread::spawn(move || {
        let r = listener.accept_with_config(session_id, cfg);
        drop(r);
        drop(listener);
    });
    let sent = send_packet(client.0, packet);
    let reply = if sent { recv_packet(client.0) } else { Read::Closed };
    drop(client);
    let _ = server.join();
    let mut j = Json::obj();
    match reply {
        Read::Packet(b) => {
            let status = if b.len() >= 16 { u16::from_le_bytes([b[14], b[15]]) } else { 0xffff };
            if status == 0 {
                let mut f = Json::obj();
                f.set("reply_hex", hex(&b));
                j.set("result", "valid");
                j.set("fields", f);
            } else {
                j.set("result", "invalid");
                j.set("error", status_name(status));
                j.set("hex", hex(&b));
            }
        }
        Read::Closed => {
            j.set("result", "invalid");
            j.set("error", "SilentClose");
        }
        Read::Nothing => {
            j.set("result", "invalid");
            j.set("error", "NoReplyWithin2s");
        }
    }
    Ok(j)
}

fn ack_error_class(e: &UdsError, packet: &[u8]) -> &'static str {
    let payload = packet.get(HEADER_SIZE..).unwrap_or(&[]);
    match e {
        UdsError::AuthFailed => "AckRejectedAuth",
        UdsError::NoProfile => "AckRejectedUnsupported",
        UdsError::LimitExceeded => "AckRejectedLimit",
        UdsError::Handshake(_) => "AckRejectedOther",
        UdsError::Incompatible(s) if s.contains("transport_status") => "AckRejectedIncompatible",
        // The library reports a HELLO_ACK header of another version as incompatible.
        UdsError::Incompatible(s) if s.contains("header") => "AckRejectedIncompatible",
        UdsError::Incompatible(_) => "AckBadLayout",
        UdsError::Protocol(s) if s.starts_with("ack header") => match Header::decode(packet) {
            Err(h) => header_class(h),
            Ok(_) => "HeaderBadKind",
        },
        UdsError::Protocol(s) if s.contains("expected HELLO_ACK") => "AckNotControl",
        UdsError::Protocol(s) if s.contains("truncated") => "AckTruncated",
        UdsError::Protocol(s) if s.contains("packet_size") => "AckPacketSizeTooSmall",
        UdsError::Protocol(_) => {
            if payload.len() >= 2 && u16::from_le_bytes([payload[0], payload[1]]) != 1 {
                "AckBadLayout"
            } else {
                "AckNonzeroFlags"
            }
        }
        // An empty or short packet reads as a failed receive in the library.
        UdsError::Recv(_) if packet.len() < HEADER_SIZE => "HeaderTruncated",
        UdsError::Recv(_) => "AckTruncated",
        _ => "HandshakeFailed",
    }
}

/// `check_ack`: the library's client handshake sends `hello` and receives `packet`.
pub fn check_ack(packet: &[u8], hello: &Json) -> Result<Json, String> {
    let dir = CaseDir::new()?;
    let listen = seqpacket()?;
    let path = format!("{}/c.sock", dir.path());
    let addr = sockaddr(&path)?;
    // SAFETY: valid descriptor and address.
    unsafe {
        if libc::bind(listen.0, &addr as *const _ as *const libc::sockaddr, std::mem::size_of::<libc::sockaddr_un>() as u32) != 0
            || libc::listen(listen.0, 4) != 0
        {
            return Err(format!("listen: {}", std::io::Error::last_os_error()));
        }
    }
    let cfg = ClientConfig {
        supported_profiles: num(hello, "supported_profiles")?,
        preferred_profiles: num(hello, "preferred_profiles")?,
        max_request_payload_bytes: num(hello, "max_request_payload_bytes")?,
        max_request_batch_items: num(hello, "max_request_batch_items")?,
        max_response_payload_bytes: num(hello, "max_response_payload_bytes")?,
        max_response_batch_items: num(hello, "max_response_batch_items")?,
        auth_token: num(hello, "auth_token")?,
        packet_size: num(hello, "packet_size")?,
    };
    let reply = packet.to_vec();
    let lfd = listen.0;
    let peer = std::thread::spawn(move || {
        // SAFETY: lfd stays open until this thread is joined.
        let c = unsafe { libc::accept(lfd, std::ptr::null_mut(), std::ptr::null_mut()) };
        if c < 0 {
            return;
        }
        let c = Fd(c);
        set_timeout(c.0, 2000);
        if let Read::Packet(_) = recv_packet(c.0) {
            send_packet(c.0, &reply);
            // Hold the connection until the client is done with it.
            let _ = recv_packet(c.0);
        }
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let d = dir.path();
    std::thread::spawn(move || {
        let r = UdsSession::connect(&d, "c", &cfg);
        let _ = tx.send(r.map(|_s| ()));
    });
    let got = rx.recv_timeout(Duration::from_secs(3));
    let _ = peer.join();
    drop(listen);
    let mut j = Json::obj();
    match got {
        Ok(Ok(())) => {
            // The library accepted the ACK; its fields are what the library's decoder reads.
            let ack = HelloAck::decode(packet.get(HEADER_SIZE..).unwrap_or(&[]))
                .map_err(|e| format!("accepted ACK does not decode: {e}"))?;
            let mut f = Json::obj();
            f.set("server_supported_profiles", ack.server_supported_profiles);
            f.set("intersection_profiles", ack.intersection_profiles);
            f.set("selected_profile", ack.selected_profile);
            f.set("agreed_max_request_payload_bytes", ack.agreed_max_request_payload_bytes);
            f.set("agreed_max_request_batch_items", ack.agreed_max_request_batch_items);
            f.set("agreed_max_response_payload_bytes", ack.agreed_max_response_payload_bytes);
            f.set("agreed_max_response_batch_items", ack.agreed_max_response_batch_items);
            f.set("agreed_packet_size", ack.agreed_packet_size);
            f.set("session_id", Json::Str(ack.session_id.to_string()));
            j.set("result", "valid");
            j.set("fields", f);
        }
        Ok(Err(e)) => {
            j.set("result", "invalid");
            j.set("error", ack_error_class(&e, packet));
        }
        Err(_) => {
            j.set("result", "invalid");
            j.set("error", "NoVerdictWithin3s");
        }
    }
    Ok(j)
}

/// `decode` of a `chunked_message`: the packets reach a session of the crate's server over a
/// real socket (HELLO with the case's packet size and limits, so the session agrees on them),
/// and the crate's receive reassembles them or refuses.
pub fn reassemble(packets: &[Vec<u8>], ctx: &Json) -> Result<Json, String> {
    let packet_size: u32 = num(ctx, "packet_size")?;
    let empty = Json::obj();
    let limits = ctx.get("limits").unwrap_or(&empty);
    let max_payload: u32 = num(limits, "max_payload_bytes").unwrap_or(1 << 20);
    let max_items: u32 = num(limits, "max_batch_items").unwrap_or(1024);
    let dir = CaseDir::new()?;
    let cfg = ServerConfig {
        supported_profiles: 1,
        preferred_profiles: 0,
        max_request_payload_bytes: max_payload,
        max_request_batch_items: max_items,
        max_response_payload_bytes: max_payload,
        max_response_batch_items: max_items,
        auth_token: 0,
        packet_size,
        backlog: 0,
    };
    let listener = UdsListener::bind(&dir.path(), "m", cfg.clone()).map_err(|e| format!("bind: {e}"))?;
    let client = seqpacket()?;
    let addr = sockaddr(&format!("{}/m.sock", dir.path()))?;
    // SAFETY: addr is a valid sockaddr_un.
    let rc = unsafe {
        libc::connect(client.0, &addr as *const _ as *const libc::sockaddr, std::mem::size_of::<libc::sockaddr_un>() as u32)
    };
    if rc != 0 {
        return Err(format!("connect: {}", std::io::Error::last_os_error()));
    }
    set_timeout(client.0, 2000);
    // The HELLO: the crate's own encoders, proposing the case's session.
    let hello = netipc::protocol::Hello {
        layout_version: 1,
        flags: 0,
        supported_profiles: 1,
        preferred_profiles: 0,
        max_request_payload_bytes: max_payload,
        max_request_batch_items: max_items,
        max_response_payload_bytes: max_payload,
        max_response_batch_items: max_items,
        auth_token: 0,
        packet_size,
    };
    let mut pkt = vec![0u8; HEADER_SIZE + 44];
    hello.encode(&mut pkt[HEADER_SIZE..]);
    Header {
        magic: netipc::protocol::MAGIC_MSG,
        version: netipc::protocol::VERSION,
        header_len: netipc::protocol::HEADER_LEN,
        kind: netipc::protocol::KIND_CONTROL,
        code: netipc::protocol::CODE_HELLO,
        payload_len: 44,
        item_count: 1,
        ..Header::default()
    }
    .encode(&mut pkt[..HEADER_SIZE]);
    let server = std::thread::spawn(move || -> Result<Result<(Header, Vec<u8>), UdsError>, String> {
        let mut s = listener.accept_with_config(1, cfg).map_err(|e| format!("handshake: {e}"))?;
        set_timeout(s.fd(), 2000);
        let mut buf = vec![0u8; HEADER_SIZE + s.max_request_payload_bytes as usize];
        Ok(s.receive(&mut buf).map(|(h, p)| (h, p.to_vec())))
    });
    if !send_packet(client.0, &pkt) {
        return Err("HELLO not sent".into());
    }
    match recv_packet(client.0) {
        Read::Packet(ack) if ack.len() >= 16 && u16::from_le_bytes([ack[14], ack[15]]) == 0 => {}
        _ => {
            drop(client);
            let _ = server.join();
            let mut j = Json::obj();
            j.set("result", "unsupported");
            j.set("reason", format!("the crate's handshake refuses a session with packet size {packet_size}, so the packets cannot reach its receive"));
            return Ok(j);
        }
    }
    for p in packets {
        if !send_packet(client.0, p) {
            break;
        }
    }
    let got = server.join().map_err(|_| "receive thread failed".to_string())??;
    drop(client);
    let mut j = Json::obj();
    match got {
        Ok((h, payload)) => {
            let mut hdr = Json::obj();
            hdr.set("kind", h.kind);
            hdr.set("flags", h.flags);
            hdr.set("code", h.code);
            hdr.set("transport_status", h.transport_status);
            hdr.set("payload_len", h.payload_len);
            hdr.set("item_count", h.item_count);
            hdr.set("message_id", Json::Str(h.message_id.to_string()));
            let mut f = Json::obj();
            f.set("header", hdr);
            f.set("payload_hex", hex(&payload));
            j.set("result", "valid");
            j.set("fields", f);
        }
        Err(e) => {
            let err = crate::errors::from_uds(&e, crate::errors::Phase::Receive);
            j.set("result", "invalid");
            j.set("error", err.rule.unwrap_or(err.kind));
        }
    }
    Ok(j)
}
