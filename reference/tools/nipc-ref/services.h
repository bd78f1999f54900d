// The typed services nipc-ref serves, and the matching client workloads that build requests
// and verify every response.
#ifndef NIPC_TOOLS_NIPC_REF_SERVICES_H_
#define NIPC_TOOLS_NIPC_REF_SERVICES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nipc/transport/server.h"

namespace nipc::ref {

enum class ServiceKind { kIncrement, kStringReverse, kCgroupsSnapshot, kEcho, kCgroupsLookup, kAppsLookup };

std::optional<ServiceKind> parse_service_kind(std::string_view name);
std::string_view service_kind_name(ServiceKind kind);

/// Options shared by a server and the clients that verify it.
struct ServiceOptions {
  ServiceKind kind = ServiceKind::kIncrement;
  std::uint16_t echo_method = 1;       // the method code an echo endpoint serves
  std::uint32_t snapshot_items = 16;   // K
  std::uint64_t snapshot_seed = 1;
  std::uint32_t lookup_keys = 8;       // keys per lookup request (cgroups-lookup, apps-lookup)
  std::uint64_t lookup_seed = 1;       // the lookup generators' seed
};

/// The method code the endpoint serves.
std::uint16_t service_method(const ServiceOptions& options);

/// The server side: one typed handler per kind.
std::shared_ptr<Service> make_service(const ServiceOptions& options);

/// The client side: request payloads and their verification. Deterministic per index.
class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::uint16_t method() const = 0;
  /// The request payload for item `index`; `size` asks for a payload of about that many bytes
  /// (0: the kind's small default). Empty optional: the kind cannot make such a request.
  virtual std::optional<std::vector<std::uint8_t>> request(std::uint64_t index,
                                                           std::size_t size) const = 0;
  /// True when `response` is the correct answer to request(index, size).
  virtual bool verify(std::uint64_t index, std::size_t size, ConstBytes response) const = 0;
};

std::unique_ptr<Workload> make_workload(const ServiceOptions& options);

}  // namespace nipc::ref

#endif  // NIPC_TOOLS_NIPC_REF_SERVICES_H_
