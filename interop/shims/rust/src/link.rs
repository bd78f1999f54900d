//! A client's session: the library's UDS session, plus its shared-memory region when the
//! handshake selected a shared-memory profile. Messages cross it whole (header + payload).

use crate::errors::{from_uds, Phase, ShimError};
use netipc::protocol::{Header, HEADER_LEN, HEADER_SIZE, MAGIC_MSG, PROFILE_SHM_FUTEX, PROFILE_SHM_HYBRID, VERSION};
use netipc::transport::posix::{ClientConfig, UdsError, UdsSession};
#[cfg(target_os = "linux")]
use netipc::transport::shm::{ShmContext, ShmError};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const SHM_PROFILES: u32 = PROFILE_SHM_HYBRID | PROFILE_SHM_FUTEX;

pub struct Link {
    pub uds: UdsSession,
    #[cfg(target_os = "linux")]
    pub shm: Option<ShmContext>,
    buf: Vec<u8>,
    timeout_ms: u32,
    /// Messages sent or received in more than one packet.
    pub chunked: u64,
}

/// What connecting learned besides the session.
#[derive(Default)]
pub struct ConnectStats {
    pub attach_failures: u32,
    pub attach_error: Option<ShimError>,
}

/// Runs the library's connect + handshake, bounded by `timeout_ms` (0: unbounded). The
/// library's handshake has no deadline of its own in every revision, so it runs on a
/// helper thread; on timeout the thread is abandoned (the process ends soon after).
fn connect_bounded(run_dir: &str, service: &str, cfg: &ClientConfig, timeout_ms: u32) -> Result<UdsSession, ShimError> {
    let (tx, rx) = mpsc::channel();
    let (d, s, c) = (run_dir.to_string(), service.to_string(), cfg.clone());
    std::thread::spawn(move || {
        let _ = tx.send(UdsSession::connect(&d, &s, &c));
    });
    let got = if timeout_ms == 0 {
        rx.recv().map_err(|_| ())
    } else {
        rx.recv_timeout(Duration::from_millis(timeout_ms as u64)).map_err(|_| ())
    };
    match got {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(from_uds(&e, Phase::Connect)),
        Err(()) => Err(ShimError::new("Timeout", None, format!("no HELLO_ACK within {timeout_ms} ms"))),
    }
}

#[cfg(target_os = "linux")]
fn attach(run_dir: &str, service: &str, session_id: u64) -> Result<ShmContext, ShimError> {
    // SHM-ATTACH-002: retry every 5 ms for up to 5 s while the region is missing, not ready
    // or has no magic yet; anything else is final.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match ShmContext::client_attach(run_dir, service, session_id) {
            Ok(ctx) => return Ok(ctx),
            Err(e) => {
                let transient = matches!(e, ShmError::Open(_) | ShmError::NotReady | ShmError::BadMagic);
                if !transient || Instant::now() >= deadline {
                    return Err(crate::errors::from_shm(&e));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

fn set_recv_timeout(fd: i32, timeout_ms: u32) {
    if timeout_ms == 0 {
        return;
    }
    let tv = libc::timeval {
        tv_sec: (timeout_ms / 1000) as libc::time_t,
        tv_usec: ((timeout_ms % 1000) * 1000) as libc::suseconds_t,
    };
    // SAFETY: fd is the session's open socket; tv outlives the call.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const libc::timeval as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

impl Link {
    /// Connects, handshakes and (for a shared-memory profile) attaches; when attaching fails
    /// the shared-memory profiles are dropped and the handshake is run again
    /// (PROF-ATTACH-FAIL-001).
    pub fn connect(run_dir: &str, service: &str, mut cfg: ClientConfig, timeout_ms: u32, stats: &mut ConnectStats) -> Result<Link, ShimError> {
        loop {
            let uds = connect_bounded(run_dir, service, &cfg, timeout_ms)?;
            let mut link = Link {
                buf: vec![0u8; HEADER_SIZE + uds.max_response_payload_bytes as usize],
                uds,
                #[cfg(target_os = "linux")]
                shm: None,
                timeout_ms,
                chunked: 0,
            };
            if link.uds.selected_profile & SHM_PROFILES != 0 {
                #[cfg(target_os = "linux")]
                match attach(run_dir, service, link.uds.session_id) {
                    Ok(ctx) => link.shm = Some(ctx),
                    Err(e) => {
                        stats.attach_failures += 1;
                        stats.attach_error = Some(e.clone());
                        drop(link);
                        cfg.supported_profiles &= !SHM_PROFILES;
                        cfg.preferred_profiles &= !SHM_PROFILES;
                        if cfg.supported_profiles == 0 {
                            return Err(e);
                        }
                        continue;
                    }
                }
            }
            set_recv_timeout(link.uds.fd(), timeout_ms);
            return Ok(link);
        }
    }

    pub fn is_shm(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.shm.is_some()
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// The outbound limit a message breaks, if any (the same checks the crate's UDS send makes).
    fn over_limit(&self, hdr: &Header, payload: &[u8]) -> Option<ShimError> {
        if hdr.item_count > self.uds.max_request_batch_items {
            return Some(ShimError::new(
                "LimitExceeded",
                Some("OutboundItemCountOverLimit"),
                format!("item_count {} above the agreed {}", hdr.item_count, self.uds.max_request_batch_items),
            ));
        }
        if payload.len() > self.uds.max_request_payload_bytes as usize {
            return Some(ShimError::new(
                "LimitExceeded",
                Some("OutboundPayloadOverLimit"),
                format!("payload of {} bytes above the agreed {}", payload.len(), self.uds.max_request_payload_bytes),
            ));
        }
        None
    }

    pub fn send(&mut self, hdr: &Header, payload: &[u8]) -> Result<(), ShimError> {
        let mut h = *hdr;
        #[cfg(target_os = "linux")]
        if self.shm.is_some() {
            // The crate's region send checks only the area's capacity; the session's agreed
            // limits are checked here as its UDS send checks them.
            if let Some(e) = self.over_limit(hdr, payload) {
                return Err(e);
            }
            h.magic = MAGIC_MSG;
            h.version = VERSION;
            h.header_len = HEADER_LEN;
            h.payload_len = payload.len() as u32;
            let mut msg = vec![0u8; HEADER_SIZE + payload.len()];
            h.encode(&mut msg[..HEADER_SIZE]);
            msg[HEADER_SIZE..].copy_from_slice(payload);
            let shm = self.shm.as_mut().expect("region");
            return shm.send(&msg).map_err(|e| crate::errors::from_shm(&e));
        }
        if HEADER_SIZE + payload.len() > self.uds.packet_size as usize {
            self.chunked += 1;
        }
        match self.uds.send(&mut h, payload) {
            Ok(()) => Ok(()),
            Err(UdsError::LimitExceeded) => Err(self
                .over_limit(hdr, payload)
                .unwrap_or_else(|| from_uds(&UdsError::LimitExceeded, Phase::Send))),
            Err(e) => Err(from_uds(&e, Phase::Send)),
        }
    }

    /// Waits for the next region message in slices, so that a closed session socket ends
    /// the wait (SHM-SOCKET-001) and `timeout_ms` bounds it.
    #[cfg(target_os = "linux")]
    fn receive_shm(&mut self) -> Result<usize, ShimError> {
        let deadline = (self.timeout_ms != 0).then(|| Instant::now() + Duration::from_millis(self.timeout_ms as u64));
        loop {
            let slice = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now()).as_millis() as u32;
                    if left == 0 {
                        return Err(ShimError::new("Timeout", None, format!("no response within {} ms", self.timeout_ms)));
                    }
                    left.min(100)
                }
                None => 100,
            };
            let shm = self.shm.as_mut().expect("region");
            match shm.receive(&mut self.buf, slice) {
                Ok(n) => return Ok(n),
                Err(ShmError::Timeout) => {}
                Err(e) => return Err(crate::errors::from_shm(&e)),
            }
            let mut p = libc::pollfd { fd: self.uds.fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut p, 1, 0) };
            if rc > 0 && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
                return Err(ShimError::new("PeerClosed", None, "the session socket closed while waiting on the region"));
            }
        }
    }

    pub fn receive(&mut self) -> Result<(Header, Vec<u8>), ShimError> {
        #[cfg(target_os = "linux")]
        if self.shm.is_some() {
            let n = self.receive_shm()?;
            let msg = &self.buf[..n];
            let h = Header::decode(msg).map_err(|e| crate::codec::header_error(e, msg.len()))?;
            if HEADER_SIZE + h.payload_len as usize != n {
                return Err(ShimError::new("Protocol", Some("PacketLengthMismatch"), "SHM message length disagrees with payload_len"));
            }
            return Ok((h, msg[HEADER_SIZE..].to_vec()));
        }
        let packet = self.uds.packet_size as usize;
        let (h, p) = self.uds.receive(&mut self.buf).map_err(|e| from_uds(&e, Phase::Receive))?;
        if HEADER_SIZE + p.len() > packet {
            self.chunked += 1;
        }
        Ok((h, p.to_vec()))
    }
}
