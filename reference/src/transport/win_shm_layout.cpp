#include "nipc/transport/win_shm_layout.h"

#include <cstring>


namespace nipc {
namespace {

namespace L = win_shm_layout;

constexpr std::uint64_t kU32Max = 0xffffffffu;

std::uint64_t round_up64(std::uint64_t n) noexcept {
  return (n + L::kAlignment - 1) / L::kAlignment * L::kAlignment;
}

bool aligned(std::uint32_t n) noexcept { return n % L::kAlignment == 0; }

}  // namespace

TransportResult<WinShmGeometry> win_shm_geometry(std::uint32_t profile,
                                                 std::uint32_t request_capacity,
                                                 std::uint32_t response_capacity,
                                                 std::uint32_t spin_tries) {
  if (request_capacity == 0 || response_capacity == 0)
    return TransportError::of(TransportErrorKind::kBadParameter);
  const std::uint64_t req = round_up64(request_capacity);
  const std::uint64_t resp = round_up64(response_capacity);
  const std::uint64_t resp_off = round_up64(L::kSize + req);
  if (resp_off + resp > kU32Max) return TransportError::of(TransportErrorKind::kBadParameter);
  WinShmGeometry g;
  g.profile = profile;
  g.request_offset = static_cast<std::uint32_t>(L::kSize);
  g.request_capacity = static_cast<std::uint32_t>(req);
  g.response_offset = static_cast<std::uint32_t>(resp_off);
  g.response_capacity = static_cast<std::uint32_t>(resp);
  g.spin_tries = spin_tries;
  return g;
}

void encode_win_shm_header(const WinShmGeometry& g, std::span<std::uint8_t> out) noexcept {
  std::uint8_t* p = out.data();
  std::memset(p, 0, L::kSize);
  store_u32le(p + L::kMagic, L::kMagicValue);
  store_u32le(p + L::kVersion, L::kVersionValue);
  store_u32le(p + L::kHeaderLen, static_cast<std::uint32_t>(L::kSize));
  store_u32le(p + L::kProfile, g.profile);
  store_u32le(p + L::kRequestOffset, g.request_offset);
  store_u32le(p + L::kRequestCapacity, g.request_capacity);
  store_u32le(p + L::kResponseOffset, g.response_offset);
  store_u32le(p + L::kResponseCapacity, g.response_capacity);
  store_u32le(p + L::kSpinTries, g.spin_tries);
}

TransportResult<WinShmGeometry> validate_win_shm_header(ConstBytes header,
                                                        std::uint32_t selected_profile,
                                                        std::uint64_t mapped_size) {
  if (header.size() < L::kSize) return TransportError::of(TransportErrorKind::kWinShmBadLayout);
  const std::uint8_t* p = header.data();
  if (load_u32le(p + L::kMagic) != L::kMagicValue)
    return TransportError::of(TransportErrorKind::kWinShmBadMagic);
  if (load_u32le(p + L::kVersion) != L::kVersionValue)
    return TransportError::of(TransportErrorKind::kWinShmBadVersion);
  if (load_u32le(p + L::kHeaderLen) != L::kSize)
    return TransportError::of(TransportErrorKind::kWinShmBadHeaderLen);
  WinShmGeometry g;
  g.profile = load_u32le(p + L::kProfile);
  if (g.profile != selected_profile) return TransportError::of(TransportErrorKind::kWinShmBadProfile);
  g.request_offset = load_u32le(p + L::kRequestOffset);
  g.request_capacity = load_u32le(p + L::kRequestCapacity);
  g.response_offset = load_u32le(p + L::kResponseOffset);
  g.response_capacity = load_u32le(p + L::kResponseCapacity);
  g.spin_tries = load_u32le(p + L::kSpinTries);
  const TransportError bad = TransportError::of(TransportErrorKind::kWinShmBadLayout);
  for (std::uint32_t v : {g.request_offset, g.request_capacity, g.response_offset, g.response_capacity})
    if (v == 0 || !aligned(v)) return bad;
  const std::uint64_t request_end = std::uint64_t{g.request_offset} + g.request_capacity;
  if (request_end > kU32Max || g.region_size() > kU32Max) return bad;
  if (g.response_offset < request_end) return bad;
  if (mapped_size != 0 && g.region_size() > mapped_size) return bad;
  return g;
}

}  // namespace nipc
