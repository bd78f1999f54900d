#include "nipc/transport/paths.h"

#include <cstdio>

namespace nipc {

bool is_valid_service_name(std::string_view name) noexcept {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

TransportResult<std::string> socket_path(std::string_view run_dir, std::string_view service) {
  if (!is_valid_service_name(service)) return TransportError::of(TransportErrorKind::kBadParameter);
  std::string path;
  path.reserve(run_dir.size() + service.size() + 6);
  path.append(run_dir).append("/").append(service).append(".sock");
  if (path.size() > kMaxSocketPathLen) return TransportError::of(TransportErrorKind::kPathTooLong);
  return path;
}

TransportResult<std::string> region_path(std::string_view run_dir, std::string_view service,
                                         std::uint64_t session_id) {
  if (!is_valid_service_name(service)) return TransportError::of(TransportErrorKind::kBadParameter);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(session_id));
  std::string path;
  path.append(run_dir).append("/").append(service).append("-").append(hex).append(".ipcshm");
  if (path.size() > kMaxRegionPathLen) return TransportError::of(TransportErrorKind::kPathTooLong);
  return path;
}

bool is_region_file_name(std::string_view file_name, std::string_view service) noexcept {
  constexpr std::string_view kSuffix = ".ipcshm";
  std::size_t prefix_len = service.size() + 1;
  if (file_name.size() <= prefix_len + kSuffix.size()) return false;
  return file_name.substr(0, service.size()) == service && file_name[service.size()] == '-' &&
         file_name.substr(file_name.size() - kSuffix.size()) == kSuffix;
}

}  // namespace nipc
