#include "nipc/transport/error.h"

#include <array>
#include <cstring>

namespace nipc {
namespace {

constexpr std::array kTable = {
#define NIPC_X_ROW(name, req, desc) TransportErrorInfo{TransportErrorKind::k##name, #name, req, desc},
    NIPC_TRANSPORT_ERROR_TABLE(NIPC_X_ROW)
#undef NIPC_X_ROW
};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<std::size_t>(kTable[i].kind) != i) return false;
  return true;
}
static_assert(table_in_enum_order());

}  // namespace

std::span<const TransportErrorInfo> transport_error_table() noexcept { return kTable; }

const TransportErrorInfo& transport_error_info(TransportErrorKind kind) noexcept {
  return kTable[static_cast<std::size_t>(kind)];
}

std::string_view TransportError::requirement() const noexcept {
  if (rule) return error_info(*rule).requirement;
  return transport_error_info(kind).requirement;
}

std::string TransportError::describe() const {
  std::string out(transport_error_name(kind));
  if (rule) {
    out += "/";
    out += error_name(*rule);
  }
  if (sys_errno != 0) {
    out += "/";
#if defined(_WIN32)
    // sys_errno holds a Win32 error code (GetLastError()).
    out += "win32-" + std::to_string(sys_errno);
#else
    const char* name = strerrorname_np(sys_errno);
    out += name ? name : std::to_string(sys_errno);
#endif
  }
  std::string_view req = requirement();
  if (!req.empty()) {
    out += " (";
    out += req;
    out += ")";
  }
  return out;
}

}  // namespace nipc
