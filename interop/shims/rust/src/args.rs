//! Command-line flags of the shim contract (spec/shim-contract.md, SHIM-FLAG-001).

use crate::fixture::Kind;

#[derive(Debug, Clone)]
pub struct Args {
    pub role: String,
    pub transport: String,
    pub run_dir: String,
    pub service: String,
    pub kind_name: String,
    pub kind: Kind,
    pub auth_token: u64,
    pub profiles: u32,
    pub preferred: u32,
    pub max_request_payload: u32,
    pub max_response_payload: u32,
    pub max_request_batch: u32,
    pub packet_size: u32,
    pub timeout_ms: u32,
    pub snapshot_items: u32,
    pub snapshot_seed: u64,
    pub echo_method: u16,
    /// Server: 0 = forever.
    pub sessions: u64,
    pub scenario: String,
    pub count: u64,
    pub items: u32,
    pub depth: u32,
    pub size: u64,
    pub expect_error: Option<String>,
    /// bench: measuring time in milliseconds.
    pub duration_ms: u64,
    /// bench: target requests per second, 0 = as fast as possible.
    pub rate: f64,
}

/// Decimal or 0x-prefixed hexadecimal, no sign.
pub fn parse_num(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() {
            return None;
        }
        u64::from_str_radix(h, 16).ok()
    } else {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<u64>().ok()
    }
}

const SCENARIOS: &[&str] = &["single", "batch", "pipeline", "large", "snapshot", "wrong-method", "connect", "bench"];

/// Parses `argv[1..]` (role first). Err is the usage message (exit 2).
pub fn parse(argv: &[String]) -> Result<Args, String> {
    let role = argv.first().cloned().ok_or("missing role (server, client or codec)")?;
    if role != "server" && role != "client" {
        return Err(format!("unknown role {role}"));
    }
    let mut a = Args {
        role: role.clone(),
        transport: "uds".into(),
        run_dir: String::new(),
        service: String::new(),
        kind_name: String::new(),
        kind: Kind::Increment,
        auth_token: 0,
        profiles: 1,
        preferred: 0,
        max_request_payload: 0,
        max_response_payload: 0,
        max_request_batch: 0,
        packet_size: 0,
        timeout_ms: 10000,
        snapshot_items: 16,
        snapshot_seed: 1,
        echo_method: 1,
        sessions: 0,
        scenario: "single".into(),
        count: 1,
        items: 4,
        depth: 16,
        size: 0,
        expect_error: None,
        duration_ms: 1000,
        rate: 0.0,
    };
    let (mut items_given, mut depth_given) = (false, false);
    let mut i = 1;
    while i < argv.len() {
        let flag = argv[i].as_str();
        let value = argv.get(i + 1).ok_or_else(|| format!("flag {flag} needs a value"))?.clone();
        i += 2;
        let num = |max: u64| -> Result<u64, String> {
            match parse_num(&value) {
                Some(v) if v <= max => Ok(v),
                _ => Err(format!("bad value for {flag}: {value}")),
            }
        };
        let u32max = u32::MAX as u64;
        let client_only = matches!(
            flag,
            "--scenario"
                | "--count"
                | "--items"
                | "--depth"
                | "--size"
                | "--max-request-batch"
                | "--expect-error"
                | "--duration-ms"
                | "--rate"
        );
        if client_only && role != "client" {
            return Err(format!("flag {flag} is for the client role"));
        }
        match flag {
            "--transport" => a.transport = value,
            "--run-dir" => a.run_dir = value,
            "--service" => a.service = value,
            "--service-kind" => a.kind_name = value,
            "--auth-token" => a.auth_token = num(u64::MAX)?,
            "--profiles" => a.profiles = num(u32max)? as u32,
            "--preferred" => a.preferred = num(u32max)? as u32,
            "--max-request-payload" => a.max_request_payload = num(u32max)? as u32,
            "--max-response-payload" => a.max_response_payload = num(u32max)? as u32,
            "--packet-size" => a.packet_size = num(u32max)? as u32,
            "--timeout-ms" => a.timeout_ms = num(u32max)? as u32,
            "--snapshot-items" => a.snapshot_items = num(u32max)? as u32,
            "--snapshot-seed" => a.snapshot_seed = num(u64::MAX)?,
            "--echo-method" => a.echo_method = num(u16::MAX as u64)? as u16,
            "--sessions" if role == "server" => {
                a.sessions = if value == "forever" {
                    0
                } else {
                    match parse_num(&value) {
                        Some(v) if v > 0 => v,
                        _ => return Err(format!("bad value for --sessions: {value}")),
                    }
                }
            }
            "--scenario" => {
                if !SCENARIOS.contains(&value.as_str()) {
                    return Err(format!("unknown scenario {value}"));
                }
                a.scenario = value
            }
            "--count" => a.count = num(u64::MAX)?,
            "--items" => {
                a.items = num(u32max)? as u32;
                items_given = true
            }
            "--depth" => {
                a.depth = num(u32max)? as u32;
                depth_given = true
            }
            "--duration-ms" => match num(u32max)? {
                0 => return Err("--duration-ms must be > 0".into()),
                v => a.duration_ms = v,
            },
            "--rate" => match value.parse::<f64>() {
                Ok(v) if v >= 0.0 && v.is_finite() => a.rate = v,
                _ => return Err(format!("bad value for --rate: {value}")),
            },
            "--size" => a.size = num(u32max)?,
            "--max-request-batch" => a.max_request_batch = num(u32max)? as u32,
            "--expect-error" => a.expect_error = Some(value),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.run_dir.is_empty() {
        return Err("missing --run-dir".into());
    }
    if a.service.is_empty() {
        return Err("missing --service".into());
    }
    if a.kind_name.is_empty() {
        return Err("missing --service-kind".into());
    }
    // bench: one item per request, one request in flight, unless the flags say otherwise.
    if a.scenario == "bench" {
        if !items_given {
            a.items = 1;
        }
        if !depth_given {
            a.depth = 1;
        }
    }
    a.kind = Kind::parse(&a.kind_name).ok_or_else(|| format!("unknown service kind {}", a.kind_name))?;
    if a.transport != "uds" && a.transport != "pipe" {
        return Err(format!("unknown transport {}", a.transport));
    }
    Ok(a)
}
