//! Replays the netipc golden vectors (`vectors/*.json`) against your own codec from
//! `cargo test`. Standard library only: no dependencies, builds with `cargo --offline`.
//!
//! Implement [`Codec`] (`decode`, and optionally `encode`) and call [`run`] from a test:
//!
//! ```no_run
//! use nipc_vector_harness::{run, Case, Codec, Outcome};
//! struct Mine;
//! impl Codec for Mine {
//!     fn decode(&self, case: &Case) -> Outcome {
//!         Outcome::Unsupported(format!("{} not implemented yet", case.family))
//!     }
//! }
//! run("path/to/netipc-cts/vectors", &Mine);
//! ```
//!
//! A check passes only on positive evidence (the same fields, the same error class, the same
//! bytes); it fails naming the case, its requirement IDs and what differed; an `Unsupported`
//! answer is a skip with its reason, never a pass. [`run`] prints the failed and skipped
//! checks and a summary, and panics (failing the test) when a check failed or the vectors
//! cannot be read; [`check`] returns the [`Report`] instead.

pub mod json;

pub use json::Json;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The vector file schema this harness reads (`vectors/schema/`).
pub const SCHEMA_VERSION: i128 = 1;

/// One vector case.
#[derive(Clone, Debug)]
pub struct Case {
    pub file: PathBuf,
    /// e.g. `outer_header`.
    pub family: String,
    /// `decode`, or `decide` / `check_ack` / `names` for the handshake and name families.
    pub op: &'static str,
    /// Position in its file, from 1.
    pub id: u64,
    /// Stable kebab-case key.
    pub name: String,
    pub requirements: Vec<String>,
    pub comment: String,
    pub flags: Vec<String>,
    /// What the contract expects: `valid`, `invalid` or `acceptable`.
    pub result: String,
    /// The input of a `hex` case (possibly empty).
    pub bytes: Option<Vec<u8>>,
    /// The input of a `packets` case.
    pub packets: Option<Vec<Vec<u8>>>,
    /// Inputs besides the bytes (an empty object when the case has none); the whole input of
    /// a case with neither bytes nor packets.
    pub context: Json,
    /// Expected fields (valid cases; acceptable cases the reference accepts).
    pub fields: Option<Json>,
    /// Expected error class (invalid cases; acceptable cases the reference rejects).
    pub error: Option<String>,
}

impl Case {
    /// `family/id-name`, the name reports use.
    pub fn key(&self) -> String {
        format!("{}/{}-{}", self.family, self.id, self.name)
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// An unsigned integer at a path of keys below the context (a number or decimal string).
    pub fn context_u64(&self, path: &[&str]) -> Option<u64> {
        path.iter().try_fold(&self.context, |v, k| v.get(k))?.as_u64()
    }

    /// An unsigned integer field of the expected fields (for an encoder).
    pub fn field_u64(&self, key: &str) -> Option<u64> {
        self.fields.as_ref()?.get(key)?.as_u64()
    }
}

/// What your codec answers for one case.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The input decodes to these fields (a JSON object; 64-bit values as decimal strings,
    /// byte strings as lower-case hex).
    Valid(Json),
    /// The input is rejected with this error class (e.g. `HeaderBadMagic`).
    Invalid(String),
    /// handshake_decide: rejected with `Status<Name>`, sending `packet`, which must be the
    /// canonical rejection HELLO_ACK.
    Rejected { error: String, packet: Vec<u8> },
    /// The bytes an encoder produced.
    Encoded(Vec<u8>),
    /// Not handled by this codec: reported as a skip with the reason.
    Unsupported(String),
}

/// Your codec.
pub trait Codec {
    /// Decodes (or decides, checks, names: see [`Case::op`]) the input of one case.
    fn decode(&self, case: &Case) -> Outcome;

    /// Encodes `case.fields` (with `case.context`) of a valid Canonical case; the bytes must
    /// be `case.bytes`. Not implemented: those checks are skipped.
    fn encode(&self, _case: &Case) -> Outcome {
        Outcome::Unsupported("the codec has no encoder".to_string())
    }
}

/// How verdicts are reached.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Pass a rejection of an invalid case with another error class, noting the difference.
    pub lenient_errors: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

/// The outcome of one check.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub family: String,
    pub id: u64,
    pub name: String,
    pub requirements: Vec<String>,
    /// The encoding check of a valid Canonical case rather than its decode.
    pub encode: bool,
    pub status: Status,
    pub message: String,
}

impl Verdict {
    /// The case key, with `.encode` for an encoding check.
    pub fn key(&self) -> String {
        format!(
            "{}/{}-{}{}",
            self.family,
            self.id,
            self.name,
            if self.encode { ".encode" } else { "" }
        )
    }

    /// One report line: status, key, requirement IDs and message.
    pub fn line(&self) -> String {
        let status = match self.status {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        };
        let mut line = format!("{} {} [{}]", status, self.key(), self.requirements.join(","));
        if !self.message.is_empty() {
            line.push_str(": ");
            line.push_str(&self.message);
        }
        line
    }
}

/// Every verdict of a run, in file and case order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub verdicts: Vec<Verdict>,
}

impl Report {
    pub fn with(&self, status: Status) -> Vec<&Verdict> {
        self.verdicts.iter().filter(|v| v.status == status).collect()
    }

    /// Sorted ids of the cases of `family` with a failed check.
    pub fn failed_ids(&self, family: &str) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .with(Status::Fail)
            .iter()
            .filter(|v| v.family == family)
            .map(|v| v.id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub fn summary(&self) -> String {
        format!(
            "netipc vectors: {} passed, {} failed, {} skipped",
            self.with(Status::Pass).len(),
            self.with(Status::Fail).len(),
            self.with(Status::Skip).len()
        )
    }
}

/// Vectors that cannot be used: the message names the file and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

fn family_op(family: &str) -> &'static str {
    match family {
        "handshake_decide" => "decide",
        "handshake_check_ack" => "check_ack",
        "windows_names" => "names",
        _ => "decode",
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    b.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

/// Reads every `*.json` file of `dir`, sorted by name, and returns its cases in order. Fails,
/// naming the file and the problem, on a missing directory, a directory without vector files,
/// a file that is not JSON or does not follow the vector file schema; nothing is dropped.
pub fn load(dir: impl AsRef<Path>) -> Result<Vec<Case>, LoadError> {
    let dir = dir.as_ref();
    let entries =
        std::fs::read_dir(dir).map_err(|_| LoadError(format!("{}: not a directory", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    if paths.is_empty() {
        return Err(LoadError(format!("{}: no *.json vector files", dir.display())));
    }
    paths.sort();
    let mut cases = Vec::new();
    for path in paths {
        load_file(&path, &mut cases)?;
    }
    Ok(cases)
}

fn load_file(path: &Path, cases: &mut Vec<Case>) -> Result<(), LoadError> {
    let fail = |what: String| LoadError(format!("{}: {}", path.display(), what));
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {}", e)))?;
    let doc = Json::parse(&text).map_err(|e| fail(format!("cannot read: {}", e)))?;
    match doc.get("schema_version") {
        Some(Json::Int(SCHEMA_VERSION)) => {}
        other => {
            return Err(fail(format!(
                "schema_version {}, this harness reads {}",
                other.map_or("missing".to_string(), |v| v.to_string()),
                SCHEMA_VERSION
            )))
        }
    }
    let family = doc
        .get("family")
        .and_then(Json::as_str)
        .ok_or_else(|| fail("no family".into()))?;
    let raw_cases = doc
        .get("cases")
        .and_then(Json::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| fail("no cases".into()))?;
    if doc.get("input").and_then(Json::as_str) == Some("steps") {
        // Session vectors: conversations nipc-peer replays against a live implementation;
        // they hold no decoder case of their own.
        return Ok(());
    }
    for (n, raw) in raw_cases.iter().enumerate() {
        let case = make_case(family, path, raw).map_err(|e| fail(format!("case {}: {}", n + 1, e)))?;
        cases.push(case);
    }
    Ok(())
}

fn strings(v: Option<&Json>) -> Option<Vec<String>> {
    v?.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn make_case(family: &str, path: &Path, raw: &Json) -> Result<Case, String> {
    let id = raw
        .get("id")
        .and_then(Json::as_u64)
        .filter(|_| matches!(raw.get("id"), Some(Json::Int(_))));
    let name = raw.get("name").and_then(Json::as_str);
    let requirements = strings(raw.get("requirements"));
    let flags = strings(raw.get("flags"));
    let (Some(id), Some(name), Some(requirements), Some(flags)) = (id, name, requirements, flags) else {
        return Err("id, name, requirements or flags missing".into());
    };
    let result = raw.get("result").and_then(Json::as_str).unwrap_or("");
    let fields = raw.get("fields").cloned();
    let error = raw.get("error").and_then(Json::as_str).map(str::to_string);
    match result {
        "valid" if !matches!(fields, Some(Json::Object(_))) => return Err("a valid case needs fields".into()),
        "invalid" if error.is_none() => return Err("an invalid case needs error".into()),
        "valid" | "invalid" | "acceptable" => {}
        other => return Err(format!("result {:?}", other)),
    }
    if raw.get("hex").is_some() && raw.get("packets").is_some() {
        return Err("both hex and packets".into());
    }
    let bytes = match raw.get("hex") {
        None => None,
        Some(h) => Some(
            h.as_str()
                .and_then(unhex)
                .ok_or("hex: not lower-case hex pairs")?,
        ),
    };
    let packets = match raw.get("packets") {
        None => None,
        Some(p) => Some(
            p.as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|h| h.as_str().and_then(unhex))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or("packets: not a list of hex strings")?,
        ),
    };
    Ok(Case {
        file: path.to_path_buf(),
        family: family.to_string(),
        op: family_op(family),
        id,
        name: name.to_string(),
        requirements,
        comment: raw
            .get("comment")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string(),
        flags,
        result: result.to_string(),
        bytes,
        packets,
        context: raw
            .get("context")
            .cloned()
            .unwrap_or_else(|| Json::object(Vec::<(String, Json)>::new())),
        fields,
        error,
    })
}

/// Runs every check of the vectors in `dir` against `codec` and returns the report. A panic
/// in the codec is a fail of that check. Err only when the vectors cannot be read.
pub fn check(dir: impl AsRef<Path>, codec: &dyn Codec, options: &Options) -> Result<Report, LoadError> {
    let mut report = Report::default();
    for case in load(dir)? {
        report.verdicts.push(check_decode(&case, codec, options));
        if case.result == "valid" && case.bytes.is_some() && case.has_flag("Canonical") {
            report.verdicts.push(check_encode(&case, codec));
        }
    }
    Ok(report)
}

/// For a `#[test]`: checks the vectors in `dir`, prints every failed and skipped check and the
/// summary, and panics (failing the test) when a check failed, when no check passed (all
/// skipped: nothing was verified), or when the vectors cannot be read.
pub fn run(dir: impl AsRef<Path>, codec: &dyn Codec) {
    run_with(dir, codec, &Options::default())
}

/// [`run`] with options.
pub fn run_with(dir: impl AsRef<Path>, codec: &dyn Codec, options: &Options) {
    let report = match check(dir, codec, options) {
        Ok(r) => r,
        Err(e) => panic!("netipc vectors: {}", e),
    };
    for v in report.verdicts.iter().filter(|v| v.status != Status::Pass) {
        println!("{}", v.line());
    }
    println!("{}", report.summary());
    let failed = report.with(Status::Fail);
    if !failed.is_empty() {
        let lines: Vec<String> = failed.iter().map(|v| v.line()).collect();
        panic!("{}:\n{}", report.summary(), lines.join("\n"));
    }
    // A Rust test cannot be skipped: a run that verified nothing must not look green.
    if report.with(Status::Pass).is_empty() {
        panic!("{}: no check passed, nothing was verified", report.summary());
    }
}

fn verdict(case: &Case, encode: bool, status: Status, message: String) -> Verdict {
    Verdict {
        family: case.family.clone(),
        id: case.id,
        name: case.name.clone(),
        requirements: case.requirements.clone(),
        encode,
        status,
        message,
    }
}

fn guarded(what: &str, f: impl FnOnce() -> Outcome) -> Result<Outcome, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        format!("{} panicked: {}", what, text)
    })
}

fn check_encode(case: &Case, codec: &dyn Codec) -> Verdict {
    let want = case.bytes.as_deref().unwrap_or(&[]);
    let (status, message) = match guarded("encode", || codec.encode(case)) {
        Err(m) => (Status::Fail, m),
        Ok(Outcome::Unsupported(r)) => (Status::Skip, r),
        Ok(Outcome::Invalid(e)) | Ok(Outcome::Rejected { error: e, .. }) => {
            (Status::Fail, format!("the encoder refused the fields: {}", e))
        }
        Ok(Outcome::Encoded(b)) if b == want => (Status::Pass, String::new()),
        Ok(Outcome::Encoded(b)) => (
            Status::Fail,
            format!("encoded {}, expected {}", hex(&b), hex(want)),
        ),
        Ok(Outcome::Valid(_)) => (
            Status::Fail,
            "the encoder returned Valid, not Encoded bytes".into(),
        ),
    };
    verdict(case, true, status, message)
}

fn compare_fields(case: &Case, got: &Json) -> Option<String> {
    let want = case.fields.as_ref()?;
    if want == got {
        return None;
    }
    if let (Json::Object(w), Json::Object(g)) = (want, got) {
        // Name the first key that differs (in sorted order): most fields objects are flat.
        let text = |m: &std::collections::BTreeMap<String, Json>, k: &str| {
            m.get(k).map_or_else(|| "(absent)".to_string(), |v| v.to_string())
        };
        let key = w
            .keys()
            .chain(g.keys())
            .filter(|k| w.get(*k) != g.get(*k))
            .min()?;
        return Some(format!(
            "fields differ at {}: expected {}, got {}",
            Json::from(key.as_str()),
            text(w, key),
            text(g, key)
        ));
    }
    Some(format!("fields differ: expected {}, got {}", want, got))
}

fn check_decode(case: &Case, codec: &dyn Codec, options: &Options) -> Verdict {
    let out = match guarded("decode", || codec.decode(case)) {
        Err(m) => return verdict(case, false, Status::Fail, m),
        Ok(out) => out,
    };
    let fail = |m: String| verdict(case, false, Status::Fail, m);
    let pass = |m: String| verdict(case, false, Status::Pass, m);
    let (accepted, error) = match &out {
        Outcome::Unsupported(r) => return verdict(case, false, Status::Skip, r.clone()),
        Outcome::Encoded(_) => {
            return fail("the decoder returned Encoded bytes, not Valid or Invalid".into())
        }
        Outcome::Valid(fields) => (Some(fields), None),
        Outcome::Invalid(e) => (None, Some(e.as_str())),
        Outcome::Rejected { error, packet } => {
            if case.family == "handshake_decide" {
                let status = case.error.as_deref().and_then(|e| e.strip_prefix("Status"));
                if let Some(want) = status.and_then(rejection_packet) {
                    if *packet != want {
                        return fail(format!(
                            "rejection packet {}, expected {}",
                            hex(packet),
                            hex(&want)
                        ));
                    }
                }
            }
            (None, Some(error.as_str()))
        }
    };
    let expected_error = case.error.as_deref().unwrap_or("");
    match (case.result.as_str(), accepted, error) {
        ("valid", Some(fields), _) => compare_fields(case, fields).map_or_else(|| pass(String::new()), fail),
        ("valid", None, Some(e)) => fail(format!("rejected a valid case with {}", e)),
        ("invalid", Some(_), _) => fail(format!("accepted an invalid case (expected {})", expected_error)),
        ("invalid", None, Some(e)) if e == expected_error => pass(String::new()),
        ("invalid", None, Some(e)) if options.lenient_errors => {
            pass(format!("rejected with {} (expected class {})", e, expected_error))
        }
        ("invalid", None, Some(e)) => fail(format!("rejected with {}, expected {}", e, expected_error)),
        // acceptable: either verdict, but an acceptance must decode the reference's fields
        (_, Some(fields), _) => {
            compare_fields(case, fields).map_or_else(|| pass("acceptable: accepted".into()), fail)
        }
        (_, None, e) => pass(format!("acceptable: rejected with {}", e.unwrap_or(""))),
    }
}

/// The canonical HELLO_ACK rejection packet for a status name such as `AuthFailed` (None for
/// an unknown name): the outer header (CONTROL, HELLO_ACK, the status, payload_len 48,
/// item_count 1, message_id 0) and a payload of layout_version 1 and zeros.
pub fn rejection_packet(status: &str) -> Option<Vec<u8>> {
    let code: u16 = match status {
        "BadEnvelope" => 1,
        "AuthFailed" => 2,
        "Incompatible" => 3,
        "Unsupported" => 4,
        "LimitExceeded" => 5,
        "InternalError" => 6,
        _ => return None,
    };
    let mut p = Vec::with_capacity(80);
    p.extend_from_slice(&0x4E49_5043u32.to_le_bytes());
    for v in [1u16, 32, 3, 0, 2, code] {
        p.extend_from_slice(&v.to_le_bytes());
    }
    p.extend_from_slice(&48u32.to_le_bytes());
    p.extend_from_slice(&1u32.to_le_bytes());
    p.extend_from_slice(&0u64.to_le_bytes());
    p.extend_from_slice(&1u16.to_le_bytes());
    p.resize(80, 0);
    Some(p)
}
