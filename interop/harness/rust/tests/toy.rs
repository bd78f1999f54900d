//! The harness's own tests: a correct toy codec passes the outer_header and chunk_header
//! vectors, a deliberately wrong one fails exactly the cases that catch its faults, and the
//! loader and verdicts behave as documented. The toy is written from the layout tables of
//! spec/envelope.md (outer header) and spec/chunking.md (continuation chunk header).

use nipc_vector_harness::{check, load, rejection_packet, run, Case, Codec, Json, Options, Outcome, Status};
use std::path::PathBuf;

const MESSAGE_MAGIC: u32 = 0x4E49_5043;
const CHUNK_MAGIC: u32 = 0x4E43_484B;

/// The cases the wrong toy must fail: (family, id, name); ids are stable.
const WRONG_FAILS: [(&str, u64, &str); 6] = [
    ("chunk_header", 26, "flags-one"),
    ("chunk_header", 27, "flags-high-bit"),
    ("chunk_header", 28, "flags-all-bits"),
    ("outer_header", 7, "message-id-max"),
    ("outer_header", 8, "message-id-high-bit"),
    ("outer_header", 9, "message-id-byte-order"),
];

fn vectors_dir() -> PathBuf {
    match std::env::var_os("NIPC_VECTORS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../vectors"),
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// `wrong`: message_id read as a u32, and the chunk header's reserved flags ignored.
struct Toy {
    wrong: bool,
}

impl Toy {
    fn outer_header(&self, case: &Case, b: &[u8]) -> Outcome {
        if b.len() < 32 {
            return Outcome::Invalid("HeaderTruncated".into());
        }
        let kind = u16_at(b, 8);
        let error = if u32_at(b, 0) != MESSAGE_MAGIC {
            "HeaderBadMagic"
        } else if u16_at(b, 4) != 1 {
            "HeaderBadVersion"
        } else if u16_at(b, 6) != 32 {
            "HeaderBadHeaderLen"
        } else if !(1..=3).contains(&kind) {
            "HeaderBadKind"
        } else if case
            .context_u64(&["limits", "max_payload_bytes"])
            .is_some_and(|m| u64::from(u32_at(b, 16)) > m)
        {
            "PayloadOverLimit"
        } else if case
            .context_u64(&["limits", "max_batch_items"])
            .is_some_and(|m| u64::from(u32_at(b, 20)) > m)
        {
            "ItemCountOverLimit"
        } else {
            ""
        };
        if !error.is_empty() {
            return Outcome::Invalid(error.into());
        }
        let message_id = if self.wrong {
            u64::from(u32_at(b, 24))
        } else {
            u64_at(b, 24)
        };
        Outcome::Valid(Json::object([
            ("kind", kind.into()),
            ("flags", u16_at(b, 10).into()),
            ("code", u16_at(b, 12).into()),
            ("transport_status", u16_at(b, 14).into()),
            ("payload_len", u32_at(b, 16).into()),
            ("item_count", u32_at(b, 20).into()),
            ("message_id", message_id.to_string().into()),
        ]))
    }

    fn chunk_header(&self, b: &[u8]) -> Outcome {
        if b.len() < 32 {
            return Outcome::Invalid("ChunkTruncated".into());
        }
        if u32_at(b, 0) != CHUNK_MAGIC {
            return Outcome::Invalid("ChunkBadMagic".into());
        }
        if u16_at(b, 4) != 1 {
            return Outcome::Invalid("ChunkBadVersion".into());
        }
        if u16_at(b, 6) != 0 && !self.wrong {
            return Outcome::Invalid("ChunkNonzeroFlags".into());
        }
        Outcome::Valid(Json::object([
            ("message_id", u64_at(b, 8).to_string().into()),
            ("total_message_len", u32_at(b, 16).into()),
            ("chunk_index", u32_at(b, 20).into()),
            ("chunk_count", u32_at(b, 24).into()),
            ("chunk_payload_len", u32_at(b, 28).into()),
        ]))
    }
}

impl Codec for Toy {
    fn decode(&self, case: &Case) -> Outcome {
        match (case.family.as_str(), &case.bytes) {
            ("outer_header", Some(b)) => self.outer_header(case, b),
            ("chunk_header", Some(b)) => self.chunk_header(b),
            _ => Outcome::Unsupported("the toy decodes outer_header and chunk_header only".into()),
        }
    }

    fn encode(&self, case: &Case) -> Outcome {
        let f = |k: &str| case.field_u64(k).unwrap_or(0);
        let mut b = Vec::with_capacity(32);
        match case.family.as_str() {
            "outer_header" => {
                b.extend_from_slice(&MESSAGE_MAGIC.to_le_bytes());
                for v in [1, 32, f("kind"), f("flags"), f("code"), f("transport_status")] {
                    b.extend_from_slice(&(v as u16).to_le_bytes());
                }
                b.extend_from_slice(&(f("payload_len") as u32).to_le_bytes());
                b.extend_from_slice(&(f("item_count") as u32).to_le_bytes());
                b.extend_from_slice(&f("message_id").to_le_bytes());
            }
            "chunk_header" => {
                b.extend_from_slice(&CHUNK_MAGIC.to_le_bytes());
                b.extend_from_slice(&1u16.to_le_bytes());
                b.extend_from_slice(&0u16.to_le_bytes());
                b.extend_from_slice(&f("message_id").to_le_bytes());
                for k in [
                    "total_message_len",
                    "chunk_index",
                    "chunk_count",
                    "chunk_payload_len",
                ] {
                    b.extend_from_slice(&(f(k) as u32).to_le_bytes());
                }
            }
            _ => return Outcome::Unsupported("the toy encodes outer_header and chunk_header only".into()),
        }
        Outcome::Encoded(b)
    }
}

/// Counted straight from the files: one decode per case, one encode per valid Canonical case
/// with bytes, for `families` (all when None).
fn expected_checks(families: Option<&[&str]>) -> usize {
    load(vectors_dir())
        .unwrap()
        .iter()
        .filter(|c| families.map_or(true, |f| f.contains(&c.family.as_str())))
        .map(|c| 1 + usize::from(c.result == "valid" && c.bytes.is_some() && c.has_flag("Canonical")))
        .sum()
}

#[test]
fn a_correct_toy_passes_every_outer_and_chunk_header_case_and_skips_the_rest() {
    let report = check(vectors_dir(), &Toy { wrong: false }, &Options::default()).unwrap();
    let failed: Vec<String> = report.with(Status::Fail).iter().map(|v| v.line()).collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    let toy = ["outer_header", "chunk_header"];
    assert_eq!(report.with(Status::Pass).len(), expected_checks(Some(&toy)));
    assert_eq!(report.verdicts.len(), expected_checks(None));
    assert!(report
        .with(Status::Skip)
        .iter()
        .all(|v| !toy.contains(&v.family.as_str())));
    // Through run(): no panic.
    run(vectors_dir(), &Toy { wrong: false });
}

#[test]
fn a_wrong_toy_fails_exactly_the_cases_that_catch_its_faults() {
    let report = check(vectors_dir(), &Toy { wrong: true }, &Options::default()).unwrap();
    let failed: Vec<(String, u64, String)> = report
        .with(Status::Fail)
        .iter()
        .map(|v| (v.family.clone(), v.id, v.name.clone()))
        .collect();
    let want: Vec<(String, u64, String)> = WRONG_FAILS
        .iter()
        .map(|(f, i, n)| (f.to_string(), *i, n.to_string()))
        .collect();
    assert_eq!(failed, want);
    assert_eq!(report.failed_ids("outer_header"), vec![7, 8, 9]);
    assert_eq!(
        report.with(Status::Fail)[0].line(),
        "FAIL chunk_header/26-flags-one [CHUNK-FLAGS-001]: accepted an invalid case (expected ChunkNonzeroFlags)"
    );
}

#[test]
fn run_fails_the_test_when_no_check_passed() {
    struct Nothing;
    impl Codec for Nothing {
        fn decode(&self, _: &Case) -> Outcome {
            Outcome::Unsupported("nothing yet".into())
        }
    }
    let payload = std::panic::catch_unwind(|| run(vectors_dir(), &Nothing)).unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("no check passed, nothing was verified"),
        "{}",
        message
    );
    assert!(
        message.starts_with("netipc vectors: 0 passed, 0 failed, "),
        "{}",
        message
    );
}

#[test]
fn run_fails_the_test_naming_every_caught_case() {
    let payload = std::panic::catch_unwind(|| run(vectors_dir(), &Toy { wrong: true })).unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(message.starts_with("netipc vectors: "), "{}", message);
    for (family, id, name) in WRONG_FAILS {
        assert!(
            message.contains(&format!("FAIL {}/{}-{} [", family, id, name)),
            "{}",
            message
        );
    }
    assert_eq!(message.matches("\nFAIL ").count(), WRONG_FAILS.len());
}

/// A directory with one vector file of `family` holding `cases` (JSON text of the array).
fn vectors(family: &str, cases: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    // Cargo's scratch directory for integration tests, inside the target directory.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "vectors-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let doc = format!(
        r#"{{"schema_version":1,"family":"{}","spec_revision":"2026-01-01","description":"t","input":"hex","cases":{}}}"#,
        family, cases
    );
    std::fs::write(dir.join(format!("{}.json", family)), doc).unwrap();
    dir
}

fn case(result: &str, extra: &str) -> String {
    format!(
        r#"[{{"id":1,"name":"case-1","requirements":["ENV-HDR-001"],"comment":"c","result":"{}","flags":[],"hex":"00"{}}}]"#,
        result, extra
    )
}

struct Fixed(Outcome, Option<Outcome>);

impl Codec for Fixed {
    fn decode(&self, _: &Case) -> Outcome {
        self.0.clone()
    }
    fn encode(&self, _: &Case) -> Outcome {
        self.1
            .clone()
            .unwrap_or_else(|| Outcome::Unsupported("the codec has no encoder".into()))
    }
}

fn verdicts(dir: &PathBuf, codec: &dyn Codec, lenient: bool) -> Vec<(Status, String)> {
    let report = check(
        dir,
        codec,
        &Options {
            lenient_errors: lenient,
        },
    )
    .unwrap();
    report
        .verdicts
        .iter()
        .map(|v| (v.status, v.message.clone()))
        .collect()
}

fn obj(text: &str) -> Json {
    Json::parse(text).unwrap()
}

#[test]
fn a_valid_case_passes_only_with_equal_fields() {
    let dir = vectors("outer_header", &case("valid", r#","fields":{"value":"5","n":3}"#));
    let same = Fixed(
        Outcome::Valid(Json::object([("n", 3u8.into()), ("value", "5".into())])),
        None,
    );
    assert_eq!(verdicts(&dir, &same, false)[0].0, Status::Pass);
    let other = Fixed(Outcome::Valid(obj(r#"{"value":5,"n":3}"#)), None);
    assert_eq!(
        verdicts(&dir, &other, false)[0],
        (
            Status::Fail,
            r#"fields differ at "value": expected "5", got 5"#.into()
        )
    );
}

#[test]
fn a_missing_field_or_a_non_object_is_named_in_the_message() {
    let dir = vectors("outer_header", &case("valid", r#","fields":{"value":"5","n":3}"#));
    let missing = Fixed(Outcome::Valid(obj(r#"{"n":3}"#)), None);
    assert_eq!(
        verdicts(&dir, &missing, false)[0].1,
        r#"fields differ at "value": expected "5", got (absent)"#
    );
    let array = Fixed(Outcome::Valid(obj("[]")), None);
    assert_eq!(
        verdicts(&dir, &array, false)[0].1,
        r#"fields differ: expected {"n":3,"value":"5"}, got []"#
    );
}

#[test]
fn a_wrong_error_class_fails_unless_errors_are_lenient() {
    let dir = vectors("outer_header", &case("invalid", r#","error":"HeaderBadMagic""#));
    let codec = Fixed(Outcome::Invalid("HeaderBadKind".into()), None);
    assert_eq!(
        verdicts(&dir, &codec, false)[0],
        (
            Status::Fail,
            "rejected with HeaderBadKind, expected HeaderBadMagic".into()
        )
    );
    assert_eq!(verdicts(&dir, &codec, true)[0].0, Status::Pass);
}

#[test]
fn an_acceptable_case_passes_either_way_but_an_acceptance_needs_the_fields() {
    let dir = vectors("outer_header", &case("acceptable", r#","fields":{"a":1}"#));
    assert_eq!(
        verdicts(&dir, &Fixed(Outcome::Invalid("X".into()), None), false)[0].0,
        Status::Pass
    );
    assert_eq!(
        verdicts(&dir, &Fixed(Outcome::Valid(obj(r#"{"a":1}"#)), None), false)[0].0,
        Status::Pass
    );
    assert_eq!(
        verdicts(&dir, &Fixed(Outcome::Valid(obj(r#"{"a":2}"#)), None), false)[0].0,
        Status::Fail
    );
}

#[test]
fn unsupported_answers_and_a_missing_encoder_are_skips_never_passes() {
    let dir = vectors(
        "outer_header",
        r#"[{"id":1,"name":"c","requirements":["ENV-HDR-001"],"comment":"c","result":"valid","flags":["Canonical"],"hex":"00","fields":{}}]"#,
    );
    assert_eq!(
        verdicts(&dir, &Fixed(Outcome::Unsupported("not yet".into()), None), false),
        vec![
            (Status::Skip, "not yet".into()),
            (Status::Skip, "the codec has no encoder".into())
        ]
    );
}

#[test]
fn a_panic_in_the_decoder_is_a_fail_naming_it() {
    struct Boom;
    impl Codec for Boom {
        fn decode(&self, _: &Case) -> Outcome {
            panic!("offset 40")
        }
    }
    let dir = vectors("outer_header", &case("invalid", r#","error":"E""#));
    assert_eq!(
        verdicts(&dir, &Boom, false)[0],
        (Status::Fail, "decode panicked: offset 40".into())
    );
}

#[test]
fn an_encoder_must_give_back_the_canonical_bytes() {
    let dir = vectors(
        "outer_header",
        r#"[{"id":1,"name":"c","requirements":["ENV-HDR-001"],"comment":"c","result":"valid","flags":["Canonical"],"hex":"0102","fields":{}}]"#,
    );
    let wrong = Fixed(Outcome::Valid(obj("{}")), Some(Outcome::Encoded(vec![1, 3])));
    assert_eq!(
        verdicts(&dir, &wrong, false)[1],
        (Status::Fail, "encoded 0103, expected 0102".into())
    );
    let report = check(&dir, &wrong, &Options::default()).unwrap();
    assert_eq!(report.verdicts[1].key(), "outer_header/1-c.encode");
    let right = Fixed(Outcome::Valid(obj("{}")), Some(Outcome::Encoded(vec![1, 2])));
    assert_eq!(verdicts(&dir, &right, false)[1].0, Status::Pass);
}

#[test]
fn a_decide_rejection_packet_is_compared_with_the_canonical_one() {
    let packet = rejection_packet("AuthFailed").unwrap();
    let text: String = packet.iter().map(|b| format!("{:02x}", b)).collect();
    assert_eq!(
        text,
        format!(
            "4350494e01002000030000000200020030000000010000000000000000000000{}{}",
            "01",
            "00".repeat(47)
        )
    );
    let dir = vectors(
        "handshake_decide",
        &case("invalid", r#","error":"StatusAuthFailed""#),
    );
    let good = Outcome::Rejected {
        error: "StatusAuthFailed".into(),
        packet,
    };
    assert_eq!(verdicts(&dir, &Fixed(good, None), false)[0].0, Status::Pass);
    let bad = Outcome::Rejected {
        error: "StatusAuthFailed".into(),
        packet: rejection_packet("Incompatible").unwrap(),
    };
    assert_eq!(verdicts(&dir, &Fixed(bad, None), false)[0].0, Status::Fail);
}

#[test]
fn unreadable_vectors_are_an_error_naming_the_file() {
    assert_eq!(
        load("/nonexistent/vectors").unwrap_err().0,
        "/nonexistent/vectors: not a directory"
    );
    let empty = vectors("x", &case("invalid", r#","error":"E""#));
    std::fs::remove_file(empty.join("x.json")).unwrap();
    assert!(load(&empty).unwrap_err().0.ends_with("no *.json vector files"));
    let bad = vectors("x", &case("invalid", r#","error":"E""#));
    std::fs::write(bad.join("x.json"), "{ nope").unwrap();
    let e = load(&bad).unwrap_err().0;
    assert!(
        e.ends_with("x.json: cannot read: line 1 column 3: expected a string key"),
        "{}",
        e
    );
    let e = load(vectors("x", &case("valid", ""))).unwrap_err().0;
    assert!(e.ends_with("x.json: case 1: a valid case needs fields"), "{}", e);
    let e = load(vectors(
        "x",
        &case("invalid", r#","error":"E","hex":"zz""#).replace(r#""hex":"00","#, ""),
    ))
    .unwrap_err()
    .0;
    assert!(e.ends_with("case 1: hex: not lower-case hex pairs"), "{}", e);
    let newer = vectors("x", &case("invalid", r#","error":"E""#));
    std::fs::write(
        newer.join("x.json"),
        r#"{"schema_version":2,"family":"x","cases":[]}"#,
    )
    .unwrap();
    assert!(load(&newer)
        .unwrap_err()
        .0
        .ends_with("schema_version 2, this harness reads 1"));
}

#[test]
fn the_real_vectors_load_with_every_case() {
    let cases = load(vectors_dir()).unwrap();
    let first = |f: &str| cases.iter().find(|c| c.family == f).unwrap();
    assert!(first("chunked_message")
        .packets
        .as_ref()
        .is_some_and(|p| !p.is_empty()));
    let names = first("windows_names");
    assert!(names.bytes.is_none() && names.packets.is_none() && names.op == "names");
    assert_eq!(first("outer_header").bytes.as_ref().unwrap().len(), 32);
    // Cross-check the hand-written reader against a plain count of case objects.
    let total: usize = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        // Session vectors (input "steps") are read past: they are conversations, not cases.
        .filter(|text| !text.contains("\"input\": \"steps\""))
        .map(|text| text.matches("\n      \"id\": ").count())
        .sum();
    assert_eq!(cases.len(), total);
}
