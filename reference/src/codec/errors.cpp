#include "nipc/codec/errors.h"

#include <array>

namespace nipc {
namespace {

constexpr std::optional<TransportStatus> kNONE = std::nullopt;
constexpr std::optional<TransportStatus> kBAD_ENVELOPE = TransportStatus::kBadEnvelope;
constexpr std::optional<TransportStatus> kINCOMPATIBLE = TransportStatus::kIncompatible;
constexpr std::optional<TransportStatus> kLIMIT_EXCEEDED = TransportStatus::kLimitExceeded;

constexpr std::array kTable = {
#define NIPC_X_ROW(name, req, status, desc) ErrorInfo{Error::k##name, #name, req, k##status, desc},
    NIPC_CODEC_ERROR_TABLE(NIPC_X_ROW)
#undef NIPC_X_ROW
};

// The table is generated from the same list as the enum, so position i holds value i.
constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<std::size_t>(kTable[i].error) != i) return false;
  return true;
}
static_assert(table_in_enum_order());

}  // namespace

std::span<const ErrorInfo> error_table() noexcept { return kTable; }

const ErrorInfo& error_info(Error e) noexcept { return kTable[static_cast<std::size_t>(e)]; }

std::optional<Error> error_from_name(std::string_view name) noexcept {
  for (const ErrorInfo& row : kTable)
    if (row.name == name) return row.error;
  return std::nullopt;
}

}  // namespace nipc
