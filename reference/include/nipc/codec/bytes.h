// Byte cursors: the only way the codec reads or writes wire bytes.
//
// Every multi-byte integer on the netipc wire is little-endian (the protocol writes host
// order and every supported host is little-endian; we make the order explicit so the
// reference behaves the same on any host).
#ifndef NIPC_CODEC_BYTES_H_
#define NIPC_CODEC_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace nipc {

using ConstBytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

/// Loads a little-endian u16 from `p`; the caller guarantees 2 readable bytes.
constexpr std::uint16_t load_u16le(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

/// Loads a little-endian u32 from `p`; the caller guarantees 4 readable bytes.
constexpr std::uint32_t load_u32le(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

/// Loads a little-endian u64 from `p`; the caller guarantees 8 readable bytes.
constexpr std::uint64_t load_u64le(const std::uint8_t* p) noexcept {
  return static_cast<std::uint64_t>(load_u32le(p)) |
         (static_cast<std::uint64_t>(load_u32le(p + 4)) << 32);
}

/// Stores `v` little-endian at `p`; the caller guarantees 2 writable bytes.
constexpr void store_u16le(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}

/// Stores `v` little-endian at `p`; the caller guarantees 4 writable bytes.
constexpr void store_u32le(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

/// Stores `v` little-endian at `p`; the caller guarantees 8 writable bytes.
constexpr void store_u64le(std::uint8_t* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

/// A read cursor over bytes it does not own.
///
/// Each getter either consumes exactly the bytes it reads and returns true, or returns
/// false and leaves the cursor where it was: a failed read moves nothing. Length checks
/// compare against the bytes that remain, so no arithmetic on untrusted sizes can overflow.
class ByteReader {
 public:
  constexpr explicit ByteReader(ConstBytes bytes) noexcept : bytes_(bytes) {}

  /// Bytes not yet consumed.
  constexpr std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  /// Bytes consumed so far (the offset of the next read).
  constexpr std::size_t consumed() const noexcept { return pos_; }
  /// True when every byte has been consumed.
  constexpr bool empty() const noexcept { return remaining() == 0; }
  /// The unconsumed bytes, as a view into the original span.
  constexpr ConstBytes rest() const noexcept { return bytes_.subspan(pos_); }

  constexpr bool get_u16(std::uint16_t* out) noexcept {
    if (remaining() < 2) return false;
    *out = load_u16le(bytes_.data() + pos_);
    pos_ += 2;
    return true;
  }
  constexpr bool get_u32(std::uint32_t* out) noexcept {
    if (remaining() < 4) return false;
    *out = load_u32le(bytes_.data() + pos_);
    pos_ += 4;
    return true;
  }
  constexpr bool get_u64(std::uint64_t* out) noexcept {
    if (remaining() < 8) return false;
    *out = load_u64le(bytes_.data() + pos_);
    pos_ += 8;
    return true;
  }
  /// Views the next `n` bytes without copying them.
  constexpr bool get_bytes(std::size_t n, ConstBytes* out) noexcept {
    if (remaining() < n) return false;
    *out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  constexpr bool skip(std::size_t n) noexcept {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  ConstBytes bytes_;
  std::size_t pos_ = 0;
};

/// A write cursor over a caller-owned buffer. A failed put writes nothing and returns false.
class ByteWriter {
 public:
  constexpr explicit ByteWriter(MutableBytes out) noexcept : out_(out) {}

  constexpr std::size_t written() const noexcept { return pos_; }
  constexpr std::size_t remaining() const noexcept { return out_.size() - pos_; }

  constexpr bool put_u16(std::uint16_t v) noexcept {
    if (remaining() < 2) return false;
    store_u16le(out_.data() + pos_, v);
    pos_ += 2;
    return true;
  }
  constexpr bool put_u32(std::uint32_t v) noexcept {
    if (remaining() < 4) return false;
    store_u32le(out_.data() + pos_, v);
    pos_ += 4;
    return true;
  }
  constexpr bool put_u64(std::uint64_t v) noexcept {
    if (remaining() < 8) return false;
    store_u64le(out_.data() + pos_, v);
    pos_ += 8;
    return true;
  }
  bool put_bytes(ConstBytes bytes) noexcept {
    if (remaining() < bytes.size()) return false;
    if (!bytes.empty()) std::memcpy(out_.data() + pos_, bytes.data(), bytes.size());
    pos_ += bytes.size();
    return true;
  }
  bool put_zeros(std::size_t n) noexcept {
    if (remaining() < n) return false;
    if (n != 0) std::memset(out_.data() + pos_, 0, n);
    pos_ += n;
    return true;
  }

 private:
  MutableBytes out_;
  std::size_t pos_ = 0;
};

/// Rounds `x` up to a multiple of 8, in 64-bit arithmetic so u32 inputs cannot wrap.
constexpr std::uint64_t align8(std::uint64_t x) noexcept { return (x + 7) & ~std::uint64_t{7}; }
/// Rounds `x` up to a multiple of 64.
constexpr std::uint64_t align64(std::uint64_t x) noexcept {
  return (x + 63) & ~std::uint64_t{63};
}

}  // namespace nipc

#endif  // NIPC_CODEC_BYTES_H_
