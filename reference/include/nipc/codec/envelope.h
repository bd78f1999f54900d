// Envelope rules that sit above the header decode: directional limits (spec/envelope.md).
#ifndef NIPC_CODEC_ENVELOPE_H_
#define NIPC_CODEC_ENVELOPE_H_

#include <cstdint>

#include "nipc/codec/header.h"
#include "nipc/codec/result.h"

namespace nipc {

/// The negotiated limits for one direction of a session (requests or responses): the values
/// the HELLO_ACK agreed, not configuration defaults (a 0 here really means "nothing allowed").
struct DirectionLimits {
  std::uint32_t max_payload_bytes = 0;
  std::uint32_t max_batch_items = 0;
  friend bool operator==(const DirectionLimits&, const DirectionLimits&) = default;
};

/// Receiver-side check of a decoded header against the limits of the receiver's direction:
/// payload_len (kPayloadOverLimit, ENV-LIMIT-001) then item_count (kItemCountOverLimit,
/// ENV-LIMIT-002). item_count 0 passes.
Result<void> check_inbound_limits(const Header& header, const DirectionLimits& limits) noexcept;

/// Sender-side check before anything is sent: payload_len (kOutboundPayloadOverLimit,
/// ENV-LIMIT-003) then item_count (kOutboundItemCountOverLimit, ENV-LIMIT-004) against the
/// limits of the sender's direction. On failure nothing may be sent.
Result<void> check_outbound_limits(std::uint32_t payload_len, std::uint32_t item_count,
                                   const DirectionLimits& limits) noexcept;

}  // namespace nipc

#endif  // NIPC_CODEC_ENVELOPE_H_
