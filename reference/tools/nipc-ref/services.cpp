#include "services.h"

#include <algorithm>
#include <cstring>

#include "nipc/codec/cgroups_snapshot.h"
#include "common/lookup_json.h"
#include "nipc/testing/lookup_fixture.h"
#include "nipc/codec/increment.h"
#include "nipc/codec/lookup.h"
#include "nipc/testing/snapshot_fixture.h"
#include "nipc/codec/string_reverse.h"

namespace nipc::ref {
namespace {

// --- servers -------------------------------------------------------------------------------

class IncrementService final : public Service {
 public:
  std::uint16_t method() const override { return static_cast<std::uint16_t>(Method::kIncrement); }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    auto v = decode_increment(request);
    if (!v) return HandlerStatus::kBadRequest;
    out.resize(increment_encoded_size());
    return encode_increment(increment_answer(*v), MutableBytes(out)).ok() ? HandlerStatus::kOk
                                                                          : HandlerStatus::kFailed;
  }
};

class StringReverseService final : public Service {
 public:
  std::uint16_t method() const override {
    return static_cast<std::uint16_t>(Method::kStringReverse);
  }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    auto s = decode_string_reverse(request);
    if (!s) return HandlerStatus::kBadRequest;
    out.resize(string_reverse_encoded_size(s->size()));
    auto n = encode_string_reverse_answer(*s, MutableBytes(out));
    if (!n) return HandlerStatus::kFailed;
    out.resize(*n);
    return HandlerStatus::kOk;
  }
};

// Builds each answer with a SnapshotBuilder into the room the server grants, as a producer
// that cannot know the size in advance does: a snapshot that does not fit is a builder
// overflow (SVC-BUILDER-001), not a measured oversized response.
class SnapshotService final : public Service {
 public:
  SnapshotService(std::uint32_t k, std::uint64_t seed) : snap_(generate_snapshot(seed, k)) {}
  std::uint16_t method() const override {
    return static_cast<std::uint16_t>(Method::kCgroupsSnapshot);
  }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    return handle_bounded(request, out, std::size_t{1} << 31);
  }
  HandlerStatus handle_bounded(ConstBytes request, std::vector<std::uint8_t>& out,
                               std::size_t room) override {
    if (!decode_snapshot_request(request)) return HandlerStatus::kBadRequest;
    out.resize(room);
    SnapshotBuilder b(MutableBytes(out), snap_.items.size(), snap_.systemd_enabled,
                      snap_.generation);
    for (const auto& item : snap_.items) (void)b.add(item.view());
    auto n = b.finish();  // the first failure sticks, so one check covers every add()
    if (!n) {
      out.clear();
      return n.error() == Error::kBufferTooSmall ? HandlerStatus::kOverflow
                                                 : HandlerStatus::kFailed;
    }
    out.resize(*n);
    return HandlerStatus::kOk;
  }

 private:
  GeneratedSnapshot snap_;
};

// Lookup servers answer every key with the generator's item for it (spec/shim-contract.md,
// "Lookup generators"), one item per key in key order (LOOKUP-MSG-002), generation = seed.
class CgroupsLookupService final : public Service {
 public:
  explicit CgroupsLookupService(std::uint64_t seed) : seed_(seed) {}
  std::uint16_t method() const override { return static_cast<std::uint16_t>(Method::kCgroupsLookup); }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    auto view = CgroupsLookupRequestView::parse(request);
    if (!view) return HandlerStatus::kBadRequest;
    tools::OwnedCgroupsLookup answer{seed_, {}};
    for (std::uint32_t i = 0; i < view->size(); ++i) {
      answer.items.push_back(lookup_cgroup_answer(seed_, *view->path(i)));
    }
    return tools::encode_owned(answer, &out).ok() ? HandlerStatus::kOk : HandlerStatus::kFailed;
  }

 private:
  std::uint64_t seed_;
};

class AppsLookupService final : public Service {
 public:
  explicit AppsLookupService(std::uint64_t seed) : seed_(seed) {}
  std::uint16_t method() const override { return static_cast<std::uint16_t>(Method::kAppsLookup); }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    auto view = AppsLookupRequestView::parse(request);
    if (!view) return HandlerStatus::kBadRequest;
    tools::OwnedAppsLookup answer{seed_, {}};
    for (std::uint32_t i = 0; i < view->size(); ++i) {
      answer.items.push_back(lookup_pid_answer(seed_, *view->pid(i)));
    }
    return tools::encode_owned(answer, &out).ok() ? HandlerStatus::kOk : HandlerStatus::kFailed;
  }

 private:
  std::uint64_t seed_;
};

class EchoService final : public Service {
 public:
  explicit EchoService(std::uint16_t method) : method_(method) {}
  std::uint16_t method() const override { return method_; }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    out.assign(request.begin(), request.end());
    return HandlerStatus::kOk;
  }

 private:
  std::uint16_t method_;
};

// --- client workloads ----------------------------------------------------------------------

// A value for index i; index 0 is UINT64_MAX so the wrap to 0 is always exercised.
std::uint64_t increment_value(std::uint64_t i) {
  return i == 0 ? ~std::uint64_t{0} : i * 0x9e3779b97f4a7c15ull;
}

// Deterministic bytes for index i: includes an interior NUL every 7th byte at some indexes.
std::string pattern_string(std::uint64_t i, std::size_t len) {
  std::string s(len, '\0');
  for (std::size_t k = 0; k < len; ++k) {
    auto b = static_cast<unsigned char>('a' + (i + k * 7) % 26);
    if (i % 5 == 1 && k % 7 == 3) b = 0;
    s[k] = static_cast<char>(b);
  }
  return s;
}

class IncrementWorkload final : public Workload {
 public:
  std::uint16_t method() const override { return static_cast<std::uint16_t>(Method::kIncrement); }
  std::optional<std::vector<std::uint8_t>> request(std::uint64_t i, std::size_t size) const override {
    if (size != 0) return std::nullopt;  // fixed 8 bytes: no large messages
    std::vector<std::uint8_t> out(increment_encoded_size());
    (void)encode_increment(increment_value(i), MutableBytes(out));
    return out;
  }
  bool verify(std::uint64_t i, std::size_t, ConstBytes response) const override {
    auto v = decode_increment(response);
    return v && response.size() == 8 && *v == increment_answer(increment_value(i));
  }
};

class StringReverseWorkload final : public Workload {
 public:
  std::uint16_t method() const override {
    return static_cast<std::uint16_t>(Method::kStringReverse);
  }
  static std::size_t length(std::uint64_t i, std::size_t size) {
    return size == 0 ? static_cast<std::size_t>(i % 40) : (size > 9 ? size - 9 : 0);
  }
  std::optional<std::vector<std::uint8_t>> request(std::uint64_t i, std::size_t size) const override {
    std::string s = pattern_string(i, length(i, size));
    std::vector<std::uint8_t> out(string_reverse_encoded_size(s.size()));
    auto n = encode_string_reverse(s, MutableBytes(out));
    if (!n) return std::nullopt;
    out.resize(*n);
    return out;
  }
  bool verify(std::uint64_t i, std::size_t size, ConstBytes response) const override {
    auto s = decode_string_reverse(response);
    if (!s) return false;
    std::string want = pattern_string(i, length(i, size));
    std::reverse(want.begin(), want.end());
    return *s == want;
  }
};

class SnapshotWorkload final : public Workload {
 public:
  SnapshotWorkload(std::uint32_t k, std::uint64_t seed) : expected_(generate_snapshot(seed, k)) {}
  std::uint16_t method() const override {
    return static_cast<std::uint16_t>(Method::kCgroupsSnapshot);
  }
  std::optional<std::vector<std::uint8_t>> request(std::uint64_t, std::size_t size) const override {
    if (size != 0) return std::nullopt;
    std::vector<std::uint8_t> out(snapshot_request_encoded_size());
    (void)encode_snapshot_request(MutableBytes(out));
    return out;
  }
  bool verify(std::uint64_t, std::size_t, ConstBytes response) const override {
    auto view = SnapshotView::parse(response);
    if (!view || view->size() != expected_.items.size() ||
        view->systemd_enabled() != expected_.systemd_enabled ||
        view->generation() != expected_.generation)
      return false;
    for (std::uint32_t i = 0; i < view->size(); ++i) {
      auto item = view->item(i);
      if (!item || !(*item == expected_.items[i].view())) return false;
    }
    return true;
  }

 private:
  GeneratedSnapshot expected_;
};


bool same_labels(const LookupLabelList& got, const std::vector<tools::OwnedLabel>& want) {
  if (got.size() != want.size()) return false;
  for (std::size_t k = 0; k < want.size(); ++k) {
    if (got[k].key != want[k].key || got[k].value != want[k].value) return false;
  }
  return true;
}

class CgroupsLookupWorkload final : public Workload {
 public:
  CgroupsLookupWorkload(std::uint32_t keys, std::uint64_t seed) : keys_(keys), seed_(seed) {}
  std::uint16_t method() const override { return static_cast<std::uint16_t>(Method::kCgroupsLookup); }
  std::vector<std::string> keys(std::uint64_t r, std::size_t size) const {
    (void)size;
    std::vector<std::string> out;
    for (std::uint64_t j = 0; j < keys_; ++j) out.push_back(lookup_cgroup_key(r, j));
    return out;
  }
  std::optional<std::vector<std::uint8_t>> request(std::uint64_t r, std::size_t size) const override {
    if (size != 0) return std::nullopt;  // --lookup-keys keys, not a byte size
    std::vector<std::uint8_t> out;
    if (!tools::encode_owned(keys(r, size), &out)) return std::nullopt;
    return out;
  }
  bool verify(std::uint64_t r, std::size_t size, ConstBytes response) const override {
    const std::vector<std::string> want_keys = keys(r, size);
    auto view = CgroupsLookupResponseView::parse(response);
    if (!view || view->size() != want_keys.size() || view->generation() != seed_) return false;
    for (std::uint32_t i = 0; i < view->size(); ++i) {
      const auto got = view->item(i);
      const tools::OwnedCgroupsLookupItem want = lookup_cgroup_answer(seed_, want_keys[i]);
      if (!got || got->status != want.status || got->orchestrator != want.orchestrator ||
          got->path != want.path || got->name != want.name || !same_labels(got->labels, want.labels))
        return false;
    }
    return true;
  }

 private:
  std::uint32_t keys_;
  std::uint64_t seed_;
};

class AppsLookupWorkload final : public Workload {
 public:
  AppsLookupWorkload(std::uint32_t keys, std::uint64_t seed) : keys_(keys), seed_(seed) {}
  std::uint16_t method() const override { return static_cast<std::uint16_t>(Method::kAppsLookup); }
  std::vector<std::uint32_t> keys(std::uint64_t r, std::size_t size) const {
    (void)size;
    std::vector<std::uint32_t> out;
    for (std::uint64_t j = 0; j < keys_; ++j) out.push_back(lookup_pid_key(r, j, keys_));
    return out;
  }
  std::optional<std::vector<std::uint8_t>> request(std::uint64_t r, std::size_t size) const override {
    if (size != 0) return std::nullopt;  // --lookup-keys keys, not a byte size
    std::vector<std::uint8_t> out;
    if (!tools::encode_owned(keys(r, size), &out)) return std::nullopt;
    return out;
  }
  bool verify(std::uint64_t r, std::size_t size, ConstBytes response) const override {
    const std::vector<std::uint32_t> want_keys = keys(r, size);
    auto view = AppsLookupResponseView::parse(response);
    if (!view || view->size() != want_keys.size() || view->generation() != seed_) return false;
    for (std::uint32_t i = 0; i < view->size(); ++i) {
      const auto g = view->item(i);
      const tools::OwnedAppsLookupItem w = lookup_pid_answer(seed_, want_keys[i]);
      if (!g || g->status != w.status || g->orchestrator != w.orchestrator ||
          g->cgroup_status != w.cgroup_status || g->pid != w.pid || g->ppid != w.ppid ||
          g->uid != w.uid || g->starttime != w.starttime || g->comm != w.comm ||
          g->cgroup_path != w.cgroup_path || g->cgroup_name != w.cgroup_name ||
          !same_labels(g->labels, w.labels))
        return false;
    }
    return true;
  }

 private:
  std::uint32_t keys_;
  std::uint64_t seed_;
};

class EchoWorkload final : public Workload {
 public:
  explicit EchoWorkload(std::uint16_t method) : method_(method) {}
  std::uint16_t method() const override { return method_; }
  static std::vector<std::uint8_t> bytes(std::uint64_t i, std::size_t size) {
    std::size_t len = size == 0 ? static_cast<std::size_t>(i % 64) + 1 : size;
    std::vector<std::uint8_t> out(len);
    for (std::size_t k = 0; k < len; ++k) out[k] = static_cast<std::uint8_t>((i * 131 + k * 17) >> 1);
    return out;
  }
  std::optional<std::vector<std::uint8_t>> request(std::uint64_t i, std::size_t size) const override {
    return bytes(i, size);
  }
  bool verify(std::uint64_t i, std::size_t size, ConstBytes response) const override {
    auto want = bytes(i, size);
    return response.size() == want.size() &&
           std::equal(response.begin(), response.end(), want.begin());
  }

 private:
  std::uint16_t method_;
};

}  // namespace

std::optional<ServiceKind> parse_service_kind(std::string_view name) {
  if (name == "increment") return ServiceKind::kIncrement;
  if (name == "string-reverse") return ServiceKind::kStringReverse;
  if (name == "cgroups-snapshot") return ServiceKind::kCgroupsSnapshot;
  if (name == "echo") return ServiceKind::kEcho;
  if (name == "cgroups-lookup") return ServiceKind::kCgroupsLookup;
  if (name == "apps-lookup") return ServiceKind::kAppsLookup;
  return std::nullopt;
}

std::string_view service_kind_name(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::kIncrement: return "increment";
    case ServiceKind::kStringReverse: return "string-reverse";
    case ServiceKind::kCgroupsSnapshot: return "cgroups-snapshot";
    case ServiceKind::kEcho: return "echo";
    case ServiceKind::kCgroupsLookup: return "cgroups-lookup";
    case ServiceKind::kAppsLookup: return "apps-lookup";
  }
  return "?";
}

std::uint16_t service_method(const ServiceOptions& o) {
  switch (o.kind) {
    case ServiceKind::kIncrement: return static_cast<std::uint16_t>(Method::kIncrement);
    case ServiceKind::kStringReverse: return static_cast<std::uint16_t>(Method::kStringReverse);
    case ServiceKind::kCgroupsSnapshot: return static_cast<std::uint16_t>(Method::kCgroupsSnapshot);
    case ServiceKind::kEcho: return o.echo_method;
    case ServiceKind::kCgroupsLookup: return static_cast<std::uint16_t>(Method::kCgroupsLookup);
    case ServiceKind::kAppsLookup: return static_cast<std::uint16_t>(Method::kAppsLookup);
  }
  return 0;
}

std::shared_ptr<Service> make_service(const ServiceOptions& o) {
  switch (o.kind) {
    case ServiceKind::kIncrement: return std::make_shared<IncrementService>();
    case ServiceKind::kStringReverse: return std::make_shared<StringReverseService>();
    case ServiceKind::kCgroupsSnapshot:
      return std::make_shared<SnapshotService>(o.snapshot_items, o.snapshot_seed);
    case ServiceKind::kEcho: return std::make_shared<EchoService>(o.echo_method);
    case ServiceKind::kCgroupsLookup: return std::make_shared<CgroupsLookupService>(o.lookup_seed);
    case ServiceKind::kAppsLookup: return std::make_shared<AppsLookupService>(o.lookup_seed);
  }
  return nullptr;
}

std::unique_ptr<Workload> make_workload(const ServiceOptions& o) {
  switch (o.kind) {
    case ServiceKind::kIncrement: return std::make_unique<IncrementWorkload>();
    case ServiceKind::kStringReverse: return std::make_unique<StringReverseWorkload>();
    case ServiceKind::kCgroupsSnapshot:
      return std::make_unique<SnapshotWorkload>(o.snapshot_items, o.snapshot_seed);
    case ServiceKind::kEcho: return std::make_unique<EchoWorkload>(o.echo_method);
    case ServiceKind::kCgroupsLookup:
      return std::make_unique<CgroupsLookupWorkload>(o.lookup_keys, o.lookup_seed);
    case ServiceKind::kAppsLookup:
      return std::make_unique<AppsLookupWorkload>(o.lookup_keys, o.lookup_seed);
  }
  return nullptr;
}

}  // namespace nipc::ref
