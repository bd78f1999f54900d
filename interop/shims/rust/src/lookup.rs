//! The lookup families (spec/lookup.md) through the crate's public lookup decoders, for crate
//! revisions that have them. The crate reports the rules with a few generic errors; each is
//! named by the class of the first rule that can raise it, so these families are judged with
//! --lenient-errors.

use crate::json::Json;

#[cfg(feature = "crate-0d17a9d")]
pub const FAMILIES: &[&str] =
    &["cgroups_lookup_request", "cgroups_lookup_response", "apps_lookup_request", "apps_lookup_response"];

/// The seed-era crate has no lookup methods: no lookup family is offered.
#[cfg(not(feature = "crate-0d17a9d"))]
pub const FAMILIES: &[&str] = &[];

#[cfg(not(feature = "crate-0d17a9d"))]
pub fn decode(_family: &str, _b: &[u8]) -> Result<Json, &'static str> {
    Err("LookupBadLayout")
}

#[cfg(feature = "crate-0d17a9d")]
pub use with_lookup::decode;

#[cfg(feature = "crate-0d17a9d")]
mod with_lookup {
    use crate::json::{hex, Json};
    use netipc::protocol::{
        AppsLookupRequestView, AppsLookupResponseView, CgroupsLookupRequestView, CgroupsLookupResponseView,
        LookupLabelView, NipcError,
    };

    fn class(e: NipcError, n: usize, request: bool) -> &'static str {
        match e {
            NipcError::Truncated if n < 16 => "LookupTruncated",
            NipcError::Truncated | NipcError::BadItemCount => "LookupDirectoryTruncated",
            NipcError::BadAlignment => "LookupMisalignedOffset",
            NipcError::OutOfBounds => "LookupEntryOutOfBounds",
            NipcError::MissingNul if request => "CgroupsKeyMissingNul",
            NipcError::MissingNul => "LookupStringMissingNul",
            _ => "LookupBadLayout",
        }
    }

    fn labels<'a>(
        count: u16,
        get: impl Fn(u32) -> Result<LookupLabelView<'a>, NipcError>,
        n: usize,
    ) -> Result<Json, &'static str> {
        let mut out = Vec::new();
        for k in 0..u32::from(count) {
            let l = get(k).map_err(|e| class(e, n, false))?;
            let mut j = Json::obj();
            j.set("key_hex", hex(l.key.as_bytes()));
            j.set("value_hex", hex(l.value.as_bytes()));
            out.push(j);
        }
        Ok(Json::Arr(out))
    }

    pub fn decode(family: &str, b: &[u8]) -> Result<Json, &'static str> {
        let n = b.len();
        let mut f = Json::obj();
        match family {
            "cgroups_lookup_request" => {
                let v = CgroupsLookupRequestView::decode(b).map_err(|e| class(e, n, true))?;
                let mut paths = Vec::new();
                for i in 0..v.item_count {
                    paths.push(Json::from(hex(v.item(i).map_err(|e| class(e, n, true))?.as_bytes())));
                }
                f.set("paths_hex", Json::Arr(paths));
            }
            "apps_lookup_request" => {
                let v = AppsLookupRequestView::decode(b).map_err(|e| class(e, n, true))?;
                let mut pids = Vec::new();
                for i in 0..v.item_count {
                    pids.push(Json::from(v.item(i).map_err(|e| class(e, n, true))?));
                }
                f.set("pids", Json::Arr(pids));
            }
            "cgroups_lookup_response" => {
                let v = CgroupsLookupResponseView::decode(b).map_err(|e| class(e, n, false))?;
                let mut items = Vec::new();
                for i in 0..v.item_count {
                    let it = v.item(i).map_err(|e| class(e, n, false))?;
                    let mut j = Json::obj();
                    j.set("status", it.status);
                    j.set("orchestrator", it.orchestrator);
                    j.set("path_hex", hex(it.path.as_bytes()));
                    j.set("name_hex", hex(it.name.as_bytes()));
                    j.set("labels", labels(it.label_count, |k| it.label(k), n)?);
                    items.push(j);
                }
                f.set("generation", v.generation.to_string());
                f.set("items", Json::Arr(items));
            }
            _ => {
                let v = AppsLookupResponseView::decode(b).map_err(|e| class(e, n, false))?;
                let mut items = Vec::new();
                for i in 0..v.item_count {
                    let it = v.item(i).map_err(|e| class(e, n, false))?;
                    let mut j = Json::obj();
                    j.set("status", it.status);
                    j.set("orchestrator", it.orchestrator);
                    j.set("cgroup_status", it.cgroup_status);
                    j.set("pid", it.pid);
                    j.set("ppid", it.ppid);
                    j.set("uid", it.uid);
                    j.set("starttime", it.starttime.to_string());
                    j.set("comm_hex", hex(it.comm.as_bytes()));
                    j.set("cgroup_path_hex", hex(it.cgroup_path.as_bytes()));
                    j.set("cgroup_name_hex", hex(it.cgroup_name.as_bytes()));
                    j.set("labels", labels(it.label_count, |k| it.label(k), n)?);
                    items.push(j);
                }
                f.set("generation", v.generation.to_string());
                f.set("items", Json::Arr(items));
            }
        }
        Ok(f)
    }
}
