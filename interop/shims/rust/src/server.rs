//! The server role: the library's UDS listener and handshake, its shared-memory regions for
//! sessions that select a shared-memory profile, and a session loop that serves one method
//! (SHIM-SERVICE-001) with the library's codecs. The loop is the shim's own: the library's
//! managed servers serve fixed kinds only (no echo with any method code), so the shim drives
//! the library at L1 as a user with a custom method would.

use crate::args::Args;
use crate::fixture::{generate_snapshot, Kind, Snapshot};
use crate::json::Json;
use netipc::protocol::{
    batch_item_get, dispatch_cgroups_snapshot, dispatch_increment, dispatch_string_reverse, string_reverse_decode,
    BatchBuilder, CgroupsRequest, Header, FLAG_BATCH, HEADER_LEN, HEADER_SIZE, KIND_REQUEST, KIND_RESPONSE,
    MAGIC_MSG, MAX_PAYLOAD_CAP, MAX_PAYLOAD_DEFAULT, METHOD_CGROUPS_SNAPSHOT, METHOD_INCREMENT,
    METHOD_STRING_REVERSE, STATUS_BAD_ENVELOPE, STATUS_LIMIT_EXCEEDED, STATUS_OK,
    STATUS_UNSUPPORTED, VERSION,
};
use netipc::transport::posix::{ServerConfig, UdsListener, UdsSession};
#[cfg(target_os = "linux")]
use netipc::transport::shm::ShmContext;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_sig: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn install_signal_handlers() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// poll() on one descriptor: Some(revents) when something happened, None on timeout.
fn poll_one(fd: i32, timeout_ms: i32) -> Option<i16> {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    loop {
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if rc < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            if STOP.load(Ordering::SeqCst) {
                return None;
            }
            continue;
        }
        return if rc > 0 { Some(p.revents) } else { None };
    }
}

/// The request limit a handshake enforces when the server's configuration leaves it at 0:
/// the newer crate applies its default, the older one only its fixed cap.
fn effective_request_limit(configured: u32) -> u32 {
    if configured != 0 {
        configured
    } else if cfg!(feature = "crate-0d17a9d") {
        MAX_PAYLOAD_DEFAULT
    } else {
        MAX_PAYLOAD_CAP
    }
}

fn next_pow2(n: u32) -> u32 {
    if n < 16 { 16 } else { n.checked_next_power_of_two().unwrap_or(u32::MAX) }
}

struct Service {
    kind: Kind,
    method: u16,
    snapshot: Option<Snapshot>,
    /// Response limit offered in later handshakes; raised after a response did not fit
    /// (SVC-RESPLIMIT-001), up to the configured value or the library's cap.
    learned_response: AtomicU32,
    response_ceiling: u32,
}

enum Answer {
    Ok(usize),
    Status(u16),
}

impl Service {
    /// Serves one item into `out`; the status when it cannot.
    fn item(&self, req: &[u8], out: &mut [u8]) -> Answer {
        match self.kind {
            Kind::Increment => match dispatch_increment(req, out, |v| Some(v.wrapping_add(1))) {
                Some(n) => Answer::Ok(n),
                None if netipc::protocol::increment_decode(req).is_err() => Answer::Status(STATUS_BAD_ENVELOPE),
                None => Answer::Status(STATUS_LIMIT_EXCEEDED),
            },
            Kind::StringReverse => {
                if string_reverse_decode(req).is_err() {
                    return Answer::Status(STATUS_BAD_ENVELOPE);
                }
                match dispatch_string_reverse(req, out, |s| Some(s.iter().rev().copied().collect())) {
                    Some(n) => Answer::Ok(n),
                    None => Answer::Status(STATUS_LIMIT_EXCEEDED),
                }
            }
            Kind::Snapshot => {
                if CgroupsRequest::decode(req).is_err() {
                    return Answer::Status(STATUS_BAD_ENVELOPE);
                }
                let snap = self.snapshot.as_ref().expect("snapshot service");
                let k = snap.items.len() as u32;
                if out.len() < 24 + 8 * k as usize {
                    return Answer::Status(STATUS_LIMIT_EXCEEDED);
                }
                let r = dispatch_cgroups_snapshot(req, out, k, |_, b| {
                    b.set_header(snap.systemd_enabled, snap.generation);
                    snap.items.iter().all(|it| b.add(it.hash, it.options, it.enabled, &it.name, &it.path).is_ok())
                });
                match r {
                    Some(n) => Answer::Ok(n),
                    None => Answer::Status(STATUS_LIMIT_EXCEEDED),
                }
            }
            Kind::Echo => {
                if req.len() > out.len() {
                    return Answer::Status(STATUS_LIMIT_EXCEEDED);
                }
                out[..req.len()].copy_from_slice(req);
                Answer::Ok(req.len())
            }
        }
    }

    /// Builds the response to one request: (header, payload length in `out`).
    fn respond(&self, h: &Header, payload: &[u8], out: &mut [u8], limits: (u32, u32)) -> (Header, usize) {
        let mut r = Header { kind: KIND_RESPONSE, code: h.code, message_id: h.message_id, item_count: 1, ..Header::default() };
        if h.code != self.method {
            r.transport_status = STATUS_UNSUPPORTED;
            return (r, 0);
        }
        // SVC-REQLIMIT-001: checked here for shared memory (the UDS receive checks itself).
        if payload.len() > limits.0 as usize || h.item_count > limits.1.max(1) {
            r.transport_status = STATUS_LIMIT_EXCEEDED;
            return (r, 0);
        }
        let answer = if h.flags & FLAG_BATCH != 0 && h.item_count >= 1 {
            let n = h.item_count;
            let mut scratch = vec![0u8; out.len()];
            let mut b = BatchBuilder::new(out, n);
            let mut status = None;
            for i in 0..n {
                let item = match batch_item_get(payload, n, i) {
                    Ok((s, _)) => s,
                    Err(_) => {
                        status = Some(STATUS_BAD_ENVELOPE);
                        break;
                    }
                };
                match self.item(item, &mut scratch) {
                    Answer::Ok(len) => {
                        if b.add(&scratch[..len]).is_err() {
                            status = Some(STATUS_LIMIT_EXCEEDED);
                            break;
                        }
                    }
                    Answer::Status(s) => {
                        status = Some(s);
                        break;
                    }
                }
            }
            match status {
                Some(s) => Answer::Status(s),
                None => {
                    let (len, _) = b.finish();
                    r.flags = FLAG_BATCH;
                    r.item_count = n;
                    Answer::Ok(len)
                }
            }
        } else {
            self.item(payload, out)
        };
        match answer {
            Answer::Ok(n) => {
                r.transport_status = STATUS_OK;
                (r, n)
            }
            Answer::Status(s) => {
                r.flags = 0;
                r.item_count = 1;
                r.transport_status = s;
                if s == STATUS_LIMIT_EXCEEDED {
                    let grown = next_pow2(out.len() as u32 + 1).min(self.response_ceiling);
                    self.learned_response.fetch_max(grown, Ordering::SeqCst);
                }
                (r, 0)
            }
        }
    }
}

/// Whether the session ends after answering with `status`. The shim follows the crate's own
/// managed server (both revisions): only LIMIT_EXCEEDED ends the session; BAD_ENVELOPE and
/// INTERNAL_ERROR are answered and the session stays open, as UNSUPPORTED does.
fn terminal(status: u16) -> bool {
    status == STATUS_LIMIT_EXCEEDED
}

fn serve_session(mut s: UdsSession, #[cfg(target_os = "linux")] mut shm: Option<ShmContext>, svc: Arc<Service>) {
    let limits = (s.max_request_payload_bytes, s.max_request_batch_items);
    let mut out = vec![0u8; s.max_response_payload_bytes as usize];
    let mut buf = vec![0u8; HEADER_SIZE + s.max_request_payload_bytes as usize];
    while !STOP.load(Ordering::SeqCst) {
        #[cfg(target_os = "linux")]
        if let Some(ctx) = shm.as_mut() {
            let n = match ctx.receive(&mut buf, 100) {
                Ok(n) => n,
                Err(netipc::transport::shm::ShmError::Timeout) => {
                    // The client holds its UDS session open while it uses the region.
                    if let Some(ev) = poll_one(s.fd(), 0) {
                        if ev & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
                            break;
                        }
                    }
                    continue;
                }
                Err(_) => break,
            };
            let msg = &buf[..n];
            let Ok(h) = Header::decode(msg) else { break };
            if h.kind != KIND_REQUEST {
                break;
            }
            // A declared size above the agreed limit is answered LIMIT_EXCEEDED (SVC-REQLIMIT-001)
            // before the length is compared with what the region holds.
            let over = h.payload_len as usize > limits.0 as usize;
            if !over && HEADER_SIZE + h.payload_len as usize != n {
                break;
            }
            let (mut r, len) = if over {
                let r = Header {
                    kind: KIND_RESPONSE,
                    code: h.code,
                    message_id: h.message_id,
                    item_count: 1,
                    transport_status: STATUS_LIMIT_EXCEEDED,
                    ..Header::default()
                };
                (r, 0)
            } else {
                svc.respond(&h, &msg[HEADER_SIZE..], &mut out, limits)
            };
            r.magic = MAGIC_MSG;
            r.version = VERSION;
            r.header_len = HEADER_LEN;
            r.payload_len = len as u32;
            let mut reply = vec![0u8; HEADER_SIZE + len];
            r.encode(&mut reply[..HEADER_SIZE]);
            reply[HEADER_SIZE..].copy_from_slice(&out[..len]);
            if ctx.send(&reply).is_err() || terminal(r.transport_status) {
                break;
            }
            continue;
        }
        match poll_one(s.fd(), 100) {
            None => continue,
            Some(_) => {}
        }
        let (h, payload) = match s.receive(&mut buf) {
            Ok((h, p)) => (h, p.to_vec()),
            Err(e) => {
                eprintln!("netipc-shim-rust server: session {}: receive: {e}", s.session_id);
                break;
            }
        };
        if h.kind != KIND_REQUEST {
            break;
        }
        let (mut r, len) = svc.respond(&h, &payload, &mut out, limits);
        if let Err(e) = s.send(&mut r, &out[..len]) {
            eprintln!("netipc-shim-rust server: session {}: send: {e}", s.session_id);
            break;
        }
        if terminal(r.transport_status) {
            break;
        }
    }
    #[cfg(target_os = "linux")]
    if let Some(mut ctx) = shm {
        ctx.destroy();
    }
}

pub fn run(a: &Args) -> i32 {
    if a.transport != "uds" {
        eprintln!("netipc-shim-rust: transport {} is not available in this build", a.transport);
        return 4;
    }
    install_signal_handlers();
    // Response growth after an overflow, as the crate's managed server does it: the newer crate
    // caps it at the configured value (1 MiB when unconfigured), the older one at 1 MiB.
    let response_ceiling = if cfg!(feature = "crate-0d17a9d") && a.max_response_payload != 0 {
        a.max_response_payload
    } else {
        MAX_PAYLOAD_CAP
    };
    let svc = Arc::new(Service {
        kind: a.kind,
        method: match a.kind {
            Kind::Increment => METHOD_INCREMENT,
            Kind::StringReverse => METHOD_STRING_REVERSE,
            Kind::Snapshot => METHOD_CGROUPS_SNAPSHOT,
            Kind::Echo => a.echo_method,
        },
        snapshot: (a.kind == Kind::Snapshot).then(|| generate_snapshot(a.snapshot_seed, a.snapshot_items)),
        learned_response: AtomicU32::new(if a.max_response_payload != 0 { a.max_response_payload } else { MAX_PAYLOAD_DEFAULT }),
        response_ceiling,
    });
    let base = ServerConfig {
        supported_profiles: a.profiles,
        preferred_profiles: a.preferred,
        max_request_payload_bytes: a.max_request_payload,
        max_request_batch_items: 0,
        max_response_payload_bytes: a.max_response_payload,
        max_response_batch_items: 0,
        auth_token: a.auth_token,
        packet_size: a.packet_size,
        backlog: 0,
    };
    #[cfg(target_os = "linux")]
    netipc::transport::shm::cleanup_stale(&a.run_dir, &a.service);
    let listener = match UdsListener::bind(&a.run_dir, &a.service, base.clone()) {
        Ok(l) => l,
        Err(e) => {
            let err = crate::errors::from_uds(&e, crate::errors::Phase::Connect);
            eprintln!("netipc-shim-rust server: {} ({})", err.text, err.kind);
            return if err.kind == "BadParameter" { 2 } else { 3 };
        }
    };
    let mut ready = Json::obj();
    ready.set("pid", std::process::id());
    ready.set("profiles", a.profiles);
    ready.set("role", "server");
    ready.set("service", a.service.clone());
    ready.set("service_kind", a.kind_name.clone());
    ready.set("socket", format!("{}/{}.sock", a.run_dir, a.service));
    {
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "READY {}", ready.dump());
        let _ = out.flush();
    }

    let mut threads = Vec::new();
    let mut next_session_id = 1u64;
    let mut accepted = 0u64;
    while !STOP.load(Ordering::SeqCst) && (a.sessions == 0 || accepted < a.sessions) {
        if poll_one(listener.fd(), 100).is_none() {
            continue;
        }
        let session_id = next_session_id;
        next_session_id += 1;
        let mut cfg = base.clone();
        cfg.max_response_payload_bytes = svc.learned_response.load(Ordering::SeqCst);
        #[cfg(target_os = "linux")]
        let mut region = None;
        #[cfg(target_os = "linux")]
        if cfg.supported_profiles & crate::link::SHM_PROFILES != 0 {
            let req = effective_request_limit(cfg.max_request_payload_bytes);
            match ShmContext::server_create(
                &a.run_dir,
                &a.service,
                session_id,
                req.saturating_add(HEADER_SIZE as u32),
                cfg.max_response_payload_bytes.saturating_add(HEADER_SIZE as u32),
            ) {
                Ok(ctx) => region = Some(ctx),
                Err(e) => {
                    eprintln!("netipc-shim-rust server: region for session {session_id}: {e}");
                    cfg.supported_profiles &= !crate::link::SHM_PROFILES;
                    cfg.preferred_profiles &= !crate::link::SHM_PROFILES;
                }
            }
        }
        match listener.accept_with_config(session_id, cfg) {
            Ok(s) => {
                accepted += 1;
                #[cfg(target_os = "linux")]
                let region = if s.selected_profile & crate::link::SHM_PROFILES != 0 { region } else { None };
                let svc = svc.clone();
                threads.push(std::thread::spawn(move || {
                    serve_session(
                        s,
                        #[cfg(target_os = "linux")]
                        region,
                        svc,
                    )
                }));
            }
            Err(e) => {
                // A refused or broken handshake ends that connection only.
                eprintln!("netipc-shim-rust server: handshake: {e}");
                if a.sessions != 0 {
                    accepted += 1;
                }
            }
        }
    }
    for t in threads {
        let _ = t.join();
    }
    drop(listener);
    eprintln!("netipc-shim-rust server: stopped after {accepted} sessions");
    0
}
