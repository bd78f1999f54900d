// A project that embeds the reference through its installed package.
#include <cstdio>

#include "nipc/codec/header.h"

int main() {
  nipc::Header h;
  h.kind = nipc::Kind::kControl;
  const auto bytes = nipc::encode_header(h);
  auto decoded = nipc::decode_header(nipc::ConstBytes(bytes));
  if (!decoded.ok()) return 1;
  std::printf("magic=%08x\n", nipc::load_u32le(bytes.data()));
  return decoded->kind == nipc::Kind::kControl ? 0 : 1;
}
