// Chunk reassembly (spec/chunking.md): the Reassembler fed a sequence of packets. Input:
//
//   prefix (13 bytes): u32 packet_size, u32 max_payload_bytes (taken modulo 16385, so the
//                      payload buffer stays small), u32 max_batch_items, u8 buffer_shortfall
//                      (the buffer handed to the Reassembler is that many bytes smaller than
//                      max_payload_bytes, to reach kBufferTooSmall);
//   then packets:      u16 length, that many bytes (the last packet takes what is left).
//
// The packets are processed as a receiver does: first() on a packet when no message is in
// progress, next() while continuations are expected; an error ends the message and the next
// packet starts a new one.
//
// Oracles: after any error the reassembler is idle (nothing expected, empty payload). A
// completed message is within the limits and the buffer; its header re-encodes to the first
// packet's 32 bytes; its payload is the concatenation of the bytes the packets carried.
// When split_message can send it, re-splitting and reassembling it in a fresh Reassembler
// gives the same header and payload; and when the received packets have the canonical shape
// (first packet exactly min(packet_size, 32 + payload_len) bytes, every continuation but the
// last carrying exactly packet_size - 32 bytes) they equal split_message's packets byte for
// byte. The receiver's freedoms outside that shape (a first packet shorter or longer than
// packet_size, which sets the derived chunk count, CHUNK-COUNT-001; continuations of other
// sizes as long as the count and the total agree; a single-packet message larger than
// packet_size) are accepted by design and only checked through the re-split round trip.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_support.h"
#include "nipc/codec/chunk.h"

namespace {

using nipc::ConstBytes;
using nipc::Reassembler;

constexpr std::uint32_t kMaxBuffer = 16384;

struct Params {
  std::uint32_t packet_size = 0;
  nipc::DirectionLimits limits;
  std::size_t buffer_size = 0;
};

bool canonical_shape(const std::vector<ConstBytes>& packets, const nipc::Header& h,
                     std::uint32_t packet_size) {
  if (packet_size <= 32) return false;
  const std::uint64_t total = 32 + std::uint64_t{h.payload_len};
  if (packets[0].size() != (total < packet_size ? total : packet_size)) return false;
  for (std::size_t i = 1; i + 1 < packets.size(); ++i)
    if (packets[i].size() != packet_size) return false;
  return true;
}

void check_completed(const Params& params, const Reassembler& r,
                     const std::vector<ConstBytes>& packets) {
  const nipc::Header& h = r.header();
  const ConstBytes payload = r.payload();
  NIPC_FUZZ_CHECK(payload.size() == h.payload_len);
  NIPC_FUZZ_CHECK(nipc::check_inbound_limits(h, params.limits).ok());
  NIPC_FUZZ_CHECK(h.payload_len <= params.buffer_size);
  NIPC_FUZZ_CHECK(r.remaining_packets() == 0);
  const auto header_bytes = nipc::encode_header(h);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(header_bytes, packets[0].first(32)));
  std::size_t at = 0;
  for (const ConstBytes& p : packets) {
    const ConstBytes carried = p.subspan(32);
    NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(carried, payload.subspan(at, carried.size())));
    at += carried.size();
  }
  NIPC_FUZZ_CHECK(at == payload.size());

  const auto split = nipc::split_message(h, payload, params.packet_size);
  if (!split.ok()) return;  // e.g. CONTROL too large to send, packet_size <= 32
  const std::vector<std::vector<std::uint8_t>>& sent = *split;
  if (canonical_shape(packets, h, params.packet_size)) {
    NIPC_FUZZ_CHECK(sent.size() == packets.size());
    for (std::size_t i = 0; i < sent.size(); ++i)
      NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(sent[i], packets[i]));
  }
  std::vector<std::uint8_t> buffer(params.buffer_size);
  Reassembler fresh(params.packet_size, params.limits, buffer);
  auto progress = fresh.first(sent[0]);
  for (std::size_t i = 1; i < sent.size(); ++i) {
    NIPC_FUZZ_CHECK(progress.ok() && *progress == Reassembler::Progress::kNeedMore);
    progress = fresh.next(sent[i]);
  }
  NIPC_FUZZ_CHECK(progress.ok() && *progress == Reassembler::Progress::kComplete);
  NIPC_FUZZ_CHECK(fresh.header() == h);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(fresh.payload(), payload));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nipc::fuzz::PrefixReader in(data, size);
  Params params;
  params.packet_size = in.u32();
  params.limits.max_payload_bytes = in.u32() % (kMaxBuffer + 1);
  params.limits.max_batch_items = in.u32();
  const std::uint8_t shortfall = in.u8();
  params.buffer_size = params.limits.max_payload_bytes > shortfall
                           ? params.limits.max_payload_bytes - shortfall
                           : 0;
  ConstBytes rest = in.rest();

  std::vector<std::uint8_t> buffer(params.buffer_size);
  Reassembler r(params.packet_size, params.limits, buffer);
  std::vector<ConstBytes> message;  // packets of the message in progress
  bool in_progress = false;
  while (!rest.empty()) {
    std::size_t length = rest.size() >= 2 ? nipc::load_u16le(rest.data()) : 0;
    rest = rest.subspan(rest.size() >= 2 ? 2 : rest.size());
    if (length > rest.size()) length = rest.size();
    const ConstBytes packet = rest.first(length);
    rest = rest.subspan(length);

    if (!in_progress) message.clear();
    message.push_back(packet);
    const auto progress = in_progress ? r.next(packet) : r.first(packet);
    if (!progress.ok()) {
      NIPC_FUZZ_CHECK(r.remaining_packets() == 0 && r.payload().empty());
      in_progress = false;
      continue;
    }
    if (*progress == Reassembler::Progress::kNeedMore) {
      NIPC_FUZZ_CHECK(r.remaining_packets() > 0);
      in_progress = true;
      continue;
    }
    check_completed(params, r, message);
    in_progress = false;
  }
  return 0;
}
