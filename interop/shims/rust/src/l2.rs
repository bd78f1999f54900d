//! The typed-client scenarios (`overflow`, `retry`, `attach-fail`; SHIM-L2-001): each call
//! goes through the library's L2 client (`service::raw::RawClient`), with `refresh()` before
//! every call and the next call made after a failed one. Only INCREMENT is played: the L2
//! string call takes a Rust `&str`, and the suite's strings include bytes that are not UTF-8.

use crate::args::Args;
use crate::fixture::{Kind, Workload};
use crate::json::Json;
use netipc::service::raw::{ClientState, RawClient};
use netipc::transport::posix::ClientConfig;
use std::time::Instant;

pub fn run(a: &Args, mut out: Json, not_supported: impl Fn(Json, &str) -> i32) -> i32 {
    if a.kind != Kind::Increment {
        return not_supported(out, "the typed-client scenarios are played for increment only (the L2 string call takes UTF-8 text)");
    }
    if a.scenario == "attach-fail" && a.profiles & 0x06 == 0 {
        return not_supported(out, "attach-fail needs a shared-memory profile in --profiles");
    }
    if a.size != 0 {
        return not_supported(out, "this service kind has fixed-size requests (--size)");
    }
    let batch = if a.max_request_batch != 0 { a.max_request_batch } else { 1 };
    let cfg = ClientConfig {
        supported_profiles: a.profiles,
        preferred_profiles: a.preferred,
        max_request_payload_bytes: if a.max_request_payload != 0 { a.max_request_payload } else { 1024 },
        max_request_batch_items: batch,
        max_response_payload_bytes: if a.max_response_payload != 0 { a.max_response_payload } else { 65536 },
        max_response_batch_items: batch,
        auth_token: a.auth_token,
        packet_size: a.packet_size,
    };
    let w = Workload::new(a.kind, a.echo_method, a.snapshot_items, a.snapshot_seed);
    let mut client = RawClient::new_increment(&a.run_dir, &a.service, cfg);
    let start = Instant::now();
    let (mut requests, mut verified) = (0u64, 0u64);
    let mut first_error: Option<String> = None;
    let mut failure: Option<String> = None;
    for i in 0..a.count {
        client.refresh();
        requests += 1;
        let req = match w.request(i, 0) {
            Some(r) if r.len() >= 8 => r,
            _ => return not_supported(out, "no increment request"),
        };
        let value = u64::from_le_bytes(req[0..8].try_into().unwrap());
        match client.call_increment(value) {
            Ok(answer) => match w.verify(i, 0, &answer.to_le_bytes()) {
                Ok(()) => verified += 1,
                Err(f) => {
                    failure.get_or_insert(f);
                }
            },
            Err(e) => {
                first_error.get_or_insert(format!("{e:?}"));
            }
        }
    }
    let st = client.status();
    let state = match st.state {
        ClientState::Disconnected => "DISCONNECTED",
        ClientState::Connecting => "CONNECTING",
        ClientState::Ready => "READY",
        ClientState::NotFound => "NOT_FOUND",
        ClientState::AuthFailed => "AUTH_FAILED",
        ClientState::Incompatible => "INCOMPATIBLE",
        ClientState::Broken => "BROKEN",
    };
    let mut l2 = Json::obj();
    l2.set("state", state);
    l2.set("calls", st.call_count);
    l2.set("errors", st.error_count);
    l2.set("connects", st.connect_count);
    l2.set("reconnects", st.reconnect_count);
    out.set("l2", l2);
    out.set("requests", requests);
    out.set("verified", verified);
    out.set("elapsed_ms", start.elapsed().as_secs_f64() * 1000.0);
    match &first_error {
        Some(text) => {
            let mut e = Json::obj();
            e.set("kind", "L2Call");
            e.set("rule", Json::Null);
            e.set("requirement", "SVC-CALL-001");
            e.set("text", text.clone());
            out.set("error", e);
        }
        None => out.set("error", Json::Null),
    }
    out.set("failure", failure.clone());
    let code = if let Some(name) = &a.expect_error {
        // The library's L2 errors carry no rule names to match.
        out.set("expected_error", name.clone());
        1
    } else if matches!(st.state, ClientState::AuthFailed | ClientState::Incompatible) {
        5
    } else if st.state == ClientState::NotFound && verified == 0 {
        3
    } else if first_error.is_some() || failure.is_some() || verified < a.count {
        1
    } else {
        0
    };
    out.set("ok", code == 0);
    println!("{}", out.dump());
    code
}
