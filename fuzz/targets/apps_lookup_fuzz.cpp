// APPS_LOOKUP request and response decoders (spec/lookup.md). Input: one mode byte, then
// the payload; bit 0 of the mode byte clear: a request, set: a response.
//
// Oracles: an accepted payload exposes every key or item with string views inside the input,
// kBatchIndexOutOfRange past the end, and labels whose key is never empty; re-encoding its
// values canonically gives a payload that is accepted with the same values (LOOKUP-ENC-001,
// LOOKUP-APKEY-003) and is never longer than the input (decoders accept only gaps and
// trailing bytes beyond the canonical layout); a buffer one byte short is refused.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "nipc/codec/lookup.h"

namespace {

using nipc::ConstBytes;

bool inside(ConstBytes payload, std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  return p >= payload.data() && p + s.size() < payload.data() + payload.size() && p[s.size()] == 0;
}

void check_request(ConstBytes payload) {
  const auto view = nipc::AppsLookupRequestView::parse(payload);
  if (!view.ok()) return;
  std::vector<std::uint32_t> pids;
  for (std::uint32_t i = 0; i < view->size(); ++i) {
    const auto pid = view->pid(i);
    NIPC_FUZZ_CHECK(pid.ok());
    pids.push_back(*pid);
  }
  NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(view->pid(view->size()), nipc::Error::kBatchIndexOutOfRange));
  const std::uint64_t size = nipc::apps_lookup_request_encoded_size(pids.size());
  NIPC_FUZZ_CHECK(size <= payload.size());
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  NIPC_FUZZ_CHECK(nipc::encode_apps_lookup_request(pids, out).ok());
  const auto again = nipc::AppsLookupRequestView::parse(out);
  NIPC_FUZZ_CHECK(again.ok() && again->size() == view->size());
  for (std::uint32_t i = 0; i < again->size(); ++i) NIPC_FUZZ_CHECK(*again->pid(i) == pids[i]);
  std::vector<std::uint8_t> short_out(static_cast<std::size_t>(size - 1));
  NIPC_FUZZ_CHECK(!nipc::encode_apps_lookup_request(pids, short_out).ok());
}

void check_response(ConstBytes payload) {
  const auto view = nipc::AppsLookupResponseView::parse(payload);
  if (!view.ok()) return;
  std::vector<std::vector<nipc::LookupLabel>> labels(view->size());
  std::vector<nipc::AppsLookupItem> items;
  for (std::uint32_t i = 0; i < view->size(); ++i) {
    const auto it = view->item(i);
    NIPC_FUZZ_CHECK(it.ok() && it->status <= 3 && it->cgroup_status <= 3 && it->comm.size() <= 15);
    NIPC_FUZZ_CHECK(inside(payload, it->comm) && inside(payload, it->cgroup_path) &&
                    inside(payload, it->cgroup_name));
    for (std::size_t k = 0; k < it->labels.size(); ++k) {
      const nipc::LookupLabel l = it->labels[k];
      NIPC_FUZZ_CHECK(!l.key.empty() && inside(payload, l.key) && inside(payload, l.value));
      labels[i].push_back(l);
    }
    items.push_back({it->status, it->orchestrator, it->cgroup_status, it->pid, it->ppid, it->uid,
                     it->starttime, it->comm, it->cgroup_path, it->cgroup_name, labels[i]});
  }
  NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(view->item(view->size()), nipc::Error::kBatchIndexOutOfRange));
  const std::uint64_t size = nipc::apps_lookup_response_encoded_size(items);
  NIPC_FUZZ_CHECK(size <= payload.size());
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  NIPC_FUZZ_CHECK(nipc::encode_apps_lookup_response(view->generation(), items, out).ok());
  const auto again = nipc::AppsLookupResponseView::parse(out);
  NIPC_FUZZ_CHECK(again.ok() && again->size() == view->size() &&
                  again->generation() == view->generation());
  for (std::uint32_t i = 0; i < again->size(); ++i) {
    const auto a = again->item(i);
    const nipc::AppsLookupItem& w = items[i];
    NIPC_FUZZ_CHECK(a.ok() && a->status == w.status && a->orchestrator == w.orchestrator &&
                    a->cgroup_status == w.cgroup_status && a->pid == w.pid && a->ppid == w.ppid &&
                    a->uid == w.uid && a->starttime == w.starttime && a->comm == w.comm &&
                    a->cgroup_path == w.cgroup_path && a->cgroup_name == w.cgroup_name &&
                    a->labels.size() == labels[i].size());
    for (std::size_t k = 0; k < labels[i].size(); ++k) NIPC_FUZZ_CHECK(a->labels[k] == labels[i][k]);
  }
  std::vector<std::uint8_t> short_out(static_cast<std::size_t>(size - 1));
  NIPC_FUZZ_CHECK(!nipc::encode_apps_lookup_response(view->generation(), items, short_out).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ConstBytes payload(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    check_request(payload);
  } else {
    check_response(payload);
  }
  return 0;
}
