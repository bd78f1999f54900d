//! The client role: connect, run one scenario, print one JSON result line
//! (SHIM-SCENARIO-001, SHIM-VERIFY-001, SHIM-RESULT-001, SHIM-EXPECT-001).

use crate::args::Args;
use crate::errors::ShimError;
use crate::fixture::{Kind, Workload};
use crate::json::Json;
use crate::link::{ConnectStats, Link};
use netipc::protocol::{
    align8, batch_item_get, BatchBuilder, Header, FLAG_BATCH, KIND_REQUEST, KIND_RESPONSE, STATUS_OK, STATUS_UNSUPPORTED,
};
use netipc::transport::posix::ClientConfig;
use std::collections::HashMap;
use std::time::Instant;

#[derive(Default)]
struct Outcome {
    requests: u64,
    items: u64,
    verified: u64,
    effective_depth: u32,
    error: Option<ShimError>,
    failure: Option<String>,
}

fn request_header(method: u16, id: u64) -> Header {
    Header { kind: KIND_REQUEST, code: method, item_count: 1, message_id: id, ..Header::default() }
}

/// The packet size a UDS socket of this system would propose (SO_SNDBUF − 32 is what the
/// library detects; the scenario only needs "several packets").
fn native_packet_size() -> u64 {
    // SAFETY: plain socket calls on a descriptor this function owns and closes.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET, 0);
        if fd < 0 {
            return 65536;
        }
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let rc = libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, &mut v as *mut _ as *mut libc::c_void, &mut len);
        libc::close(fd);
        if rc < 0 || v <= 32 { 65536 } else { v as u64 }
    }
}

fn check_response(h: &Header, method: u16, id: u64, batch: Option<u32>, o: &mut Outcome) -> bool {
    if h.kind != KIND_RESPONSE {
        // The crate's receive hands over any kind; a client must not take it as an answer.
        o.error = Some(ShimError::new(
            "Protocol",
            Some("UnexpectedKind"),
            format!("message of kind {} received where a RESPONSE was due (refused by the shim)", h.kind),
        ));
        return false;
    }
    if h.transport_status != STATUS_OK {
        o.failure = Some(format!("response {id}: transport_status {}", h.transport_status));
        return false;
    }
    let (flags, items) = match batch {
        Some(n) => (FLAG_BATCH, n),
        None => (0, 1),
    };
    if h.code != method || h.message_id != id || h.flags != flags || h.item_count != items {
        o.failure = Some(format!(
            "response {id}: code {} message_id {} flags {} item_count {} (expected {method}, {id}, {flags}, {items})",
            h.code, h.message_id, h.flags, h.item_count
        ));
        return false;
    }
    true
}

fn sequential(link: &mut Link, w: &Workload, count: u64, size: usize, o: &mut Outcome) {
    for i in 0..count {
        let req = w.request(i, size).expect("request");
        let id = i + 1;
        if let Err(e) = link.send(&request_header(w.method, id), &req) {
            o.error = Some(e);
            return;
        }
        o.requests += 1;
        o.items += 1;
        let (h, p) = match link.receive() {
            Ok(x) => x,
            Err(e) => return o.error = Some(e),
        };
        if !check_response(&h, w.method, id, None, o) {
            return;
        }
        if let Err(why) = w.verify(i, size, &p) {
            o.failure = Some(format!("response {i}: {why}"));
            return;
        }
        o.verified += 1;
    }
}

fn batch(link: &mut Link, w: &Workload, count: u64, n: u32, o: &mut Outcome) {
    for r in 0..count {
        let items: Vec<Vec<u8>> = (0..n as u64).map(|k| w.request(r * n as u64 + k, 0).expect("request")).collect();
        let cap = align8(n as usize * 8) + items.iter().map(|x| align8(x.len())).sum::<usize>();
        let mut buf = vec![0u8; cap.max(8)];
        let mut b = BatchBuilder::new(&mut buf, n);
        for it in &items {
            if b.add(it).is_err() {
                o.failure = Some("the library's batch builder refused an item".into());
                return;
            }
        }
        let (len, _) = b.finish();
        let id = r + 1;
        let mut h = request_header(w.method, id);
        h.flags = FLAG_BATCH;
        h.item_count = n;
        if let Err(e) = link.send(&h, &buf[..len]) {
            return o.error = Some(e);
        }
        o.requests += 1;
        o.items += n as u64;
        let (rh, p) = match link.receive() {
            Ok(x) => x,
            Err(e) => return o.error = Some(e),
        };
        if !check_response(&rh, w.method, id, Some(n), o) {
            return;
        }
        for k in 0..n {
            let item = match batch_item_get(&p, n, k) {
                Ok((s, _)) => s,
                Err(e) => return o.failure = Some(format!("batch response item {k}: {e}")),
            };
            if let Err(why) = w.verify(r * n as u64 + k as u64, 0, item) {
                return o.failure = Some(format!("batch {r} item {k}: {why}"));
            }
            o.verified += 1;
        }
    }
}

fn pipeline(link: &mut Link, w: &Workload, count: u64, depth: u32, o: &mut Outcome) {
    // SHM-ONEINFLIGHT-001: one request in flight on shared memory.
    o.effective_depth = if link.is_shm() { 1 } else { depth.max(1) };
    let mut pending: HashMap<u64, u64> = HashMap::new();
    let mut next = 0u64;
    while o.verified < count {
        while next < count && (pending.len() as u32) < o.effective_depth {
            let id = next + 1;
            if let Err(e) = link.send(&request_header(w.method, id), &w.request(next, 0).expect("request")) {
                return o.error = Some(e);
            }
            pending.insert(id, next);
            next += 1;
            o.requests += 1;
            o.items += 1;
        }
        let (h, p) = match link.receive() {
            Ok(x) => x,
            Err(e) => return o.error = Some(e),
        };
        let Some(i) = pending.remove(&h.message_id) else {
            return o.failure = Some(format!("response message_id {} is not in flight", h.message_id));
        };
        if !check_response(&h, w.method, i + 1, None, o) {
            return;
        }
        if let Err(why) = w.verify(i, 0, &p) {
            return o.failure = Some(format!("pipelined response {i}: {why}"));
        }
        o.verified += 1;
    }
}

fn wrong_method(link: &mut Link, w: &Workload, count: u64, o: &mut Outcome) {
    let wrong: u16 = if w.method == 1 { 3 } else { 1 };
    for i in 0..count {
        let req = w.request(i, 0).expect("request");
        let id = 2 * i + 1;
        if let Err(e) = link.send(&request_header(wrong, id), &req) {
            return o.error = Some(e);
        }
        o.requests += 1;
        let (h, p) = match link.receive() {
            Ok(x) => x,
            Err(e) => return o.error = Some(e),
        };
        if h.kind != KIND_RESPONSE || h.transport_status != STATUS_UNSUPPORTED || h.code != wrong || h.message_id != id || !p.is_empty() {
            return o.failure = Some(format!(
                "wrong method {wrong} answered status {} code {} with {} payload bytes, not UNSUPPORTED",
                h.transport_status,
                h.code,
                p.len()
            ));
        }
        let id = 2 * i + 2;
        if let Err(e) = link.send(&request_header(w.method, id), &req) {
            return o.error = Some(e);
        }
        o.requests += 1;
        let (h, p) = match link.receive() {
            Ok(x) => x,
            Err(e) => return o.error = Some(e),
        };
        if !check_response(&h, w.method, id, None, o) {
            return;
        }
        if let Err(why) = w.verify(i, 0, &p) {
            return o.failure = Some(format!("request after UNSUPPORTED: {why}"));
        }
        o.verified += 1;
    }
}

/// Requests encoded before the window opens and sent in turn, so the figure is the IPC's and
/// the service's, not the encoder's.
const BENCH_DISTINCT: u64 = 64;

/// This process's user + system CPU seconds, None when they cannot be read.
fn cpu_seconds() -> Option<f64> {
    // SAFETY: getrusage fills the struct it is given.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut u) != 0 {
            return None;
        }
        Some((u.ru_utime.tv_sec + u.ru_stime.tv_sec) as f64 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) as f64 / 1e6)
    }
}

/// Nearest-rank percentile of sorted values (0 for none).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64) + 0.999_999_999) as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The bench scenario (SHIM-BENCH-001): for --duration-ms, up to --depth requests in flight
/// (1 on shared memory), each of --items items, paced to --rate when it is not 0; every
/// response verified. The figures go into `out`.
fn bench(link: &mut Link, w: &Workload, a: &Args, size: usize, o: &mut Outcome, out: &mut Json) {
    let n = a.items.max(1);
    let depth = if link.is_shm() { 1 } else { a.depth.max(1) };
    o.effective_depth = depth;
    let mut payloads = Vec::with_capacity(BENCH_DISTINCT as usize);
    for r in 0..BENCH_DISTINCT {
        if n == 1 {
            payloads.push(w.request(r, size).expect("request"));
            continue;
        }
        let items: Vec<Vec<u8>> = (0..n as u64).map(|k| w.request(r * n as u64 + k, size).expect("request")).collect();
        let cap = align8(n as usize * 8) + items.iter().map(|x| align8(x.len())).sum::<usize>();
        let mut buf = vec![0u8; cap.max(8)];
        let mut b = BatchBuilder::new(&mut buf, n);
        for it in &items {
            if b.add(it).is_err() {
                o.failure = Some("the library's batch builder refused an item".into());
                return;
            }
        }
        let (len, _) = b.finish();
        buf.truncate(len);
        payloads.push(buf);
    }
    let cpu0 = cpu_seconds();
    let mut sent = vec![Instant::now(); depth as usize];
    let mut slot_id = vec![0u64; depth as usize]; // message_id in the slot, 0 = free
    let mut lat: Vec<f64> = Vec::with_capacity(1 << 16);
    let start = Instant::now();
    let end = start + std::time::Duration::from_millis(a.duration_ms);
    let (mut next, mut inflight) = (0u64, 0u32);
    loop {
        while inflight < depth && Instant::now() < end {
            let slot = (next % depth as u64) as usize;
            if slot_id[slot] != 0 {
                break;
            }
            if a.rate > 0.0 {
                let due = start + std::time::Duration::from_secs_f64(next as f64 / a.rate);
                if due >= end || (inflight > 0 && Instant::now() < due) {
                    break;
                }
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            let mut h = request_header(w.method, next + 1);
            if n > 1 {
                h.flags = FLAG_BATCH;
                h.item_count = n;
            }
            sent[slot] = Instant::now();
            slot_id[slot] = next + 1;
            if let Err(e) = link.send(&h, &payloads[(next % BENCH_DISTINCT) as usize]) {
                return o.error = Some(e);
            }
            next += 1;
            inflight += 1;
            o.requests += 1;
            o.items += n as u64;
        }
        if inflight == 0 {
            break;
        }
        let (h, p) = match link.receive() {
            Ok(x) => x,
            Err(e) => return o.error = Some(e),
        };
        let now = Instant::now();
        let id = h.message_id;
        let slot = if id == 0 { 0 } else { ((id - 1) % depth as u64) as usize };
        if id == 0 || slot_id[slot] != id {
            return o.failure = Some(format!("response message_id {id} is not in flight"));
        }
        if !check_response(&h, w.method, id, if n > 1 { Some(n) } else { None }, o) {
            return;
        }
        let r = (id - 1) % BENCH_DISTINCT;
        if n == 1 {
            if let Err(why) = w.verify(r, size, &p) {
                return o.failure = Some(format!("response {id}: {why}"));
            }
            o.verified += 1;
        } else {
            for k in 0..n {
                let item = match batch_item_get(&p, n, k) {
                    Ok((s, _)) => s,
                    Err(e) => return o.failure = Some(format!("batch response {id} item {k}: {e}")),
                };
                if let Err(why) = w.verify(r * n as u64 + k as u64, size, item) {
                    return o.failure = Some(format!("batch response {id} item {k}: {why}"));
                }
                o.verified += 1;
            }
        }
        lat.push(now.duration_since(sent[slot]).as_secs_f64() * 1e6);
        slot_id[slot] = 0;
        inflight -= 1;
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    lat.sort_by(|x, y| x.total_cmp(y));
    out.set("duration_ms", a.duration_ms);
    out.set("target_rate", a.rate);
    out.set("depth", a.depth);
    out.set("batch_items", n);
    out.set("seconds", secs);
    out.set("rate", o.requests as f64 / secs);
    out.set("items_rate", o.items as f64 / secs);
    out.set("p50_us", percentile(&lat, 0.50));
    out.set("p95_us", percentile(&lat, 0.95));
    out.set("p99_us", percentile(&lat, 0.99));
    match (cpu0, cpu_seconds()) {
        (Some(a0), Some(a1)) => out.set("client_cpu_s", a1 - a0),
        _ => out.set("client_cpu_s", Json::Null),
    }
}

fn print(out: &Json) {
    println!("{}", out.dump());
}

pub fn run(a: &Args) -> i32 {
    let mut out = Json::obj();
    out.set("role", "client");
    out.set("scenario", a.scenario.clone());
    out.set("service_kind", a.kind_name.clone());
    out.set("count", a.count);
    let not_supported = |mut out: Json, why: &str| -> i32 {
        out.set("ok", false);
        out.set("requests", 0u64);
        out.set("verified", 0u64);
        out.set("error", Json::Null);
        out.set("not_supported", why);
        print(&out);
        4
    };
    if a.transport != "uds" {
        return not_supported(out, "this build has only the UDS transport (the named pipe is Windows-only)");
    }
    if a.scenario == "snapshot" && a.kind != Kind::Snapshot {
        return not_supported(out, "snapshot needs --service-kind cgroups-snapshot");
    }
    let w = Workload::new(a.kind, a.echo_method, a.snapshot_items, a.snapshot_seed);

    let mut largest = (0..64).filter_map(|i| w.request(i, 0)).map(|r| r.len() as u64).max().unwrap_or(0);
    let mut batch_items = 1u32;
    if a.scenario == "batch" || (a.scenario == "bench" && a.items > 1) {
        batch_items = a.items;
        largest = 8 * a.items as u64 + a.items as u64 * align8(largest as usize) as u64;
    }
    let mut size = 0usize;
    if a.scenario == "large" {
        size = if a.size != 0 {
            a.size as usize
        } else {
            (4 * if a.packet_size != 0 { a.packet_size as u64 } else { native_packet_size() } + 100) as usize
        };
        match w.request(0, size) {
            Some(r) => largest = r.len() as u64,
            None => return not_supported(out, "this service kind has fixed-size requests"),
        }
    }
    if a.scenario == "bench" && a.size > 0 {
        size = a.size as usize;
        match w.request(0, size) {
            Some(r) if a.items > 1 => largest = 8 * a.items as u64 + a.items as u64 * align8(r.len()) as u64,
            Some(r) => largest = r.len() as u64,
            None => return not_supported(out, "this service kind has fixed-size requests"),
        }
    }
    let cfg = ClientConfig {
        supported_profiles: a.profiles,
        preferred_profiles: a.preferred,
        max_request_payload_bytes: if a.max_request_payload != 0 {
            a.max_request_payload
        } else {
            largest.max(1024).min(u32::MAX as u64) as u32
        },
        max_request_batch_items: if a.max_request_batch != 0 { a.max_request_batch } else { batch_items },
        max_response_payload_bytes: if a.max_response_payload != 0 { a.max_response_payload } else { 65536 },
        max_response_batch_items: if a.max_request_batch != 0 { a.max_request_batch } else { batch_items },
        auth_token: a.auth_token,
        packet_size: a.packet_size,
    };

    let start = Instant::now();
    let mut stats = ConnectStats::default();
    let mut o = Outcome { effective_depth: 1, ..Outcome::default() };
    match Link::connect(&a.run_dir, &a.service, cfg, a.timeout_ms, &mut stats) {
        Ok(mut link) => {
            out.set("profile", link.uds.selected_profile);
            out.set("session_id", link.uds.session_id);
            out.set("packet_size", link.uds.packet_size);
            out.set("agreed_max_request_payload", link.uds.max_request_payload_bytes);
            out.set("agreed_max_response_payload", link.uds.max_response_payload_bytes);
            match a.scenario.as_str() {
                "single" | "snapshot" => sequential(&mut link, &w, a.count, 0, &mut o),
                "large" => sequential(&mut link, &w, a.count, size, &mut o),
                "batch" => batch(&mut link, &w, a.count, a.items, &mut o),
                "pipeline" => pipeline(&mut link, &w, a.count, a.depth, &mut o),
                "wrong-method" => wrong_method(&mut link, &w, a.count, &mut o),
                "bench" => bench(&mut link, &w, a, size, &mut o, &mut out),
                _ => {} // connect: the handshake (and attach) is the whole scenario
            }
            out.set("chunked_messages", link.chunked);
        }
        Err(e) => o.error = Some(e),
    }
    out.set("requests", o.requests);
    out.set("items", o.items);
    out.set("verified", o.verified);
    out.set("effective_depth", o.effective_depth);
    out.set("shm_attach_failures", stats.attach_failures);
    if let Some(e) = &stats.attach_error {
        out.set("shm_attach_error", e.to_json());
    }
    out.set("elapsed_ms", start.elapsed().as_secs_f64() * 1000.0);
    out.set("error", o.error.as_ref().map(|e| e.to_json()));
    out.set("failure", o.failure.clone());

    let wanted = if a.scenario == "connect" {
        0
    } else if a.scenario == "batch" {
        a.count.saturating_mul(a.items as u64)
    } else if a.scenario == "bench" {
        o.items.max(1) // SHIM-BENCH-001: at least one request, every item verified
    } else {
        a.count
    };
    let code = if let Some(name) = &a.expect_error {
        out.set("expected_error", name.clone());
        if o.error.as_ref().is_some_and(|e| e.matches(name)) { 0 } else { 1 }
    } else if let Some(e) = &o.error {
        e.exit_code()
    } else if o.failure.is_some() || o.verified < wanted {
        1
    } else {
        0
    };
    out.set("ok", code == 0);
    print(&out);
    code
}
