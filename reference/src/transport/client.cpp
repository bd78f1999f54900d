#include "nipc/transport/client.h"

#include <thread>

#include "nipc/transport/platform.h"

namespace nipc {
namespace {

constexpr auto kAttachRetry = std::chrono::milliseconds(5);

}  // namespace

Hello make_hello(const ClientConfig& c, std::uint32_t native_packet_size) noexcept {
  Hello h;
  h.supported_profiles = c.supported_profiles & ~profile::kShmWaitAddr;
  if (h.supported_profiles == 0) h.supported_profiles = profile::kBaseline;
  h.preferred_profiles = c.preferred_profiles & ~profile::kShmWaitAddr;
  h.max_request_payload_bytes =
      c.max_request_payload_bytes ? c.max_request_payload_bytes : kDefaultPayloadLimit;
  h.max_request_batch_items = c.max_request_batch_items ? c.max_request_batch_items : kDefaultBatchItems;
  h.max_response_payload_bytes =
      c.max_response_payload_bytes ? c.max_response_payload_bytes : kDefaultPayloadLimit;
  h.max_response_batch_items = h.max_request_batch_items;
  h.auth_token = c.auth_token;
  h.packet_size = c.packet_size ? c.packet_size : native_packet_size;
  return h;
}

TransportResult<std::unique_ptr<ClientSession>> Client::connect() {
  for (;;) {
    auto channel = platform::connect(config_.run_dir, config_.service);
    if (!channel) return channel.error();
    Hello hello = make_hello(config_, (*channel)->native_packet_size());
    auto ack = client_handshake(**channel, hello,
                                Deadline::after_ms(config_.handshake_timeout_ms));
    if (!ack) return ack.error();
    if ((ack->selected_profile & kShmProfiles) == 0) {
      auto link = std::make_unique<PacketLink>(std::move(*channel), ack->agreed_packet_size,
                                               response_limits(*ack));
      return std::make_unique<ClientSession>(std::move(link), hello, *ack);
    }
    platform::RegionKey key{config_.run_dir, config_.service, config_.auth_token,
                           ack->selected_profile, ack->session_id};
    auto region = platform::attach_region(key);
    Deadline until = Deadline::after_ms(config_.attach_timeout_ms);
    while (!region && platform::attach_retryable(region.error()) && !until.expired()) {
      std::this_thread::sleep_for(kAttachRetry);
      region = platform::attach_region(key);
    }
    if (region) {
      auto link = (*region)->into_link(std::move(*channel), false, response_limits(*ack));
      return std::make_unique<ClientSession>(std::move(link), hello, *ack);
    }
    // No same-session fallback: close, forget SHM for this context's life, handshake again.
    attach_error_ = region.error();
    ++attach_failures_;
    config_.supported_profiles &= ~kShmProfiles;
    config_.preferred_profiles &= ~kShmProfiles;
    if (config_.supported_profiles == 0) return TransportError::of(TransportErrorKind::kNotSupported);
  }
}

}  // namespace nipc
