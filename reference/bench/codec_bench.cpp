// Micro-benchmarks for the hot codec paths. Run with `./cts bench`.
#include <benchmark/benchmark.h>

#include "nipc/codec/header.h"

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
  const auto bytes = encode_header(h);
  for (auto _ : state) {
    auto r = decode_header(ConstBytes(bytes));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_HeaderDecode);

}  // namespace
}  // namespace nipc
