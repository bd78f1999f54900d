// Hex text <-> bytes for the tools (vectors, testee, peer). Lower-case, no separators.
#ifndef NIPC_TOOLS_COMMON_HEX_H_
#define NIPC_TOOLS_COMMON_HEX_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nipc::tools {

using Bytes = std::vector<std::uint8_t>;

/// Lower-case hex of `bytes`, two digits per byte, nothing between them.
std::string to_hex(std::span<const std::uint8_t> bytes);

/// Parses lower- or upper-case hex with an even number of digits; nullopt otherwise.
std::optional<Bytes> from_hex(std::string_view text);

}  // namespace nipc::tools

#endif  // NIPC_TOOLS_COMMON_HEX_H_
