#include "nipc/transport/session.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "nipc/codec/batch.h"
#include "nipc/codec/hello.h"

namespace nipc {
namespace {

bool is_limit_rule(Error e) {
  return e == Error::kPayloadOverLimit || e == Error::kItemCountOverLimit ||
         e == Error::kOutboundPayloadOverLimit || e == Error::kOutboundItemCountOverLimit;
}


bool is_rejection(Error e) {
  return e == Error::kAckRejectedAuth || e == Error::kAckRejectedUnsupported ||
         e == Error::kAckRejectedIncompatible || e == Error::kAckRejectedLimit ||
         e == Error::kAckRejectedOther;
}

std::uint64_t since_ns(Deadline::Clock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Deadline::Clock::now() - t).count());
}

}  // namespace

TransportError rule_error(Error e) noexcept {
  return TransportError::with_rule(
      is_limit_rule(e) ? TransportErrorKind::kLimitExceeded : TransportErrorKind::kProtocol, e);
}

TransportResult<InboundMessage> accept_region_message(ConstBytes msg, DirectionLimits inbound,
                                                      std::optional<Header>& last_header) {
  auto h = decode_header(msg);
  if (!h) {
    last_header.reset();
    return TransportError::protocol(h.error());
  }
  last_header = *h;
  if (auto r = check_inbound_limits(*h, inbound); !r) return rule_error(r.error());
  // The published length is the whole message: header plus exactly payload_len bytes.
  if (msg.size() != header_layout::kSize + std::uint64_t{h->payload_len})
    return TransportError::of(TransportErrorKind::kShmBadLength);
  return InboundMessage{*h, msg.subspan(header_layout::kSize)};
}

DirectionLimits request_limits(const HelloAck& ack) noexcept {
  return {ack.agreed_max_request_payload_bytes, ack.agreed_max_request_batch_items};
}

DirectionLimits response_limits(const HelloAck& ack) noexcept {
  return {ack.agreed_max_response_payload_bytes, ack.agreed_max_response_batch_items};
}

// ---------------------------------------------------------------------------------------
// PacketLink

PacketLink::PacketLink(std::unique_ptr<PacketChannel> channel, std::uint32_t packet_size,
                       DirectionLimits inbound, SpinPolicy spin)
    : channel_(std::move(channel)),
      packet_size_(packet_size),
      inbound_(inbound),
      spin_(spin),
      // A first packet is never larger than the agreed packet size, and a packet above it is
      // refused, so P bytes hold any valid packet (CHUNK-RECVBUF-001).
      packet_(packet_size),
      payload_(inbound.max_payload_bytes),
      reassembler_(packet_size, inbound, MutableBytes(payload_)) {}

TransportResult<void> PacketLink::send_message(const Header& header, ConstBytes payload) {
  auto plan = plan_chunks(static_cast<std::uint32_t>(payload.size()), packet_size_);
  if (!plan) return rule_error(plan.error());
  const std::size_t budget = plan->budget;
  auto head = encode_header(header);
  // First packet: outer header and as much payload as fits (exactly P bytes when chunked).
  std::size_t first = payload.size() < budget ? payload.size() : budget;
  std::array<ConstBytes, 2> parts{ConstBytes(head), payload.first(first)};
  if (auto r = channel_->send_packet(parts); !r) return r;
  std::size_t sent = first;
  // Continuations, back to back: chunks of different messages never interleave because the
  // caller sends one message at a time (CHUNK-NOINTERLEAVE-001).
  for (std::uint32_t i = 1; i < plan->packet_count; ++i) {
    std::size_t n = payload.size() - sent < budget ? payload.size() - sent : budget;
    ChunkHeader ch;
    ch.message_id = header.message_id;
    ch.total_message_len = static_cast<std::uint32_t>(header_layout::kSize + payload.size());
    ch.chunk_index = i;
    ch.chunk_count = plan->packet_count;
    ch.chunk_payload_len = static_cast<std::uint32_t>(n);
    auto chunk_head = encode_chunk_header(ch);
    std::array<ConstBytes, 2> cparts{ConstBytes(chunk_head), payload.subspan(sent, n)};
    if (auto r = channel_->send_packet(cparts); !r) return r;
    sent += n;
  }
  if (plan->packet_count > 1) ++chunked_;
  return {};
}

TransportResult<std::size_t> PacketLink::next_packet(Deadline deadline, const Canceller* cancel,
                                                     bool spin) {
  // Continuations of a chunked message follow their first packet back to back: block for
  // them at once.
  if (!spin) return channel_->recv_packet(packet_, deadline, cancel);
  // A stream (the last packet was already queued when we looked: pipelined requests, or a
  // client reading responses to many) never spins: its throughput comes from each side
  // working through a queue, and on a loaded or small machine the sender often needs the very
  // core a spinner would hold. One non-blocking read, then block.
  const bool was_streaming = streaming_;
  streaming_ = false;
  const std::uint32_t budget = was_streaming ? 0 : spin_.next_budget_ns();
  if (budget == 0 && !was_streaming) {
    // Not spinning and no reason to expect a queued packet: block at once (one system call
    // for a blocking read; the channel still tries once before it waits on a canceller).
    return channel_->recv_packet(packet_, deadline, cancel);
  }
  // Adaptive spin: non-blocking reads for up to the budget, then a blocking wait. No
  // sched_yield(): on a busy machine it hands the core to whatever else is runnable for a
  // whole time slice; the bounded budget already gives the core back soon.
  auto start = Deadline::Clock::now();
  for (bool first = true;; first = false) {
    auto got = channel_->try_recv_packet(packet_);
    if (!got) return got.error();
    if (got->has_value()) {
      streaming_ = first;
      if (budget > 0) spin_.on_spin_hit(since_ns(start));
      return **got;
    }
    if (budget == 0 || since_ns(start) >= budget) break;
    sys::cpu_relax();
  }
  if (budget > 0) spin_.on_blocked();
  // The queue was just seen empty: straight to the blocking wait.
  return channel_->wait_packet(packet_, deadline, cancel);
}

TransportResult<InboundMessage> PacketLink::receive_message(Deadline deadline,
                                                            const Canceller* cancel) {
  // A receive that timed out mid-message resumes with the next continuation.
  if (!mid_message_) {
    auto n = next_packet(deadline, cancel, true);
    if (!n) return n.error();
    ConstBytes pkt(packet_.data(), *n);
    if (auto h = decode_header(pkt); h.ok()) last_header_ = *h;
    else last_header_.reset();
    auto progress = reassembler_.first(pkt);
    if (!progress) return rule_error(progress.error());
    if (*progress == Reassembler::Progress::kComplete)
      return InboundMessage{reassembler_.header(), reassembler_.payload()};
    mid_message_ = true;
  }
  for (;;) {
    auto n = next_packet(deadline, cancel, false);
    if (!n) return n.error();
    auto progress = reassembler_.next(ConstBytes(packet_.data(), *n));
    if (!progress) {
      mid_message_ = false;
      return rule_error(progress.error());
    }
    if (*progress == Reassembler::Progress::kComplete) {
      mid_message_ = false;
      ++chunked_;
      return InboundMessage{reassembler_.header(), reassembler_.payload()};
    }
  }
}

// ---------------------------------------------------------------------------------------
// Handshake

TransportResult<HelloAck> client_handshake(PacketChannel& channel, const Hello& hello,
                                           Deadline deadline) {
  auto pkt = encode_hello_packet(hello);
  std::array<ConstBytes, 1> parts{ConstBytes(pkt)};
  if (auto r = channel.send_packet(parts); !r) return r.error();
  std::array<std::uint8_t, kHandshakeReadSize> buf{};
  auto n = channel.recv_packet(buf, deadline, nullptr);
  if (!n) return n.error();
  auto ack = check_ack_packet(hello, ConstBytes(buf.data(), *n));
  if (!ack) {
    Error e = ack.error();
    return TransportError::with_rule(
        is_rejection(e) ? TransportErrorKind::kRejected : TransportErrorKind::kHandshakeFailed, e);
  }
  return *ack;
}

TransportResult<ServerHandshake> server_handshake(PacketChannel& channel, ServerPolicy policy,
                                                  Deadline deadline, const Canceller* cancel,
                                                  const RegionPreparer& prepare) {
  std::array<std::uint8_t, kHandshakeReadSize> buf{};
  auto n = channel.recv_packet(buf, deadline, cancel);
  if (!n) return n.error();
  ConstBytes pkt(buf.data(), *n);
  FirstPacketVerdict verdict = decide_first_packet(pkt, policy);
  if (!verdict.reply) {
    // Not a recognisable HELLO: close without answering (HS-NOTHELLO-001).
    TransportError e = TransportError::of(TransportErrorKind::kHandshakeFailed);
    e.rule = verdict.cause;
    return e;
  }
  ServerHandshake out{Hello{}, *verdict.reply};
  if (out.decision.status == TransportStatus::kOk) {
    out.hello = *decode_hello(pkt.subspan(header_layout::kSize));
    if ((out.decision.ack.selected_profile & kShmProfiles) != 0 &&
        !(prepare && prepare(out.decision.ack))) {
      // The region could not be made: offer only what this session can have (PROF-OFFER-001).
      policy.supported_profiles &= ~kShmProfiles;
      out.decision = decide(out.hello, policy);
    }
  }
  auto ack = encode_ack_packet(out.decision);
  std::array<ConstBytes, 1> parts{ConstBytes(ack)};
  if (auto r = channel.send_packet(parts); !r) return r.error();
  return out;
}

// ---------------------------------------------------------------------------------------
// Sessions

TransportResult<void> check_batch_directory(const InboundMessage& message) {
  if (!message.header.is_batch() || message.header.item_count == 0) return {};
  auto view = BatchView::parse(message.payload, message.header.item_count);
  if (!view) return TransportError::protocol(view.error());
  return {};
}

ClientSession::ClientSession(std::unique_ptr<MessageLink> link, const Hello& hello,
                             const HelloAck& ack)
    : link_(std::move(link)), hello_(hello), ack_(ack), request_(request_limits(ack)) {}

TransportError ClientSession::fail(TransportError e) {
  // Timeouts and cancellation leave the session usable; everything else ends it.
  if (e.kind != TransportErrorKind::kTimeout && e.kind != TransportErrorKind::kCancelled) {
    broken_ = e;
    in_flight_.clear();
  }
  return e;
}

TransportResult<void> ClientSession::send_request(Header header, ConstBytes payload) {
  if (broken_) return *broken_;
  if (header.kind != Kind::kRequest) return TransportError::of(TransportErrorKind::kBadParameter);
  if (payload.size() > 0xffffffffu)
    return rule_error(Error::kOutboundPayloadOverLimit);
  header.payload_len = static_cast<std::uint32_t>(payload.size());
  header.transport_status = 0;  // requests never carry a status (ENV-STATUS-001)
  if (auto r = check_outbound_limits(header.payload_len, header.item_count, request_); !r)
    return rule_error(r.error());
  auto same_id = [&](const InFlight& f) { return f.message_id == header.message_id; };
  if (std::find_if(in_flight_.begin(), in_flight_.end(), same_id) != in_flight_.end())
    return TransportError::with_rule(TransportErrorKind::kInFlight, Error::kDuplicateMessageId);
  std::uint32_t max = link_->max_in_flight();
  if (max != 0 && in_flight_.size() >= max) return TransportError::of(TransportErrorKind::kInFlight);
  in_flight_.push_back(InFlight{header.message_id, header.code});
  if (auto r = link_->send_message(header, payload); !r) return fail(r.error());
  return {};
}

TransportResult<InboundMessage> ClientSession::receive_response(Deadline deadline,
                                                                const Canceller* cancel) {
  if (broken_) return *broken_;
  auto m = link_->receive_message(deadline, cancel);
  if (!m) return fail(m.error());
  if (m->header.kind != Kind::kResponse)
    return fail(TransportError::protocol(Error::kUnexpectedKind));
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const InFlight& f) {
    return f.message_id == m->header.message_id;
  });
  if (it == in_flight_.end()) return fail(TransportError::protocol(Error::kUnknownMessageId));
  const std::uint16_t code = it->code;
  *it = in_flight_.back();  // order does not matter: responses may come in any order
  in_flight_.pop_back();
  if (m->header.code != code) return fail(TransportError::protocol(Error::kResponseCodeMismatch));
  if (auto r = check_batch_directory(*m); !r) return fail(r.error());
  return m;
}

TransportResult<InboundMessage> ClientSession::call(const Header& header, ConstBytes payload,
                                                    Deadline deadline) {
  if (auto r = send_request(header, payload); !r) return r.error();
  return receive_response(deadline);
}

ServerSession::ServerSession(std::unique_ptr<MessageLink> link, const HelloAck& ack)
    : link_(std::move(link)), ack_(ack), response_(response_limits(ack)) {}

TransportResult<InboundMessage> ServerSession::receive_request(Deadline deadline,
                                                               const Canceller* cancel) {
  auto m = link_->receive_message(deadline, cancel);
  if (!m) return m.error();
  // Only requests after the handshake; a second HELLO is a CONTROL message (HS-ONCE-001).
  if (m->header.kind != Kind::kRequest)
    return TransportError::protocol(Error::kUnexpectedKind);
  if (auto r = check_batch_directory(*m); !r) return r.error();
  return m;
}

TransportResult<void> ServerSession::send_response(Header header, ConstBytes payload) {
  if (header.kind != Kind::kResponse) return TransportError::of(TransportErrorKind::kBadParameter);
  if (payload.size() > 0xffffffffu) return rule_error(Error::kOutboundPayloadOverLimit);
  header.payload_len = static_cast<std::uint32_t>(payload.size());
  if (auto r = check_outbound_limits(header.payload_len, header.item_count, response_); !r)
    return rule_error(r.error());
  return link_->send_message(header, payload);
}

TransportResult<void> ServerSession::send_error(const Header& request, TransportStatus status) {
  Header h;
  h.kind = Kind::kResponse;
  h.flags = 0;
  h.code = request.code;
  h.transport_status = static_cast<std::uint16_t>(status);
  h.payload_len = 0;
  h.item_count = 1;
  h.message_id = request.message_id;
  return link_->send_message(h, {});
}

}  // namespace nipc
