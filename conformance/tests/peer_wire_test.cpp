// The peer's own wire layouts (conformance/peer/wire_layout.h) against the spec's worked
// examples, byte for byte: the peer judges the reference with these, so they must be right
// on their own, not by agreement with the reference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shm_raw.h"
#include "wire.h"

namespace nipc::peer {
namespace {

Bytes from_hex(const std::string& text) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < text.size();) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
    i += 2;
  }
  return out;
}

// spec/handshake.md, "Worked examples": the HELLO and the successful HELLO_ACK.
const char* kHello =
    "43 50 49 4e 01 00 20 00 03 00 00 00 01 00 00 00 2c 00 00 00 01 00 00 00 00 00 00 00 "
    "00 00 00 00 01 00 00 00 03 00 00 00 00 00 00 00 00 10 00 00 04 00 00 00 00 00 01 00 "
    "04 00 00 00 00 00 00 00 88 77 66 55 44 33 22 11 00 00 01 00";
const char* kAck =
    "43 50 49 4e 01 00 20 00 03 00 00 00 02 00 00 00 30 00 00 00 01 00 00 00 00 00 00 00 "
    "00 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 00 10 00 00 04 00 00 00 "
    "00 00 01 00 04 00 00 00 00 00 01 00 00 00 00 00 05 00 00 00 00 00 00 00";

RawHello spec_hello() {
  RawHello h;
  h.supported = 0x03;
  h.preferred = 0;
  h.max_request_payload = 4096;
  h.max_request_batch = 4;
  h.max_response_payload = 65536;
  h.max_response_batch = 4;
  h.auth_token = 0x1122334455667788ull;
  h.packet_size = 65536;
  return h;
}

TEST(PeerWire, WritesTheSpecsHelloByteForByte) {
  EXPECT_EQ(hello_packet(spec_hello()).bytes, from_hex(kHello));
}

TEST(PeerWire, ReadsEveryFieldOfTheSpecsHello) {
  Bytes b = from_hex(kHello);
  auto h = parse_header(b);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->kind, 3);
  EXPECT_EQ(h->code, 1);
  EXPECT_EQ(h->flags, 0);
  EXPECT_EQ(h->payload_len, 44u);
  EXPECT_EQ(h->item_count, 1u);
  auto hello = parse_hello(ConstBytes(b).subspan(32));
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->supported, 3u);
  EXPECT_EQ(hello->max_request_payload, 4096u);
  EXPECT_EQ(hello->max_request_batch, 4u);
  EXPECT_EQ(hello->max_response_payload, 65536u);
  EXPECT_EQ(hello->max_response_batch, 4u);
  EXPECT_EQ(hello->reserved, 0u);
  EXPECT_EQ(hello->auth_token, 0x1122334455667788ull);
  EXPECT_EQ(hello->packet_size, 65536u);
}

TEST(PeerWire, WritesAndReadsTheSpecsHelloAck) {
  RawAck a;
  a.server_supported = 1;
  a.intersection = 1;
  a.selected = 1;
  a.request_payload = 4096;
  a.request_batch = 4;
  a.response_payload = 65536;
  a.response_batch = 4;
  a.packet_size = 65536;
  a.session_id = 5;
  EXPECT_EQ(ack_packet(a, ack_header(0)).bytes, from_hex(kAck));
  Bytes b = from_hex(kAck);
  auto back = parse_ack(ConstBytes(b).subspan(32));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->response_payload, 65536u);
  EXPECT_EQ(back->packet_size, 65536u);
  EXPECT_EQ(back->session_id, 5u);
}

TEST(PeerWire, WritesAndReadsTheSpecsChunkHeader) {
  // spec/chunking.md: packet 4 of the five-packet example.
  const Bytes want = from_hex(
      "4b 48 43 4e 01 00 00 00 07 00 00 00 00 00 00 00 b6 00 00 00 04 00 00 00 05 00 00 00 "
      "16 00 00 00");
  RawChunk c;
  c.message_id = 7;
  c.total_message_len = 182;
  c.chunk_index = 4;
  c.chunk_count = 5;
  c.chunk_payload_len = 22;
  EXPECT_EQ(encode(c).bytes, want);
  auto back = parse_chunk(want);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->message_id, 7u);
  EXPECT_EQ(back->chunk_index, 4u);
  EXPECT_EQ(back->chunk_count, 5u);
  EXPECT_EQ(back->chunk_payload_len, 22u);
}

TEST(PeerWire, WritesAndReadsTheSpecsThreeItemBatch) {
  // spec/batch.md: items 8-byte value 5, "hi" and an empty item.
  const Bytes want = from_hex(
      "00 00 00 00 08 00 00 00 08 00 00 00 02 00 00 00 10 00 00 00 00 00 00 00 05 00 00 00 "
      "00 00 00 00 68 69 00 00 00 00 00 00");
  EXPECT_EQ(batch_payload({increment_payload(5), Bytes{0x68, 0x69}, Bytes{}}).bytes, want);
  auto items = parse_batch(want, 3);
  ASSERT_TRUE(items.has_value());
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ(Bytes((*items)[0].begin(), (*items)[0].end()), increment_payload(5));
  EXPECT_EQ(Bytes((*items)[1].begin(), (*items)[1].end()), (Bytes{0x68, 0x69}));
  EXPECT_TRUE((*items)[2].empty());
}

TEST(PeerWire, RefusesTheSpecsBadBatchDirectories) {
  const Bytes good = batch_payload({increment_payload(5), Bytes{0x68, 0x69}, Bytes{}}).bytes;
  EXPECT_FALSE(parse_batch(good, 6).has_value());  // 48 directory bytes needed
  Bytes b = good;
  b[8] = 0x09;  // entry 1 misaligned
  EXPECT_FALSE(parse_batch(b, 3).has_value());
  b = good;
  b[12] = 0x0f;  // entry 1 beyond the packed area
  EXPECT_FALSE(parse_batch(b, 3).has_value());
  b = good;
  for (int i = 12; i < 16; ++i) b[i] = 0xff;  // offset 8 + length 2^32-1 must not wrap
  EXPECT_FALSE(parse_batch(b, 3).has_value());
  EXPECT_FALSE(parse_batch(good, 0xffffffffu).has_value());
  EXPECT_TRUE(parse_batch({}, 0).has_value());
}

TEST(PeerWire, WritesThePosixRegionHeaderAtTheSpecsOffsets) {
  RegionHeader h;
  h.owner_pid = 0x01020304;
  h.owner_generation = 0x0a0b0c0d;
  h.request_capacity = 1088;
  h.response_offset = 1152;
  h.response_capacity = 128;
  h.request_seq = 0x1112131415161718ull;
  h.response_seq = 0x2122232425262728ull;
  h.request_len = 0x31323334;
  h.response_len = 0x41424344;
  h.request_signal = 0x51525354;
  h.response_signal = 0x61626364;
  EXPECT_EQ(encode(h).bytes,
            from_hex("4d 48 53 4e 03 00 40 00 04 03 02 01 0d 0c 0b 0a 40 00 00 00 40 04 00 00 "
                     "80 04 00 00 80 00 00 00 18 17 16 15 14 13 12 11 28 27 26 25 24 23 22 21 "
                     "34 33 32 31 44 43 42 41 54 53 52 51 64 63 62 61"));
}

}  // namespace
}  // namespace nipc::peer
