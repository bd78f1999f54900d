#include "win_region.h"

namespace nipc::peer {

Packet encode(const WinRegionHeader& h) {
  Packet p;
  p.what = "Windows SHM region header";
  p.u32("magic", h.magic, hex32(h.magic));
  p.u32("version", h.version);
  p.u32("header_len", h.header_len);
  p.u32("profile", h.profile, hex32(h.profile));
  p.u32("request_offset", h.request_offset);
  p.u32("request_capacity", h.request_capacity);
  p.u32("response_offset", h.response_offset);
  p.u32("response_capacity", h.response_capacity);
  p.u32("spin_tries", h.spin_tries);
  p.u32("req_len", static_cast<std::uint32_t>(h.request_len));
  p.u32("resp_len", static_cast<std::uint32_t>(h.response_len));
  p.u32("req_client_closed", static_cast<std::uint32_t>(h.request_client_closed));
  p.u32("req_server_waiting", static_cast<std::uint32_t>(h.request_server_waiting));
  p.u32("resp_server_closed", static_cast<std::uint32_t>(h.response_server_closed));
  p.u32("resp_client_waiting", static_cast<std::uint32_t>(h.response_client_waiting));
  p.u32("padding", h.padding);
  p.u64("req_seq", static_cast<std::uint64_t>(h.request_seq));
  p.u64("resp_seq", static_cast<std::uint64_t>(h.response_seq));
  Bytes reserved(win_region_layout::kReservedLen, 0);
  p.raw("reserved", reserved, h.reserved_zero ? "all 0" : "NOT all 0");
  return p;
}

WinRegionHeader win_region_for(std::uint32_t profile, std::uint32_t request_payload,
                               std::uint32_t response_payload) {
  WinRegionHeader h;
  h.profile = profile;
  h.request_offset = win_region_layout::kSize;
  h.request_capacity = static_cast<std::uint32_t>(align64(std::uint64_t{request_payload} + 32));
  h.response_offset = static_cast<std::uint32_t>(align64(std::uint64_t{h.request_offset} + h.request_capacity));
  h.response_capacity = static_cast<std::uint32_t>(align64(std::uint64_t{response_payload} + 32));
  return h;
}

}  // namespace nipc::peer
