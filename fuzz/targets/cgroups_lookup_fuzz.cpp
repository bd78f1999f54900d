// CGROUPS_LOOKUP request and response decoders (spec/lookup.md). Input: one mode byte, then
// the payload; bit 0 of the mode byte clear: a request, set: a response.
//
// Oracles: an accepted payload exposes every key or item with string views inside the input,
// kBatchIndexOutOfRange past the end, and labels whose key is never empty; re-encoding its
// values canonically gives a payload that is accepted with the same values (LOOKUP-ENC-001,
// LOOKUP-CGKEY-004) and is never longer than the input (decoders accept only gaps and
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
  const auto view = nipc::CgroupsLookupRequestView::parse(payload);
  if (!view.ok()) return;
  std::vector<std::string_view> paths;
  for (std::uint32_t i = 0; i < view->size(); ++i) {
    const auto path = view->path(i);
    NIPC_FUZZ_CHECK(path.ok() && !path->empty() && inside(payload, *path));
    NIPC_FUZZ_CHECK(path->find('\0') == std::string_view::npos);
    paths.push_back(*path);
  }
  NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(view->path(view->size()), nipc::Error::kBatchIndexOutOfRange));
  const std::uint64_t size = nipc::cgroups_lookup_request_encoded_size(paths);
  NIPC_FUZZ_CHECK(size <= payload.size());
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  NIPC_FUZZ_CHECK(nipc::encode_cgroups_lookup_request(paths, out).ok());
  const auto again = nipc::CgroupsLookupRequestView::parse(out);
  NIPC_FUZZ_CHECK(again.ok() && again->size() == view->size());
  for (std::uint32_t i = 0; i < again->size(); ++i) NIPC_FUZZ_CHECK(*again->path(i) == paths[i]);
  if (size > 0) {
    std::vector<std::uint8_t> short_out(static_cast<std::size_t>(size - 1));
    NIPC_FUZZ_CHECK(!nipc::encode_cgroups_lookup_request(paths, short_out).ok());
  }
}

void check_response(ConstBytes payload) {
  const auto view = nipc::CgroupsLookupResponseView::parse(payload);
  if (!view.ok()) return;
  std::vector<std::vector<nipc::LookupLabel>> labels(view->size());
  std::vector<nipc::CgroupsLookupItem> items;
  for (std::uint32_t i = 0; i < view->size(); ++i) {
    const auto item = view->item(i);
    NIPC_FUZZ_CHECK(item.ok() && item->status <= 4 && !item->path.empty());
    NIPC_FUZZ_CHECK(inside(payload, item->path) && inside(payload, item->name));
    for (std::size_t k = 0; k < item->labels.size(); ++k) {
      const nipc::LookupLabel l = item->labels[k];
      NIPC_FUZZ_CHECK(!l.key.empty() && inside(payload, l.key) && inside(payload, l.value));
      labels[i].push_back(l);
    }
    items.push_back({item->status, item->orchestrator, item->path, item->name, labels[i]});
  }
  NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(view->item(view->size()), nipc::Error::kBatchIndexOutOfRange));
  const std::uint64_t size = nipc::cgroups_lookup_response_encoded_size(items);
  NIPC_FUZZ_CHECK(size <= payload.size());
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  NIPC_FUZZ_CHECK(nipc::encode_cgroups_lookup_response(view->generation(), items, out).ok());
  const auto again = nipc::CgroupsLookupResponseView::parse(out);
  NIPC_FUZZ_CHECK(again.ok() && again->size() == view->size() &&
                  again->generation() == view->generation());
  for (std::uint32_t i = 0; i < again->size(); ++i) {
    const auto a = again->item(i);
    NIPC_FUZZ_CHECK(a.ok() && a->status == items[i].status && a->orchestrator == items[i].orchestrator &&
                    a->path == items[i].path && a->name == items[i].name &&
                    a->labels.size() == labels[i].size());
    for (std::size_t k = 0; k < labels[i].size(); ++k) NIPC_FUZZ_CHECK(a->labels[k] == labels[i][k]);
  }
  std::vector<std::uint8_t> short_out(static_cast<std::size_t>(size - 1));
  NIPC_FUZZ_CHECK(!nipc::encode_cgroups_lookup_response(view->generation(), items, short_out).ok());
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
