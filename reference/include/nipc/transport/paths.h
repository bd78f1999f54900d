// Endpoint and region names derived from a run directory and a service name
// (spec/transport-uds.md, spec/transport-shm.md).
#ifndef NIPC_TRANSPORT_PATHS_H_
#define NIPC_TRANSPORT_PATHS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nipc/transport/error.h"

namespace nipc {

/// Longest socket path: sun_path holds 108 bytes including the terminating NUL.
inline constexpr std::size_t kMaxSocketPathLen = 107;
/// Longest region path the reference creates or attaches (upstream path buffers hold 256).
inline constexpr std::size_t kMaxRegionPathLen = 255;

/// True when `name` is a valid service name (UDS-NAME-001): non-empty, not "." or "..", and
/// every byte in [A-Za-z0-9._-]. Invalid names are refused, never rewritten.
bool is_valid_service_name(std::string_view name) noexcept;

/// run_dir + "/" + service + ".sock" (UDS-PATH-001), run_dir taken verbatim. kBadParameter for
/// an invalid service name, kPathTooLong above 107 bytes (UDS-SUN-001).
TransportResult<std::string> socket_path(std::string_view run_dir, std::string_view service);

/// run_dir + "/" + service + "-" + 16 lower-case hex digits of session_id + ".ipcshm"
/// (SHM-PATH-001). kBadParameter for an invalid service name, kPathTooLong above 255 bytes.
TransportResult<std::string> region_path(std::string_view run_dir, std::string_view service,
                                         std::uint64_t session_id);

/// True when `file_name` (no directory) names a region of `service`: it starts with
/// service + "-", ends with ".ipcshm" and has at least one byte between them (SHM-STALE-002).
bool is_region_file_name(std::string_view file_name, std::string_view service) noexcept;

}  // namespace nipc

#endif  // NIPC_TRANSPORT_PATHS_H_
