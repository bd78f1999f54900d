//! Deterministic request contents and expected answers per service kind, and the suite's
//! snapshot generator (SHIM-SNAP-001: item i depends only on (seed, i)).

use netipc::protocol::{
    increment_decode, increment_encode, string_reverse_decode, string_reverse_encode,
    CgroupsRequest, CgroupsResponseView, INCREMENT_PAYLOAD_SIZE, METHOD_CGROUPS_SNAPSHOT,
    METHOD_INCREMENT, METHOD_STRING_REVERSE, STRING_REVERSE_HDR_SIZE,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Increment,
    StringReverse,
    Snapshot,
    Echo,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "increment" => Some(Kind::Increment),
            "string-reverse" => Some(Kind::StringReverse),
            "cgroups-snapshot" => Some(Kind::Snapshot),
            "echo" => Some(Kind::Echo),
            _ => None,
        }
    }
}

/// SplitMix64 as the suite's generator defines it.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    fn between(&mut self, lo: u64, hi: u64) -> usize {
        (lo + self.next() % (hi - lo + 1)) as usize
    }
}

const HEADER_STREAM: u64 = 0x6e69706320686472;
const ITEM_STREAM: u64 = 0x6e69706320697465;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapItem {
    pub hash: u32,
    pub options: u32,
    pub enabled: u32,
    pub name: Vec<u8>,
    pub path: Vec<u8>,
}

pub struct Snapshot {
    pub systemd_enabled: u32,
    pub generation: u64,
    pub items: Vec<SnapItem>,
}

fn random_bytes(rng: &mut SplitMix64, len: usize) -> Vec<u8> {
    (0..len).map(|_| (1 + rng.next() % 255) as u8).collect()
}

fn make_item(seed: u64, index: u64) -> SnapItem {
    let mut rng = SplitMix64(SplitMix64(seed ^ ITEM_STREAM).next().wrapping_add(index));
    rng.next();
    let hash = rng.next() as u32;
    let options = rng.next() as u32;
    let e = rng.next();
    let enabled = if e % 8 == 0 { (e >> 32) as u32 } else { ((e >> 3) & 1) as u32 };
    if index == 3 {
        let name: Vec<u8> = (1..=255u8).collect();
        let path: Vec<u8> = name.iter().rev().copied().collect();
        return SnapItem { hash, options, enabled, name, path };
    }
    let name_len = match index % 7 {
        0 => 0,
        1 => 1,
        6 => rng.between(200, 1023),
        _ => rng.between(1, 48),
    };
    let name = random_bytes(&mut rng, name_len);
    let path_len = match index % 5 {
        0 => 0,
        4 => rng.between(256, 2047),
        _ => rng.between(1, 96),
    };
    let path = random_bytes(&mut rng, path_len);
    SnapItem { hash, options, enabled, name, path }
}

pub fn generate_snapshot(seed: u64, k: u32) -> Snapshot {
    let mut rng = SplitMix64(seed ^ HEADER_STREAM);
    let systemd_enabled = (rng.next() & 1) as u32;
    let generation = rng.next();
    Snapshot { systemd_enabled, generation, items: (0..k as u64).map(|i| make_item(seed, i)).collect() }
}

/// What a client sends and how it checks the answer, for one service kind.
pub struct Workload {
    pub kind: Kind,
    pub method: u16,
    snapshot: Option<Snapshot>,
}

fn increment_value(i: u64) -> u64 {
    if i == 0 { u64::MAX } else { i.wrapping_mul(0x9e3779b97f4a7c15) }
}

/// Bytes for request i: letters, with interior NUL bytes at some indexes.
fn pattern(i: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|k| if i % 5 == 1 && k % 7 == 3 { 0 } else { b'a' + ((i as usize + k * 7) % 26) as u8 })
        .collect()
}

fn echo_bytes(i: u64, size: usize) -> Vec<u8> {
    let len = if size == 0 { (i % 64) as usize + 1 } else { size };
    (0..len).map(|k| ((i as usize * 131 + k * 17) >> 1) as u8).collect()
}

fn reverse_len(i: u64, size: usize) -> usize {
    if size == 0 { (i % 40) as usize } else { size.saturating_sub(STRING_REVERSE_HDR_SIZE + 1) }
}

impl Workload {
    pub fn new(kind: Kind, echo_method: u16, items: u32, seed: u64) -> Workload {
        let method = match kind {
            Kind::Increment => METHOD_INCREMENT,
            Kind::StringReverse => METHOD_STRING_REVERSE,
            Kind::Snapshot => METHOD_CGROUPS_SNAPSHOT,
            Kind::Echo => echo_method,
        };
        let snapshot = if kind == Kind::Snapshot { Some(generate_snapshot(seed, items)) } else { None };
        Workload { kind, method, snapshot }
    }

    /// The payload of request `i`; `size` != 0 asks for a payload of about that many bytes
    /// (None: this kind has fixed-size requests).
    pub fn request(&self, i: u64, size: usize) -> Option<Vec<u8>> {
        match self.kind {
            Kind::Increment => {
                if size != 0 {
                    return None;
                }
                let mut b = vec![0u8; INCREMENT_PAYLOAD_SIZE];
                let n = increment_encode(increment_value(i), &mut b);
                b.truncate(n);
                Some(b)
            }
            Kind::StringReverse => {
                let s = pattern(i, reverse_len(i, size));
                let mut b = vec![0u8; STRING_REVERSE_HDR_SIZE + s.len() + 1 + 8];
                let n = string_reverse_encode(&s, &mut b);
                if n == 0 {
                    return None;
                }
                b.truncate(n);
                Some(b)
            }
            Kind::Snapshot => {
                if size != 0 {
                    return None;
                }
                let mut b = vec![0u8; 4];
                let n = CgroupsRequest { layout_version: 1, flags: 0 }.encode(&mut b);
                b.truncate(n);
                Some(b)
            }
            Kind::Echo => Some(echo_bytes(i, size)),
        }
    }

    /// Checks the response payload of request `i`; Err says what differed.
    pub fn verify(&self, i: u64, size: usize, resp: &[u8]) -> Result<(), String> {
        match self.kind {
            Kind::Increment => {
                let v = increment_decode(resp).map_err(|e| format!("INCREMENT response: {e}"))?;
                let want = increment_value(i).wrapping_add(1);
                if resp.len() != INCREMENT_PAYLOAD_SIZE || v != want {
                    return Err(format!("INCREMENT answer {v}, expected {want}"));
                }
                Ok(())
            }
            Kind::StringReverse => {
                let v = string_reverse_decode(resp).map_err(|e| format!("STRING_REVERSE response: {e}"))?;
                let mut want = pattern(i, reverse_len(i, size));
                want.reverse();
                let got = v.str_data;
                if got != &want[..] {
                    return Err(format!("STRING_REVERSE answer of {} bytes differs", got.len()));
                }
                Ok(())
            }
            Kind::Snapshot => {
                let want = self.snapshot.as_ref().expect("snapshot workload");
                let v = CgroupsResponseView::decode(resp).map_err(|e| format!("snapshot response: {e}"))?;
                if v.item_count as usize != want.items.len()
                    || v.systemd_enabled != want.systemd_enabled
                    || v.generation != want.generation
                {
                    return Err("snapshot header differs from the generator".into());
                }
                for (k, w) in want.items.iter().enumerate() {
                    let it = v.item(k as u32).map_err(|e| format!("snapshot item {k}: {e}"))?;
                    if it.hash != w.hash
                        || it.options != w.options
                        || it.enabled != w.enabled
                        || it.name.as_bytes() != &w.name[..]
                        || it.path.as_bytes() != &w.path[..]
                    {
                        return Err(format!("snapshot item {k} differs from the generator"));
                    }
                }
                Ok(())
            }
            Kind::Echo => {
                if resp != &echo_bytes(i, size)[..] {
                    return Err("echo answer differs from the request".into());
                }
                Ok(())
            }
        }
    }
}

