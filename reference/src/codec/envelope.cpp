#include "nipc/codec/envelope.h"

namespace nipc {

Result<void> check_inbound_limits(const Header& header, const DirectionLimits& limits) noexcept {
  // ENV-LIMIT-001: judged on the header alone, before any payload byte is read.
  if (header.payload_len > limits.max_payload_bytes)
    return Error::kPayloadOverLimit;
  // ENV-LIMIT-002: only an upper bound; item_count 0 (an empty batch) passes.
  if (header.item_count > limits.max_batch_items)
    return Error::kItemCountOverLimit;
  return {};
}

Result<void> check_outbound_limits(std::uint32_t payload_len, std::uint32_t item_count,
                                   const DirectionLimits& limits) noexcept {
  // ENV-LIMIT-003
  if (payload_len > limits.max_payload_bytes)
    return Error::kOutboundPayloadOverLimit;
  // ENV-LIMIT-004
  if (item_count > limits.max_batch_items) return Error::kOutboundItemCountOverLimit;
  return {};
}

}  // namespace nipc
