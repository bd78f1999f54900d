// Micro-benchmarks for the hot codec paths. Run with `./cts bench`.
//
// Each benchmark keeps its input live across iterations and feeds results to
// DoNotOptimize, so the compiler cannot fold the work away.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <vector>

#include "nipc/codec/batch.h"
#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/codec/handshake.h"
#include "nipc/codec/header.h"
#include "nipc/codec/hello.h"
#include "nipc/testing/snapshot_fixture.h"

namespace nipc {
namespace {

void BM_HeaderEncode(benchmark::State& state) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = 1;
  h.payload_len = 8;
  std::array<std::uint8_t, 32> out{};
  for (auto _ : state) {
    h.message_id++;
    benchmark::DoNotOptimize(encode_header(h, MutableBytes(out)));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HeaderEncode);

void BM_HeaderDecode(benchmark::State& state) {
  Header h;
  h.payload_len = 8;
  auto bytes = encode_header(h);
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    auto r = decode_header(ConstBytes(bytes));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_HeaderDecode);

Hello sample_hello() {
  Hello hello;
  hello.supported_profiles = 0x07;
  hello.preferred_profiles = 0x02;
  hello.max_request_payload_bytes = 1024;
  hello.max_request_batch_items = 16;
  hello.max_response_payload_bytes = 65536;
  hello.max_response_batch_items = 16;
  hello.auth_token = 0x0102030405060708ULL;
  hello.packet_size = 212960;
  return hello;
}

void BM_HelloEncodeDecode(benchmark::State& state) {
  const Hello hello = sample_hello();
  std::array<std::uint8_t, hello_layout::kSize> buf{};
  for (auto _ : state) {
    (void)encode_hello(hello, MutableBytes(buf));
    benchmark::DoNotOptimize(buf.data());
    auto r = decode_hello(ConstBytes(buf));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_HelloEncodeDecode);

void BM_HelloAckEncodeDecode(benchmark::State& state) {
  ServerPolicy policy;
  policy.auth_token = sample_hello().auth_token;
  policy.supported_profiles = 0x07;
  const HelloAck ack = decide(sample_hello(), policy).ack;
  std::array<std::uint8_t, ack_layout::kSize> buf{};
  for (auto _ : state) {
    (void)encode_hello_ack(ack, MutableBytes(buf));
    benchmark::DoNotOptimize(buf.data());
    auto r = decode_hello_ack(ConstBytes(buf));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_HelloAckEncodeDecode);

// The whole server side of a handshake: decode the first packet and decide.
void BM_ServerDecideFirstPacket(benchmark::State& state) {
  ServerPolicy policy;
  policy.auth_token = sample_hello().auth_token;
  policy.supported_profiles = 0x07;
  const auto packet = encode_hello_packet(sample_hello());
  for (auto _ : state) {
    benchmark::DoNotOptimize(packet.data());
    auto verdict = decide_first_packet(ConstBytes(packet), policy);
    benchmark::DoNotOptimize(verdict);
  }
}
BENCHMARK(BM_ServerDecideFirstPacket);

// Parse a batch of N 8-byte items and visit every item (the receive path of batch INCREMENT).
void BM_BatchExtract(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  std::vector<std::array<std::uint8_t, 8>> values(n);
  std::vector<ConstBytes> items;
  for (std::uint32_t i = 0; i < n; ++i) {
    store_u64le(values[i].data(), i);
    items.emplace_back(values[i]);
  }
  std::vector<std::uint8_t> payload(batch_encoded_size(items));
  if (!encode_batch(items, MutableBytes(payload)).ok()) state.SkipWithError("encode failed");
  for (auto _ : state) {
    auto view = BatchView::parse(ConstBytes(payload), n);
    std::uint64_t sum = 0;
    for (std::uint32_t i = 0; i < view->size(); ++i) sum += view->item(i)->size();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BatchExtract)->Arg(1000);

void BM_BatchEncode(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  std::vector<std::array<std::uint8_t, 8>> values(n);
  std::vector<ConstBytes> items(values.begin(), values.end());
  std::vector<std::uint8_t> payload(batch_encoded_size(items));
  for (auto _ : state) {
    auto r = encode_batch(items, MutableBytes(payload));
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BatchEncode)->Arg(1000);

// Validate a whole snapshot response of K items (header, directory, every item).
void BM_SnapshotDecode(benchmark::State& state) {
  const auto k = static_cast<std::uint32_t>(state.range(0));
  const GeneratedSnapshot snapshot = generate_snapshot(42, k);
  const std::vector<SnapshotItem> views = snapshot.views();
  std::vector<std::uint8_t> payload(snapshot_encoded_size(views));
  if (!encode_snapshot(snapshot.systemd_enabled, snapshot.generation, views,
                       MutableBytes(payload))
           .ok()) {
    state.SkipWithError("encode failed");
  }
  for (auto _ : state) {
    auto view = SnapshotView::parse(ConstBytes(payload));
    benchmark::DoNotOptimize(view);
  }
  state.SetItemsProcessed(state.iterations() * k);
}
BENCHMARK(BM_SnapshotDecode)->Arg(1000);

}  // namespace
}  // namespace nipc
