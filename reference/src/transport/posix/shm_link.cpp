// Logical messages over a POSIX session region (spec/transport-shm.md).
#include <array>

#include "nipc/transport/shm.h"

namespace nipc {
namespace {

// While a shared-memory receive blocks: stop when the owner cancels or the peer hangs up
// (the connection carries no data once the region is in use, so hang-up is all it can say).
class ShmHooks final : public ShmWaitHooks {
 public:
  ShmHooks(PacketChannel& channel, const Canceller* cancel) : channel_(channel), cancel_(cancel) {}
  TransportResult<void> check() override {
    if (cancel_ && cancel_->cancelled()) return TransportError::of(TransportErrorKind::kCancelled);
    if (channel_.peer_hung_up()) return TransportError::of(TransportErrorKind::kPeerClosed);
    return {};
  }

 private:
  PacketChannel& channel_;
  const Canceller* cancel_;
};

}  // namespace

ShmLink::ShmLink(std::unique_ptr<PacketChannel> channel, std::unique_ptr<ShmRegion> region,
                 bool server_side, DirectionLimits inbound, SpinPolicy spin)
    : channel_(std::move(channel)),
      region_(std::move(region)),
      in_(server_side ? ShmDirection::kRequest : ShmDirection::kResponse),
      out_(server_side ? ShmDirection::kResponse : ShmDirection::kRequest),
      inbound_(inbound),
      spin_(spin),
      buffer_(region_->capacity(in_)) {}

TransportResult<void> ShmLink::send_message(const Header& header, ConstBytes payload) {
  auto head = encode_header(header);
  std::array<ConstBytes, 2> parts{ConstBytes(head), payload};
  return region_->publish(out_, parts);
}

TransportResult<InboundMessage> ShmLink::receive_message(Deadline deadline,
                                                         const Canceller* cancel) {
  ShmHooks hooks(*channel_, cancel);
  auto n = region_->consume(in_, buffer_, deadline, &spin_, &hooks);
  if (!n) return n.error();
  return accept_region_message(ConstBytes(buffer_.data(), *n), inbound_, last_header_);
}

}  // namespace nipc
