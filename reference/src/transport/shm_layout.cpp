#include "nipc/transport/shm_layout.h"

namespace nipc {
namespace {

namespace L = shm_layout;

constexpr std::uint64_t kU32Max = 0xffffffffu;

bool aligned(std::uint64_t n) noexcept { return n % L::kAlignment == 0; }

}  // namespace

TransportResult<ShmGeometry> shm_geometry(std::uint32_t request_capacity,
                                          std::uint32_t response_capacity) {
  const std::uint64_t req = align64(request_capacity);
  const std::uint64_t resp = align64(response_capacity);
  const std::uint64_t resp_off = align64(L::kSize + req);
  if (req == 0 || resp == 0 || resp_off + resp > kU32Max)
    return TransportError::of(TransportErrorKind::kBadParameter);
  ShmGeometry g;
  g.request_offset = static_cast<std::uint32_t>(L::kSize);
  g.request_capacity = static_cast<std::uint32_t>(req);
  g.response_offset = static_cast<std::uint32_t>(resp_off);
  g.response_capacity = static_cast<std::uint32_t>(resp);
  return g;
}

void encode_shm_header(const ShmGeometry& g, const ShmOwner& owner,
                       std::span<std::uint8_t> out) noexcept {
  std::uint8_t* p = out.data();
  for (std::size_t i = L::kVersion; i < L::kSize; ++i) p[i] = 0;  // the magic stays as it is
  store_u16le(p + L::kVersion, L::kVersionValue);
  store_u16le(p + L::kHeaderLen, static_cast<std::uint16_t>(L::kSize));
  store_u32le(p + L::kOwnerPid, static_cast<std::uint32_t>(owner.pid));
  store_u32le(p + L::kOwnerGeneration, owner.generation);
  store_u32le(p + L::kRequestOffset, g.request_offset);
  store_u32le(p + L::kRequestCapacity, g.request_capacity);
  store_u32le(p + L::kResponseOffset, g.response_offset);
  store_u32le(p + L::kResponseCapacity, g.response_capacity);
}

TransportResult<ShmGeometry> validate_shm_header(ConstBytes header, std::uint64_t file_size) {
  if (header.size() < L::kSize || file_size < L::kSize)
    return TransportError::of(TransportErrorKind::kShmNotReady);
  const std::uint8_t* p = header.data();
  if (load_u32le(p + L::kMagic) != L::kMagicValue)
    return TransportError::of(TransportErrorKind::kShmBadMagic);
  if (load_u16le(p + L::kVersion) != L::kVersionValue)
    return TransportError::of(TransportErrorKind::kShmBadVersion);
  if (load_u16le(p + L::kHeaderLen) != L::kSize)
    return TransportError::of(TransportErrorKind::kShmBadHeader);
  ShmGeometry g;
  g.request_offset = load_u32le(p + L::kRequestOffset);
  g.request_capacity = load_u32le(p + L::kRequestCapacity);
  g.response_offset = load_u32le(p + L::kResponseOffset);
  g.response_capacity = load_u32le(p + L::kResponseCapacity);
  if (g.request_offset < L::kSize || g.request_capacity == 0 || g.response_offset < L::kSize ||
      g.response_capacity == 0)
    return TransportError::of(TransportErrorKind::kShmNotReady);
  const TransportError bad_size = TransportError::of(TransportErrorKind::kShmBadSize);
  const std::uint64_t request_end = std::uint64_t{g.request_offset} + g.request_capacity;
  if (request_end > kU32Max) return bad_size;
  if (!aligned(g.request_offset) || !aligned(g.request_capacity) || !aligned(g.response_offset) ||
      !aligned(g.response_capacity))
    return bad_size;
  if (g.response_offset < align64(request_end)) return bad_size;
  if (file_size < g.region_size()) return bad_size;
  return g;
}

std::optional<ShmOwner> shm_header_owner(ConstBytes header) noexcept {
  if (header.size() < L::kSize || load_u32le(header.data() + L::kMagic) != L::kMagicValue)
    return std::nullopt;
  return ShmOwner{static_cast<std::int32_t>(load_u32le(header.data() + L::kOwnerPid)),
                  load_u32le(header.data() + L::kOwnerGeneration)};
}

}  // namespace nipc
