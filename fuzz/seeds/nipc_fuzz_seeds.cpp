// Writes synthetic seed inputs for every fuzz target, built with the reference encoders, in
// each target's input format (see the comment at the top of fuzz/targets/<target>.cpp).
//
//   nipc_fuzz_seeds OUT_DIR     writes OUT_DIR/<target>/synthetic-<name>
//
// The vector-derived seeds come from runners/ctslib/fuzz.py; these cover the same shapes
// before vectors/*.json exist, plus sizes and chunkings the vectors may not hold.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nipc/codec/batch.h"
#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/codec/chunk.h"
#include "nipc/codec/handshake.h"
#include "nipc/codec/header.h"
#include "nipc/codec/hello.h"
#include "nipc/codec/increment.h"
#include "nipc/testing/snapshot_fixture.h"
#include "nipc/codec/string_reverse.h"

namespace {

using Bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

fs::path g_out;
int g_written = 0;

void write_seed(const std::string& target, const std::string& name, const Bytes& bytes) {
  const fs::path dir = g_out / target;
  fs::create_directories(dir);
  std::ofstream(dir / ("synthetic-" + name), std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  ++g_written;
}

void put_u8(Bytes& b, std::uint8_t v) { b.push_back(v); }
void put_u16(Bytes& b, std::uint16_t v) {
  b.resize(b.size() + 2);
  nipc::store_u16le(b.data() + b.size() - 2, v);
}
void put_u32(Bytes& b, std::uint32_t v) {
  b.resize(b.size() + 4);
  nipc::store_u32le(b.data() + b.size() - 4, v);
}
void put_u64(Bytes& b, std::uint64_t v) {
  b.resize(b.size() + 8);
  nipc::store_u64le(b.data() + b.size() - 8, v);
}
void put_bytes(Bytes& b, nipc::ConstBytes v) { b.insert(b.end(), v.begin(), v.end()); }

nipc::Header header(nipc::Kind kind, std::uint16_t code, std::uint32_t payload_len,
                    std::uint16_t flags = 0, std::uint32_t item_count = 1,
                    std::uint64_t message_id = 7) {
  nipc::Header h;
  h.kind = kind;
  h.flags = flags;
  h.code = code;
  h.payload_len = payload_len;
  h.item_count = item_count;
  h.message_id = message_id;
  return h;
}

nipc::Hello typical_hello() {
  nipc::Hello h;
  h.supported_profiles = 0x07;
  h.preferred_profiles = 0x02;
  h.max_request_payload_bytes = 1024;
  h.max_request_batch_items = 16;
  h.max_response_payload_bytes = 65536;
  h.max_response_batch_items = 16;
  h.auth_token = 0x1122334455667788ull;
  h.packet_size = 65536;
  return h;
}

nipc::ServerPolicy typical_policy() {
  nipc::ServerPolicy p;
  p.auth_token = 0x1122334455667788ull;
  p.supported_profiles = 0x03;
  p.preferred_profiles = 0x02;
  p.session_id = 42;
  return p;
}

Bytes policy_prefix(const nipc::ServerPolicy& p, std::uint8_t options = 0) {
  Bytes b;
  put_u64(b, p.auth_token);
  put_u32(b, p.supported_profiles);
  put_u32(b, p.preferred_profiles);
  put_u32(b, p.max_request_payload_bytes);
  put_u32(b, p.response_payload_bytes);
  put_u32(b, p.packet_size);
  put_u64(b, p.session_id);
  put_u8(b, options);
  return b;
}

Bytes hello_prefix(const nipc::Hello& h) {
  Bytes b;
  put_u32(b, h.supported_profiles);
  put_u32(b, h.preferred_profiles);
  put_u32(b, h.max_request_payload_bytes);
  put_u32(b, h.max_request_batch_items);
  put_u32(b, h.max_response_payload_bytes);
  put_u32(b, h.max_response_batch_items);
  put_u64(b, h.auth_token);
  put_u32(b, h.packet_size);
  return b;
}

Bytes pattern(std::size_t n, std::uint8_t start = 1) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i * 7);
  return b;
}

void envelope_seeds() {
  struct Case {
    const char* name;
    nipc::Header h;
  } cases[] = {
      {"request", header(nipc::Kind::kRequest, 1, 8)},
      {"response-batch", header(nipc::Kind::kResponse, 3, 64, nipc::kFlagBatch, 4)},
      {"hello", header(nipc::Kind::kControl, 1, 44, 0, 1, 0)},
      {"ack-rejected", [] {
         nipc::Header h = header(nipc::Kind::kControl, 2, 48, 0, 1, 0);
         h.transport_status = 2;
         return h;
       }()},
      {"empty-batch", header(nipc::Kind::kRequest, 2, 0, nipc::kFlagBatch, 0)},
  };
  for (const Case& c : cases) {
    Bytes b;
    put_bytes(b, nipc::encode_header(c.h));
    put_u32(b, 1024);
    put_u32(b, 16);
    write_seed("outer_header_fuzz", c.name, b);
  }
  Bytes truncated;
  put_bytes(truncated, nipc::encode_header(header(nipc::Kind::kRequest, 1, 8)));
  truncated.resize(31);
  write_seed("outer_header_fuzz", "truncated", truncated);

  nipc::ChunkHeader c;
  c.message_id = 7;
  c.total_message_len = 32 + 100;
  c.chunk_index = 1;
  c.chunk_count = 2;
  c.chunk_payload_len = 36;
  Bytes chunk;
  put_bytes(chunk, nipc::encode_chunk_header(c));
  put_bytes(chunk, pattern(36));
  write_seed("chunk_header_fuzz", "continuation", chunk);
  chunk.resize(32);
  write_seed("chunk_header_fuzz", "header-only", chunk);
}

void handshake_seeds() {
  const nipc::Hello hello = typical_hello();
  const nipc::ServerPolicy policy = typical_policy();
  const auto hello_bytes = nipc::encode_hello(hello);
  write_seed("hello_fuzz", "typical", Bytes(hello_bytes.begin(), hello_bytes.end()));
  Bytes longer(hello_bytes.begin(), hello_bytes.end());
  longer.push_back(0xaa);
  write_seed("hello_fuzz", "trailing-byte", longer);

  const nipc::HandshakeDecision ok = nipc::decide(hello, policy);
  const auto ack_bytes = nipc::encode_hello_ack(ok.ack);
  write_seed("hello_ack_fuzz", "accepted", Bytes(ack_bytes.begin(), ack_bytes.end()));
  const auto zero_ack = nipc::encode_hello_ack(nipc::HelloAck{});
  write_seed("hello_ack_fuzz", "rejection", Bytes(zero_ack.begin(), zero_ack.end()));

  // Server decisions: accepted, and one HELLO per rejection status.
  struct DecideCase {
    const char* name;
    nipc::Hello hello;
    nipc::ServerPolicy policy;
  };
  std::vector<DecideCase> decide_cases;
  decide_cases.push_back({"accepted", hello, policy});
  nipc::Hello bad_auth = hello;
  bad_auth.auth_token ^= 1;
  decide_cases.push_back({"auth-failed", bad_auth, policy});
  nipc::Hello no_common = hello;
  no_common.supported_profiles = 0x08;
  decide_cases.push_back({"unsupported", no_common, policy});
  nipc::Hello too_big = hello;
  too_big.max_request_payload_bytes = nipc::kRequestPayloadCap + 1;
  decide_cases.push_back({"limit-exceeded", too_big, policy});
  nipc::Hello tiny_packet = hello;
  tiny_packet.packet_size = 32;
  decide_cases.push_back({"incompatible", tiny_packet, policy});
  for (const DecideCase& c : decide_cases) {
    Bytes b = policy_prefix(c.policy);
    put_bytes(b, nipc::encode_hello_packet(c.hello));
    write_seed("handshake_decide_fuzz", c.name, b);

    Bytes ack = hello_prefix(c.hello);
    put_bytes(ack, nipc::encode_ack_packet(nipc::decide(c.hello, c.policy)));
    write_seed("handshake_check_ack_fuzz", c.name, ack);
  }
  Bytes bad_version = policy_prefix(policy);
  auto packet = nipc::encode_hello_packet(hello);
  nipc::store_u16le(packet.data() + nipc::header_layout::kVersion, 2);
  put_bytes(bad_version, packet);
  write_seed("handshake_decide_fuzz", "bad-version", bad_version);
}

void payload_seeds() {
  for (std::uint64_t v : {0ull, 1ull, 0xffffffffffffffffull}) {
    Bytes b(8);
    (void)nipc::encode_increment(v, b);
    write_seed("increment_fuzz", "value-" + std::to_string(v), b);
  }
  const std::string texts[] = {"", "a", "hello, world", std::string("in\0side", 7),
                               std::string(300, 'x')};
  int i = 0;
  for (const std::string& t : texts) {
    Bytes b(static_cast<std::size_t>(nipc::string_reverse_encoded_size(t.size())));
    (void)nipc::encode_string_reverse(t, b);
    write_seed("string_reverse_fuzz", "text-" + std::to_string(i++), b);
  }
  Bytes request(4);
  (void)nipc::encode_snapshot_request(request);
  write_seed("cgroups_snapshot_request_fuzz", "request", request);

  for (std::size_t k : {0u, 1u, 2u, 5u}) {
    const nipc::GeneratedSnapshot snap = nipc::generate_snapshot(20261125, k);
    const std::vector<nipc::SnapshotItem> views = snap.views();
    Bytes payload(static_cast<std::size_t>(nipc::snapshot_encoded_size(views)));
    (void)nipc::encode_snapshot(snap.systemd_enabled, snap.generation, views, payload);
    if (payload.size() > 3000) continue;  // keep seeds below libFuzzer's default max_len
    Bytes raw{0};
    put_bytes(raw, payload);
    write_seed("cgroups_snapshot_response_fuzz", "raw-items-" + std::to_string(k), raw);
  }
  Bytes structured{1};
  put_bytes(structured, pattern(200));
  write_seed("cgroups_snapshot_response_fuzz", "structured", structured);
}

void batch_seeds() {
  const Bytes a = pattern(3), b = pattern(8, 50), c = pattern(13, 99);
  const std::vector<std::vector<nipc::ConstBytes>> sets = {
      {}, {a}, {a, b}, {a, b, c}, {nipc::ConstBytes(), a, nipc::ConstBytes()}};
  int i = 0;
  for (const auto& items : sets) {
    Bytes payload(static_cast<std::size_t>(nipc::batch_encoded_size(items)));
    (void)nipc::encode_batch(items, payload);
    Bytes raw{0};
    put_u32(raw, static_cast<std::uint32_t>(items.size()));
    put_bytes(raw, payload);
    write_seed("batch_fuzz", "raw-" + std::to_string(i++), raw);
  }
  Bytes structured{1};
  put_bytes(structured, pattern(120));
  write_seed("batch_fuzz", "structured", structured);
}

void chunk_seeds() {
  struct Case {
    std::uint32_t payload_len;
    std::uint32_t packet_size;
  } cases[] = {{0, 64}, {10, 64}, {100, 40}, {100, 64}, {300, 128}, {31, 33}, {64, 33}};
  for (const Case& c : cases) {
    const nipc::Header h = header(nipc::Kind::kRequest, 3, c.payload_len);
    const Bytes payload = pattern(c.payload_len);
    const auto packets = nipc::split_message(h, payload, c.packet_size);
    if (!packets.ok()) continue;
    Bytes b;
    put_u32(b, c.packet_size);
    put_u32(b, 4096);  // max_payload_bytes
    put_u32(b, 1);     // max_batch_items
    put_u8(b, 0);      // buffer_shortfall
    for (const auto& p : *packets) {
      put_u16(b, static_cast<std::uint16_t>(p.size()));
      put_bytes(b, p);
    }
    write_seed("chunked_message_fuzz",
               "payload-" + std::to_string(c.payload_len) + "-packet-" +
                   std::to_string(c.packet_size),
               b);
  }
}

// differential_fuzz: byte 0 picks the family (its order in the target's family table).
void differential_seeds() {
  const nipc::Hello hello = typical_hello();
  Bytes b;
  b = {0};
  put_bytes(b, nipc::encode_header(header(nipc::Kind::kRequest, 1, 8)));
  write_seed("differential_fuzz", "outer-header", b);
  nipc::ChunkHeader c;
  c.message_id = 7;
  c.total_message_len = 132;
  c.chunk_index = 1;
  c.chunk_count = 2;
  c.chunk_payload_len = 4;
  b = {1};
  put_bytes(b, nipc::encode_chunk_header(c));
  put_bytes(b, pattern(4));
  write_seed("differential_fuzz", "chunk-header", b);
  b = {2};
  put_bytes(b, nipc::encode_hello(hello));
  write_seed("differential_fuzz", "hello", b);
  b = {3};
  put_bytes(b, nipc::encode_hello_ack(nipc::decide(hello, typical_policy()).ack));
  write_seed("differential_fuzz", "hello-ack", b);
  const Bytes item = pattern(5);
  const std::vector<nipc::ConstBytes> items = {item, item};
  Bytes batch(static_cast<std::size_t>(nipc::batch_encoded_size(items)));
  (void)nipc::encode_batch(items, batch);
  b = {4};
  put_u32(b, 2);
  put_bytes(b, batch);
  write_seed("differential_fuzz", "batch", b);
  b = {5};
  put_u64(b, 41);
  write_seed("differential_fuzz", "increment", b);
  b = {6};
  Bytes text(static_cast<std::size_t>(nipc::string_reverse_encoded_size(5)));
  (void)nipc::encode_string_reverse("hello", text);
  put_bytes(b, text);
  write_seed("differential_fuzz", "string-reverse", b);
  b = {7, 1, 0, 0, 0};
  write_seed("differential_fuzz", "snapshot-request", b);
  const nipc::GeneratedSnapshot snap = nipc::generate_snapshot(7, 2);
  const std::vector<nipc::SnapshotItem> views = snap.views();
  Bytes payload(static_cast<std::size_t>(nipc::snapshot_encoded_size(views)));
  (void)nipc::encode_snapshot(snap.systemd_enabled, snap.generation, views, payload);
  b = {8};
  put_bytes(b, payload);
  write_seed("differential_fuzz", "snapshot-response", b);
}

// peer_readers_fuzz: byte 0 picks the reader (0 packet, 1 region, 2 truncated region). The
// region is a well-formed 64-byte header (magic, version 3, header_len 64, request area at 64,
// response area after it) with one message in each area.
void peer_reader_seeds() {
  const nipc::Hello hello = typical_hello();
  Bytes b = {0};
  put_bytes(b, nipc::encode_header(header(nipc::Kind::kControl, 1, 44, 0, 1, 0)));
  put_bytes(b, nipc::encode_hello(hello));
  write_seed("peer_readers_fuzz", "hello-packet", b);
  Bytes region;
  put_u32(region, 0x4e53484d);  // magic
  region.push_back(3);          // version (u16)
  region.push_back(0);
  region.push_back(64);         // header_len (u16)
  region.push_back(0);
  put_u32(region, 1234);        // owner_pid
  put_u32(region, 1);           // owner_generation
  put_u32(region, 64);          // request_offset
  put_u32(region, 128);         // request_capacity
  put_u32(region, 192);         // response_offset
  put_u32(region, 128);         // response_capacity
  put_u64(region, 0);           // request_seq
  put_u64(region, 0);           // response_seq
  put_u32(region, 40);          // request_len
  put_u32(region, 40);          // response_len
  put_u32(region, 0);           // request_signal
  put_u32(region, 0);           // response_signal
  for (int area = 0; area < 2; ++area) {
    Bytes msg;
    put_bytes(msg, nipc::encode_header(header(area == 0 ? nipc::Kind::kRequest : nipc::Kind::kResponse, 1, 8)));
    put_u64(msg, 41);
    msg.resize(128, 0);
    put_bytes(region, msg);
  }
  for (std::uint8_t selector : {1, 2}) {
    b = {selector};
    put_bytes(b, region);
    write_seed("peer_readers_fuzz", selector == 1 ? "region" : "region-truncated", b);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  g_out = argv[1];
  envelope_seeds();
  handshake_seeds();
  payload_seeds();
  batch_seeds();
  chunk_seeds();
  differential_seeds();
  peer_reader_seeds();
  std::printf("nipc_fuzz_seeds: %d synthetic seeds in %s\n", g_written, g_out.c_str());
  return 0;
}
