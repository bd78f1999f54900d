#include "ctx.h"

#ifndef _WIN32
#include <unistd.h>
#endif

#include <algorithm>
#include <bit>
#include <chrono>
#include <csignal>
#include <regex>
#include <cstring>
#include <sstream>
#include <thread>

#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/codec/increment.h"
#include "nipc/codec/string_reverse.h"
#include "nipc/testing/lookup_fixture.h"
#include "names.h"

namespace nipc::peer {
namespace {

constexpr int kBaseStepMs = 1500;
constexpr std::uint32_t kShmBits = profile::kShmHybrid | profile::kShmFutex;

std::string str(std::string_view v) { return std::string(v); }

std::uint32_t highest_bit(std::uint32_t v) { return v == 0 ? 0 : std::bit_floor(v); }

/// Length of the well-formed UTF-8 sequence starting at `s[i]` (RFC 3629: no overlong forms,
/// no surrogates, nothing above U+10FFFF), or 0 when the byte there starts none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  return n;
}

/// Bytes an IUT printed, as text a JSON document can carry: every well-formed UTF-8
/// character kept, every other byte written as \xNN. Never throws on any input.
std::string as_text(std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t n = utf8_length(bytes, i);
    if (n == 0) {
      const auto c = static_cast<unsigned char>(bytes[i]);
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
      continue;
    }
    out.append(bytes.substr(i, n));
    i += n;
  }
  return out;
}

/// The end of the character holding byte `at` of `s` (or `at` when a character starts
/// there): a cut there never splits a UTF-8 sequence.
std::size_t char_boundary(std::string_view s, std::size_t at) {
  if (at >= s.size()) return s.size();
  std::size_t back = at;
  while (back > 0 && at - back < 3 && (static_cast<unsigned char>(s[back]) & 0xC0) == 0x80) --back;
  if (back != at && utf8_length(s, back) > at - back) return back;
  return at;
}

/// At most about `keep` bytes of an IUT's output as text: whole when short, else its head,
/// the count of bytes left out, and its tail, each cut on a character boundary.
std::string bounded_text(std::string_view bytes, std::size_t keep) {
  if (bytes.size() <= keep) return as_text(bytes);
  std::size_t head = char_boundary(bytes, keep / 2);
  std::size_t tail = char_boundary(bytes, bytes.size() - keep / 2);
  return as_text(bytes.substr(0, head)) + "\n[... " + std::to_string(tail - head) + " bytes omitted ...]\n" +
         as_text(bytes.substr(tail));
}

}  // namespace

// ----------------------------------------------------------------------------------------
// Splitting

Packet chunk_packet(const RawChunk& c, ConstBytes payload) {
  Packet p = encode(c);
  p.what = "chunk " + std::to_string(c.chunk_index) + "/" + std::to_string(c.chunk_count);
  p.raw("chunk.payload", payload);
  return p;
}

Split split_message(const RawHeader& h, ConstBytes payload, std::uint32_t packet_size) {
  Split s;
  const std::uint64_t budget = packet_size > 32 ? packet_size - 32 : 1;
  std::uint64_t first = std::min<std::uint64_t>(payload.size(), budget);
  s.first = message_packet(h, payload.first(static_cast<std::size_t>(first)));
  if (32 + payload.size() <= packet_size) return s;
  std::uint64_t rest = payload.size() - first;
  auto count = static_cast<std::uint32_t>(1 + (rest + budget - 1) / budget);
  std::uint64_t at = first;
  for (std::uint32_t i = 1; i < count; ++i) {
    std::uint64_t n = std::min<std::uint64_t>(payload.size() - at, budget);
    RawChunk c;
    c.message_id = h.message_id;
    c.total_message_len = static_cast<std::uint32_t>(32 + payload.size());
    c.chunk_index = i;
    c.chunk_count = count;
    c.chunk_payload_len = static_cast<std::uint32_t>(n);
    s.continuations.push_back({c, Bytes(payload.begin() + static_cast<std::ptrdiff_t>(at),
                                        payload.begin() + static_cast<std::ptrdiff_t>(at + n))});
    at += n;
  }
  return s;
}

// ----------------------------------------------------------------------------------------
// Session

Session::Session(Ctx& ctx, std::unique_ptr<Conn> conn, bool peer_is_client)
    : ctx_(ctx), conn_(std::move(conn)), peer_is_client_(peer_is_client) {}

Session::~Session() = default;

void Session::close() {
#ifdef _WIN32
  // A closing side sets its closed flag before it lets go of the pipe (WIN-SHM-CLOSE-001).
  if (region_) region_->mark_closed();
#endif
  conn_->close();
  region_.reset();
}

std::optional<Session::Ack> Session::handshake(const Packet& hello) {
  send(hello);
  return read_ack();
}

std::optional<Session::Ack> Session::read_ack() {
  Recv r = conn_->recv(ctx_.step(), Expect::kAck);
  if (r.got == Got::kTimeout)
    ctx_.timed_out("HS-FLOW-001", "no reply to the HELLO within " + std::to_string(ctx_.step_ms()) + " ms");
  if (r.got == Got::kClosed) return std::nullopt;
  auto h = parse_header(r.bytes);
  if (!h) ctx_.fail("HS-ACK-HDR-001", "reply of " + std::to_string(r.bytes.size()) + " bytes is no HELLO_ACK");
  auto a = parse_ack(ConstBytes(r.bytes).subspan(32));
  if (!a) ctx_.fail("HS-ACK-HDR-001", "HELLO_ACK payload shorter than 48 bytes");
  ctx_.check(h->magic == kMessageMagic && h->version == 1 && h->header_len == 32, "HS-ACK-HDR-001",
             "HELLO_ACK header has a bad magic, version or header_len");
  ctx_.check(h->kind == 3 && h->code == 2, "HS-ACK-HDR-001",
             "reply is " + kind_name(h->kind) + " code " + std::to_string(h->code) + ", not CONTROL/HELLO_ACK");
  ctx_.check(h->flags == 0 && h->payload_len == 48 && h->item_count == 1 && h->message_id == 0,
             "HS-ACK-HDR-001", "HELLO_ACK header needs flags 0, payload_len 48, item_count 1, message_id 0");
  ctx_.check(r.bytes.size() == 80, "HS-FLOW-001",
             "HELLO_ACK is " + std::to_string(r.bytes.size()) + " bytes, not one 80-byte packet");
  return Ack{*h, *a, r.bytes.size()};
}

Session::Ack Session::accept(const RawHello& hello, std::string_view req) {
  return accepted(handshake(hello_packet(hello)), hello, req);
}

Session::Ack Session::accepted(const std::optional<Ack>& ack, const RawHello& hello, std::string_view req) {
  if (!ack) ctx_.fail(req, "the IUT closed the connection instead of accepting a valid HELLO");
  if (ack->h.status != 0)
    ctx_.fail(req, "valid HELLO rejected with " + status_name(ack->h.status));
  const RawAck& a = ack->a;
  ctx_.check(a.layout_version == 1 && a.flags == 0 && a.reserved == 0, "HS-ACK-FMT-001",
             "HELLO_ACK layout_version/flags/reserved are not 1/0/0");
  ctx_.check(a.session_id != 0, "HS-SID-001", "successful HELLO_ACK carries session_id 0");
  ctx_.check(std::has_single_bit(a.selected), "HS-PROF-002", "selected_profile is not exactly one bit");
  establish(hello, a);
  return *ack;
}

void Session::reject(const Packet& hello, std::uint16_t status, std::string_view req) {
  rejected(handshake(hello), status, req);
}

void Session::rejected(const std::optional<Ack>& ack, std::uint16_t status, std::string_view req) {
  if (!ack)
    ctx_.fail(req, "closed without a HELLO_ACK; expected status " + status_name(status));
  if (ack->h.status != status)
    ctx_.fail(req, "HELLO_ACK status " + status_name(ack->h.status) + ", expected " + status_name(status));
  const RawAck& a = ack->a;
  bool zero = a.layout_version == 1 && a.flags == 0 && a.server_supported == 0 &&
              a.intersection == 0 && a.selected == 0 && a.request_payload == 0 &&
              a.request_batch == 0 && a.response_payload == 0 && a.response_batch == 0 &&
              a.packet_size == 0 && a.reserved == 0 && a.session_id == 0;
  ctx_.check(zero, "HS-REJECT-001", "rejection HELLO_ACK must carry layout_version 1 and every other field 0");
  expect_closed("HS-REJECT-001", "the server closes after a rejection");
}

void Session::silent_close(const Packet& first, std::string_view req) {
  send(first);
  expect_closed(req, "the first packet is not an acceptable HELLO: close without reply");
}

RawHello Session::read_hello() {
  Recv r = conn_->recv(ctx_.step(2), Expect::kHello);
  if (r.got == Got::kTimeout) ctx_.timed_out("HS-FLOW-001", "the client sent no HELLO");
  if (r.got == Got::kClosed) ctx_.fail("HS-FLOW-001", "the client closed without sending a HELLO");
  auto h = parse_header(r.bytes);
  if (!h || r.bytes.size() < 76)
    ctx_.fail("HS-FLOW-001", "first packet of " + std::to_string(r.bytes.size()) + " bytes is not a whole HELLO");
  ctx_.check(r.bytes.size() == 76, "HS-HELLO-FMT-001",
             "HELLO packet is " + std::to_string(r.bytes.size()) + " bytes, not 32 + 44");
  ctx_.check(h->magic == kMessageMagic && h->version == 1 && h->header_len == 32, "ENV-HDR-001",
             "HELLO header magic/version/header_len invalid");
  ctx_.check(h->kind == 3 && h->code == 1 && h->flags == 0 && h->payload_len == 44 &&
                 h->item_count == 1 && h->message_id == 0,
             "HS-HELLO-HDR-001", "HELLO header is not CONTROL/HELLO, flags 0, payload_len 44, item_count 1, message_id 0");
  ctx_.check(h->status == 0, "ENV-STATUS-001", "HELLO transport_status is not 0");
  RawHello hello = *parse_hello(ConstBytes(r.bytes).subspan(32));
  ctx_.check(hello.layout_version == 1, "HS-CLI-HELLO-001", "HELLO layout_version is not 1");
  ctx_.check(hello.flags == 0, "HS-CLI-HELLO-001", "HELLO flags are not 0");
  ctx_.check(hello.reserved == 0, "HS-CLI-HELLO-001", "HELLO reserved is not 0");
  ctx_.check(hello.supported != 0, "HS-CLI-HELLO-001", "HELLO supported_profiles is 0");
  ctx_.check(hello.max_response_batch == hello.max_request_batch, "HS-CLI-HELLO-001",
             "HELLO max_response_batch_items differs from max_request_batch_items");
  ctx_.check((hello.supported & profile::kShmWaitAddr) == 0, "PROF-WAITADDR-001",
             "HELLO offers the reserved profile 0x08");
  hello_ = hello;
  return hello;
}

RawAck Session::ack_for(const RawHello& hello) {
  RawAck a;
  a.server_supported = ctx_.server_profiles;
  a.intersection = hello.supported & ctx_.server_profiles;
  std::uint32_t pref = a.intersection & hello.preferred & ctx_.server_preferred;
  a.selected = highest_bit(pref ? pref : a.intersection);
  a.request_payload = hello.max_request_payload;
  a.request_batch = hello.max_request_batch;
  a.response_payload = ctx_.server_response_limit;
  a.response_batch = hello.max_request_batch;
  a.packet_size = std::min(hello.packet_size, ctx_.server_packet_size);
  a.session_id = ctx_.next_session_id();
  return a;
}

void Session::send_ack(const RawAck& ack, std::uint16_t status, std::optional<RawHeader> header,
                       bool create, std::optional<RegionHdr> region_header) {
  if (status == 0 && (ack.selected & kShmBits) && create) create_region(ack, region_header);
  send(ack_packet(ack, header.value_or(ack_header(status))));
  ack_ = ack;
  if (status == 0) established_ = true;
}

void Session::establish(const RawHello& hello, const RawAck& ack) {
  hello_ = hello;
  ack_ = ack;
  established_ = true;
  if (peer_is_client_ && (ack.selected & kShmBits)) check_region_after_ack();
}

#ifndef _WIN32
void Session::create_region(const RawAck& ack, std::optional<RegionHdr> region_header) {
  RegionHeader rh;
  rh.owner_pid = static_cast<std::int32_t>(::getpid());
  rh.owner_generation = 0x600dcafe;
  rh.request_offset = 64;
  rh.request_capacity = static_cast<std::uint32_t>(align64(std::uint64_t{ack.request_payload} + 32));
  rh.response_offset = static_cast<std::uint32_t>(align64(64 + std::uint64_t{rh.request_capacity}));
  rh.response_capacity = static_cast<std::uint32_t>(align64(std::uint64_t{ack.response_payload} + 32));
  if (region_header) rh = *region_header;
  std::string why;
  region_ = RawRegion::create(region_file(ctx_.cfg().run_dir, ctx_.cfg().service, ack.session_id),
                              rh, std::nullopt, &why);
  if (!region_) ctx_.error("cannot create the SHM region: " + why);
  ctx_.transcript().sent(name(), encode(rh));
}

void Session::check_region_after_ack() {
  // The region must be complete when the ACK arrives: open it at once, no retries
  // (PROF-SHM-READY-001).
  std::string path = region_file(ctx_.cfg().run_dir, ctx_.cfg().service, ack_.session_id);
  std::string why;
  region_ = RawRegion::open(path, &why);
  if (!region_) ctx_.fail("PROF-SHM-READY-001", "region not ready right after the HELLO_ACK: " + why);
  RegionHeader h = region_->header();
  Packet hp = encode(h);
  ctx_.transcript().received(name(), hp);
  auto& c = ctx_;
  c.check(h.magic == 0x4e53484d && h.version == 3 && h.header_len == 64, "SHM-HDR-001",
          "region header magic/version/header_len are not NSHM/3/64");
  c.check(h.owner_pid > 0, "SHM-HDR-001", "region owner_pid is not a process id");
  if (c.iut() && c.def().role == Role::kServer)
    c.check(h.owner_pid == c.iut()->pid(), "SHM-HDR-001",
            "region owner_pid " + std::to_string(h.owner_pid) + " is not the server's pid " +
                std::to_string(c.iut()->pid()));
  c.check(h.owner_generation != 0, "SHM-HDR-001", "region owner_generation is 0");
  c.check(h.request_offset == 64, "SHM-LAYOUT-001", "request_offset is not 64");
  c.check(h.request_capacity % 64 == 0 && h.response_capacity % 64 == 0 && h.response_offset % 64 == 0,
          "SHM-LAYOUT-001", "offsets and capacities must be multiples of 64");
  c.check(h.response_offset >= align64(std::uint64_t{h.request_offset} + h.request_capacity),
          "SHM-LAYOUT-001", "response area overlaps the request area");
  c.check(region_->file_size() >= std::uint64_t{h.response_offset} + h.response_capacity, "SHM-LAYOUT-001",
          "file is smaller than response_offset + response_capacity");
  c.check(region_->file_mode() == 0600, "SHM-LAYOUT-001", "region file mode is not 0600");
  c.check(h.request_capacity >= std::uint64_t{ack_.request_payload} + 32, "SHM-SIZE-001",
          "request area smaller than 32 + agreed_max_request_payload_bytes");
  c.check(h.response_capacity >= std::uint64_t{ack_.response_payload} + 32, "SHM-SIZE-001",
          "response area smaller than 32 + agreed_max_response_payload_bytes");
  c.check(h.request_seq == 0 && h.response_seq == 0 && h.request_len == 0 && h.response_len == 0 &&
              h.request_signal == 0 && h.response_signal == 0,
          "SHM-HDR-001", "region counters do not start at 0");
}
#else
void Session::create_region(const RawAck& ack, std::optional<RegionHdr> region_header) {
  WinRegionHeader rh = win_region_for(ack.selected, ack.request_payload, ack.response_payload);
  if (region_header) rh = *region_header;
  std::string why;
  std::string prefix = ctx_.object_prefix_of(ack.selected, ack.session_id);
  region_ = WinRegion::create(prefix, rh, std::nullopt, true, false, &why);
  if (!region_) ctx_.error("cannot create the SHM region: " + why);
  ctx_.transcript().note(name(), "region " + prefix + "-mapping" + (ack.selected == 2 ? " with both events" : ", no events"));
  ctx_.transcript().sent(name(), encode(rh));
}

void Session::check_region_after_ack() {
  // The mapping must be complete when the ACK arrives: open it at once, no retries
  // (PROF-SHM-READY-001), under the name derived from the session (WIN-SHM-NAME-001).
  std::string prefix = ctx_.object_prefix_of(ack_.selected, ack_.session_id);
  std::string why;
  region_ = WinRegion::open(prefix, ack_.selected, true, &why);
  if (!region_)
    ctx_.fail(win_mapping_exists(prefix + "-mapping") ? "PROF-SHM-READY-001" : "WIN-SHM-NAME-001",
              "no mapping " + prefix + "-mapping right after the HELLO_ACK: " + why);
  ctx_.transcript().note(name(), "opened " + prefix + "-mapping");
  WinRegionHeader h = region_->header();
  ctx_.transcript().received(name(), encode(h));
  auto& c = ctx_;
  c.check(h.magic == win_region_layout::kMagicValue && h.version == 3 && h.header_len == 128, "WIN-SHM-HDR-001",
          "region header magic/version/header_len are " + hex32(h.magic) + "/" + std::to_string(h.version) + "/" +
              std::to_string(h.header_len) + ", not 0x4e535748/3/128");
  c.check(h.profile == ack_.selected, "WIN-SHM-HDR-001",
          "region profile " + std::to_string(h.profile) + " is not the selected profile " + std::to_string(ack_.selected));
  c.check(h.spin_tries != 0, "WIN-SHM-HDR-001", "the server wrote spin_tries 0");
  c.check(h.padding == 0 && h.reserved_zero, "WIN-SHM-HDR-001", "padding or reserved bytes are not 0");
  c.check(h.request_offset == 128, "WIN-SHM-LAYOUT-001", "request_offset " + std::to_string(h.request_offset) + " is not 128");
  c.check(h.request_capacity % 64 == 0 && h.response_capacity % 64 == 0 && h.response_offset % 64 == 0,
          "WIN-SHM-LAYOUT-001", "offsets and capacities must be multiples of 64");
  c.check(h.response_offset == align64(std::uint64_t{h.request_offset} + h.request_capacity), "WIN-SHM-LAYOUT-001",
          "response_offset " + std::to_string(h.response_offset) + " is not align64(128 + request_capacity)");
  c.check(region_->size() >= std::uint64_t{h.response_offset} + h.response_capacity, "WIN-SHM-LAYOUT-001",
          "the mapping is smaller than response_offset + response_capacity");
  c.check(h.request_capacity >= std::uint64_t{ack_.request_payload} + 32, "WIN-SHM-LAYOUT-001",
          "request area smaller than 32 + agreed_max_request_payload_bytes");
  c.check(h.response_capacity >= std::uint64_t{ack_.response_payload} + 32, "WIN-SHM-LAYOUT-001",
          "response area smaller than 32 + agreed_max_response_payload_bytes");
  c.check(h.request_seq == 0 && h.response_seq == 0 && h.request_len == 0 && h.response_len == 0 &&
              h.request_client_closed == 0 && h.response_server_closed == 0,
          "WIN-SHM-HDR-001", "region counters and flags do not start at 0");
  if (ack_.selected == 2)
    c.check(region_->events_open(), "WIN-SHM-NAME-001",
            "the hybrid session has no events " + prefix + "-req_event / -resp_event");
  else
    c.check(!win_event_exists(prefix + "-req_event") && !win_event_exists(prefix + "-resp_event"),
            "WIN-SHM-BUSYWAIT-001", "the busy-wait session has events");
}
#endif

Region* Session::region() {
  if (!region_)
    ctx_.fail("PROF-BITS-001", "the case needs a shared-memory session, but the session is on profile " +
                                   std::to_string(ack_.selected) + (established_ ? "" : " (not established)") +
                                   ": the IUT did not offer or select the SHM profile of this run");
  check_region_intact();
  return region_.get();
}

void Session::check_region_intact() {
#ifndef _WIN32
  if (region_ && !region_->intact())
    ctx_.fail("SHM-LAYOUT-001", "the region file shrank below the " + std::to_string(region_->file_size()) +
                                    " bytes it had when the session began");
#endif
}

void Session::send_message(const RawHeader& h, ConstBytes payload) {
  if (region_) {
    Packet m = message_packet(h, payload);
    publish(m.bytes);
    return;
  }
  std::uint32_t p = ack_.packet_size ? ack_.packet_size : 65536;
  Split s = split_message(h, payload, p);
  if (!send(s.first)) return;
  for (auto& [c, bytes] : s.continuations)
    if (!send(chunk_packet(c, bytes))) return;
}

void Session::publish(ConstBytes msg, std::optional<std::uint32_t> len) {
  region();  // fails the case when the session is not on shared memory
  Area out = peer_is_client_ ? Area::kRequest : Area::kResponse;
  Packet p = annotate(msg, Expect::kMessage);
  p.what = "SHM publish " + p.what + (len ? " (len word " + std::to_string(*len) + ")" : "");
  if (!region_->publish(out, msg, len)) {
    // The area's offset comes from the header of whoever created the region: the IUT's
    // header placing it beyond the file is the IUT's fault, the peer's own is a peer error.
    if (peer_is_client_)
      ctx_.fail("SHM-LAYOUT-001", "a message of " + std::to_string(msg.size()) +
                                      " bytes does not fit the request area the region header places in the file");
    ctx_.error("message does not fit the region mapping");
  }
  ctx_.transcript().sent(name(), p);
}

Session::Incoming Session::receive(Deadline deadline) {
  Incoming in = region_ ? receive_shm(deadline) : receive_packets(deadline);
  if (in.got == Got::kPacket) check_incoming(in.msg);
  return in;
}

Session::Incoming Session::receive_shm(Deadline deadline) {
  Incoming in;
  Bytes bytes;
  Area area = peer_is_client_ ? Area::kResponse : Area::kRequest;
  check_region_intact();
  auto w = region_->consume(area, &bytes, deadline, [this] { return conn_->hung_up(); });
  if (w == Region::Wait::kTimeout) return in;
  if (w == Region::Wait::kHungUp) {
    ctx_.transcript().note(name(), "the IUT closed the session's socket");
    in.got = Got::kClosed;
    return in;
  }
  if (w == Region::Wait::kBadLength)
    ctx_.fail("SHM-PUB-001", "the IUT published a length of 0 or beyond its area");
  Packet p = annotate(bytes, Expect::kMessage);
  p.what = "SHM " + p.what;
  ctx_.transcript().received(name(), p);
  auto h = parse_header(bytes);
  if (!h) ctx_.fail("SHM-MSGLEN-001", "published message shorter than 32 bytes");
  ctx_.check(bytes.size() == 32 + std::uint64_t{h->payload_len}, "SHM-MSGLEN-001",
             "published length " + std::to_string(bytes.size()) + " is not 32 + payload_len " +
                 std::to_string(h->payload_len));
  in.got = Got::kPacket;
  in.msg.h = *h;
  in.msg.payload.assign(bytes.begin() + 32, bytes.end());
  return in;
}

Session::Incoming Session::receive_packets(Deadline deadline) {
  Incoming in;
  Recv r = conn_->recv(deadline, Expect::kMessage);
  if (!r.packet()) {
    in.got = r.got;
    return in;
  }
  in.got = Got::kPacket;
  const std::uint32_t p = established_ ? ack_.packet_size : 0;
  auto h = parse_header(r.bytes);
  if (!h) ctx_.fail("ENV-HDR-001", "the IUT sent a packet of " + std::to_string(r.bytes.size()) + " bytes, shorter than a header");
  in.msg.h = *h;
  const std::uint64_t total = 32 + std::uint64_t{h->payload_len};
  if (p > 32) ctx_.check(r.bytes.size() <= p, "CHUNK-SPLIT-001",
                         "packet of " + std::to_string(r.bytes.size()) + " bytes exceeds the agreed packet size " + std::to_string(p));
  if (p == 0 || total <= p) {
    ctx_.check(r.bytes.size() == total, "ENV-TRAIL-001",
               "single packet of " + std::to_string(r.bytes.size()) + " bytes for a message of 32 + " +
                   std::to_string(h->payload_len));
    in.msg.payload.assign(r.bytes.begin() + std::min<std::size_t>(32, r.bytes.size()), r.bytes.end());
    return in;
  }
  ctx_.check(r.bytes.size() == p, "CHUNK-SPLIT-001",
             "first packet of a chunked message is " + std::to_string(r.bytes.size()) + " bytes, not P = " + std::to_string(p));
  const std::uint64_t budget = p - 32;
  in.msg.payload.assign(r.bytes.begin() + 32, r.bytes.end());
  const std::uint64_t first = r.bytes.size() - 32;
  const std::uint64_t count = 1 + (h->payload_len - first + budget - 1) / budget;
  for (std::uint64_t i = 1; i < count; ++i) {
    Recv c = conn_->recv(ctx_.step(), Expect::kChunk);
    if (c.got == Got::kTimeout)
      ctx_.timed_out("CHUNK-SPLIT-001", "continuation " + std::to_string(i) + " never came");
    if (c.got == Got::kClosed)
      ctx_.fail("CHUNK-SPLIT-001", "the IUT closed in the middle of a chunked message");
    auto ch = parse_chunk(c.bytes);
    if (!ch) ctx_.fail("CHUNK-SPLIT-001", "continuation shorter than 32 bytes");
    if (ch->magic == kMessageMagic)
      ctx_.fail("CHUNK-NOINTERLEAVE-001", "a new message started before the continuations of message " +
                                              std::to_string(h->message_id) + " ended");
    std::uint64_t want = std::min<std::uint64_t>(h->payload_len - in.msg.payload.size(), budget);
    ctx_.check(ch->magic == kChunkMagic && ch->version == 1 && ch->flags == 0, "CHUNK-HDR-001",
               "continuation header magic/version/flags are not 0x4e43484b/1/0");
    ctx_.check(ch->message_id == h->message_id, "CHUNK-SPLIT-001", "continuation message_id differs from the first packet's");
    ctx_.check(ch->chunk_index == i, "CHUNK-SPLIT-001",
               "chunk_index " + std::to_string(ch->chunk_index) + ", expected " + std::to_string(i));
    ctx_.check(ch->chunk_count == count, "CHUNK-SPLIT-001",
               "chunk_count " + std::to_string(ch->chunk_count) + ", expected " + std::to_string(count));
    ctx_.check(ch->total_message_len == total, "CHUNK-SPLIT-001", "total_message_len is not 32 + payload_len");
    ctx_.check(ch->chunk_payload_len == want && c.bytes.size() == 32 + want, "CHUNK-SPLIT-001",
               "continuation carries " + std::to_string(c.bytes.size() - 32) + " bytes (declares " +
                   std::to_string(ch->chunk_payload_len) + "), expected " + std::to_string(want));
    std::size_t take = std::min<std::size_t>(c.bytes.size() - 32, static_cast<std::size_t>(want));
    in.msg.payload.insert(in.msg.payload.end(), c.bytes.begin() + 32, c.bytes.begin() + 32 + static_cast<std::ptrdiff_t>(take));
    ++in.msg.packets;
  }
  return in;
}

void Session::check_incoming(const Message& m) {
  const RawHeader& h = m.h;
  ctx_.check(h.magic == kMessageMagic && h.version == 1 && h.header_len == 32, "ENV-HDR-001",
             "message header magic/version/header_len invalid");
  ctx_.check((h.flags & ~kFlagBatch) == 0, "ENV-FLAGS-001", "message sets undefined flag bits");
  if ((h.flags & kFlagBatch) == 0)
    ctx_.check(h.item_count == 1, "ENV-ITEMS-001", "non-batch message with item_count " + std::to_string(h.item_count));
  if (!established_) return;
  if (peer_is_client_) {
    ctx_.check(h.kind == 2, "SESS-KIND-001", "server sent " + kind_name(h.kind) + " instead of a RESPONSE");
    ctx_.check(h.payload_len <= ack_.response_payload, "ENV-LIMIT-003",
               "response payload_len " + std::to_string(h.payload_len) + " above the agreed " +
                   std::to_string(ack_.response_payload));
    ctx_.check(h.item_count <= ack_.response_batch, "ENV-LIMIT-004", "response item_count above the agreed limit");
  } else {
    ctx_.check(h.kind == 1, "SESS-KIND-001", "client sent " + kind_name(h.kind) + " instead of a REQUEST");
    ctx_.check(h.status == 0, "ENV-STATUS-001", "request transport_status is not 0");
    ctx_.check(h.payload_len <= ack_.request_payload, "ENV-LIMIT-003",
               "request payload_len " + std::to_string(h.payload_len) + " above the agreed " +
                   std::to_string(ack_.request_payload));
    ctx_.check(h.item_count <= ack_.request_batch, "ENV-LIMIT-004",
               "request item_count " + std::to_string(h.item_count) + " above the agreed " +
                   std::to_string(ack_.request_batch));
    if ((h.flags & kFlagBatch) && h.item_count >= 1)
      ctx_.check(parse_batch(m.payload, h.item_count).has_value(), "BATCH-PRESENT-001",
                 "batch request with an invalid directory");
  }
}

Message Session::expect_message(std::string_view req, const std::string& what) {
  Incoming in = receive(ctx_.step());
  if (in.got == Got::kTimeout)
    ctx_.timed_out(req, "no " + what + " within " + std::to_string(ctx_.step_ms()) + " ms");
  if (in.got == Got::kClosed) ctx_.fail(req, "the IUT closed the session instead of sending " + what);
  return in.msg;
}

void Session::expect_closed(std::string_view req, const std::string& why) {
  Incoming in = region_ ? receive_shm(ctx_.step()) : Incoming{};
  if (!region_) {
    Recv r = conn_->recv(ctx_.step(), Expect::kMessage);
    in.got = r.got;
    if (r.packet()) in.msg.h = parse_header(r.bytes).value_or(RawHeader{});
  }
  if (in.got == Got::kClosed) return;
  if (in.got == Got::kTimeout)
    ctx_.timed_out(req, "connection still open after " + std::to_string(ctx_.step_ms()) + " ms; " + why);
  ctx_.fail(req, "the IUT sent " + kind_name(in.msg.h.kind) + " (" + status_name(in.msg.h.status) +
                     ") where it must close; " + why);
}

Message Session::expect_error(const RawHeader& request, std::uint16_t status, std::string_view req) {
  Message m = expect_message(req, status_name(status) + " error response");
  ctx_.check(m.h.status == status, req,
             "response status " + status_name(m.h.status) + ", expected " + status_name(status));
  ctx_.check(m.h.kind == 2 && m.h.code == request.code && m.h.message_id == request.message_id,
             "SVC-ERRRESP-001", "error response must be a RESPONSE with the request's code and message_id");
  ctx_.check(m.h.flags == 0 && m.h.item_count == 1 && m.h.payload_len == 0 && m.payload.empty(),
             (request.flags & kFlagBatch) ? "BATCH-ERR-001" : "SVC-ERRRESP-001",
             "error response must have flags 0, item_count 1 and an empty payload");
  return m;
}

Message Session::expect_answer(const RawHeader& request, ConstBytes payload, std::string_view req) {
  Message m = expect_message(req, "the response to message_id " + std::to_string(request.message_id));
  if (m.h.status != 0) ctx_.fail(req, "response status " + status_name(m.h.status) + ", expected OK");
  ctx_.check(m.h.kind == 2, "SESS-KIND-001", "answer is not a RESPONSE");
  ctx_.check(m.h.message_id == request.message_id && m.h.code == request.code, "SESS-MSGID-003",
             "response message_id/code " + std::to_string(m.h.message_id) + "/" + std::to_string(m.h.code) +
                 " do not echo the request's " + std::to_string(request.message_id) + "/" + std::to_string(request.code));
  ctx_.check(m.payload == Bytes(payload.begin(), payload.end()), req,
             "response payload " + hex(m.payload, 24) + " differs from the expected " + hex(payload, 24));
  return m;
}

void Session::answer(const Message& req) {
  RawHeader h;
  h.kind = 2;
  h.code = req.h.code;
  h.message_id = req.h.message_id;
  auto one = [&](ConstBytes in, Bytes* out) -> bool {
    const std::string& kind = ctx_.cfg().service_kind;
    if (kind == "increment") {
      auto v = decode_increment(in);
      if (!v) return false;
      *out = increment_payload(*v + 1);
    } else if (kind == "string-reverse") {
      auto s = decode_string_reverse(in);
      if (!s) return false;
      std::string r(s->rbegin(), s->rend());
      *out = string_payload(r);
    } else {
      out->assign(in.begin(), in.end());
    }
    return true;
  };
  Bytes payload;
  bool ok = true;
  if ((req.h.flags & kFlagBatch) && req.h.item_count >= 1) {
    auto view = parse_batch(req.payload, req.h.item_count);
    std::vector<Bytes> items(view ? view->size() : 0);
    for (std::size_t i = 0; ok && view && i < view->size(); ++i) ok = one((*view)[i], &items[i]);
    ok = ok && view.has_value();
    if (ok) {
      payload = batch_payload(items).bytes;
      h.flags = kFlagBatch;
      h.item_count = req.h.item_count;
    }
  } else {
    ok = one(req.payload, &payload);
  }
  if (!ok) {
    h.status = 1;
    h.flags = 0;
    h.item_count = 1;
    payload.clear();
  }
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  send_message(h, payload);
}

std::vector<Message> Session::serve(const std::function<bool(Session&, const Message&)>& respond) {
  std::vector<Message> seen;
  for (;;) {
    Incoming in = receive(ctx_.step(3));
    if (in.got == Got::kClosed) return seen;
    if (in.got == Got::kTimeout)
      ctx_.timed_out("HS-CLI-USE-001", "the client neither sent a request nor closed within " +
                                           std::to_string(ctx_.step_ms(3)) + " ms");
    seen.push_back(in.msg);
    if (respond && respond(*this, in.msg)) continue;
    answer(in.msg);
  }
}

// ----------------------------------------------------------------------------------------
// Ctx

Ctx::Ctx(const CaseDef& def, const RunOptions& opt) : def_(def), opt_(opt) {
  server_profiles = run_bits();
  server_preferred = shm_run() ? opt.profile : 0;
}

Ctx::~Ctx() = default;

void Ctx::check(bool ok, std::string_view req, const std::string& msg) {
  if (ok) return;
  failures_.push_back({str(req), msg, "fail"});
  transcript_.note("check", str(req) + ": " + msg);
}

void Ctx::fail(std::string_view req, const std::string& msg) {
  check(false, req, msg);
  throw CaseStop{};
}

void Ctx::timed_out(std::string_view req, const std::string& msg) {
  failures_.push_back({str(req), msg, "timeout"});
  transcript_.note("check", str(req) + ": " + msg);
  throw CaseStop{};
}

void Ctx::unsupported(const std::string& why) {
  verdict_override_ = "unsupported";
  override_reason_ = why;
  throw CaseStop{};
}

void Ctx::not_applicable(const std::string& why) {
  verdict_override_ = "not-applicable";
  override_reason_ = why;
  throw CaseStop{};
}

ExitStatus Ctx::stop_iut(int grace_ms) {
  if (!iut_) error("no IUT to stop");
  transcript_.note("iut", "SIGTERM");
  ExitStatus e = iut_->stop(grace_ms);
  transcript_.note("iut", "ended: " + e.describe());
  return e;
}

void Ctx::error(const std::string& why) {
  verdict_override_ = "error";
  override_reason_ = why;
  throw CaseStop{};
}

int Ctx::step_ms(double factor) const {
  return static_cast<int>(kBaseStepMs * opt_.timeout_scale * factor);
}

Deadline Ctx::step(double factor) const {
  return Deadline::after(std::chrono::milliseconds(step_ms(factor)));
}

void Ctx::sleep_ms(int ms) {
  note("peer waits " + std::to_string(ms) + " ms");
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

IutProcess::Ready Ctx::launch_iut() {
  std::string why;
  std::vector<std::string> argv = opt_.argv;
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  iut_ = IutProcess::spawn(argv, &why);
  if (!iut_) error("cannot start the IUT: " + why);
  transcript_.note("iut", "started pid " + std::to_string(iut_->pid()));
  if (def_.role == Role::kClient) return IutProcess::Ready::kReady;
  IutProcess::Ready ready;
  Deadline until = Deadline::after(std::chrono::milliseconds(
      static_cast<int>(std::min(opt_.ready_timeout_ms, 10000) * opt_.timeout_scale)));
  if (opt_.ready == "socket") ready = iut_->wait_ready_socket(endpoint(), until);
  else if (opt_.ready == "connect") ready = iut_->wait_ready_connect(endpoint(), until);
  else if (opt_.ready == "delay") ready = iut_->wait_ready_delay(opt_.ready_delay_ms);
  else ready = iut_->wait_ready_line(opt_.ready_pattern, until);
  transcript_.note("iut", ready == IutProcess::Ready::kReady ? "READY" :
                          ready == IutProcess::Ready::kExited ? "exited before READY: " + iut_->poll_exit()->describe()
                                                              : "no READY in time");
  return ready;
}

void Ctx::start_iut() {
  auto ready = launch_iut();
  if (ready == IutProcess::Ready::kReady) return;
  // A server that never becomes ready, or dies first, fails the case: that is the
  // implementation's behaviour, not a problem of the harness.
  if (ready == IutProcess::Ready::kTimeout)
    timed_out("SHIM-READY-001", "the IUT server was not ready in time (ready = " + opt_.ready + ")");
  ExitStatus e = *iut_->poll_exit();
  if (e.signal == 0 && e.code == opt_.exit_unsupported)
    unsupported("the IUT server reports this configuration as not supported");
  fail("SHIM-READY-001", "the IUT server exited before it was ready: " + e.describe());
}

RawHello Ctx::hello() const {
  RawHello h;
  h.supported = run_bits();
  h.preferred = shm_run() ? opt_.profile : 0;
  // 0: the IUT's own default, at least 1024 at every revision (HS-REQ-003, HS-REQ-004).
  const std::uint32_t cap = cfg().max_request_payload ? cfg().max_request_payload : 1024u;
  h.max_request_payload = std::min<std::uint32_t>(4096, cap);
  h.max_request_batch = 16;
  h.max_response_batch = 16;
  h.max_response_payload = 65536;
  h.auth_token = cfg().auth_token;
  h.packet_size = 65536;
  return h;
}

std::unique_ptr<Session> Ctx::connect() {
  // A one-session server has nothing to offer a second connection: what ran so far stands,
  // the rest of the case cannot run.
  if (opt_.one_session && conns_ >= 1) {
    if (!failures_.empty()) throw CaseStop{};
    not_applicable("the IUT server serves one session (sessions = \"one\"); the case needs another connection");
  }
  std::string name = next_name();
  std::string why;
  // A pipe server has no free instance for a moment after each connection: the peer waits
  // for it (WIN-PIPE-ACCEPT-001 has its own case).
  auto c = connect_endpoint(endpoint(), &transcript_, name, &why, step());
  if (!c) fail(endpoint_requirement(), "cannot connect to " + endpoint() + ": " + why);
  return std::make_unique<Session>(*this, std::move(c), true);
}

std::unique_ptr<Session> Ctx::open(std::optional<RawHello> h) {
  auto s = connect();
  s->accept(h.value_or(hello()));
  return s;
}

std::uint16_t Ctx::method() const {
  const std::string& k = cfg().service_kind;
  if (k == "cgroups-snapshot") return 2;
  if (k == "string-reverse") return 3;
  if (k == "cgroups-lookup") return 4;
  if (k == "apps-lookup") return 5;
  return 1;
}

std::pair<Bytes, Bytes> Ctx::sample_request(std::uint64_t n) const {
  const std::string& k = cfg().service_kind;
  if (k == "string-reverse") {
    std::string s = "probe-" + std::to_string(n);
    return {string_payload(s), string_payload(std::string(s.rbegin(), s.rend()))};
  }
  if (k == "cgroups-snapshot") return {Bytes{1, 0, 0, 0}, Bytes{}};
  if (k == "cgroups-lookup" || k == "apps-lookup") {
    // One key of the shim contract's lookup generator under the default seed 1 (SHIM-LOOKUP-001).
    Bytes request, answer;
    if (k == "cgroups-lookup") {
      const std::string key = lookup_cgroup_key(n, 0);
      (void)encode_owned(std::vector<std::string>{key}, &request);
      (void)encode_owned(OwnedCgroupsLookup{1, {lookup_cgroup_answer(1, key)}}, &answer);
    } else {
      const std::uint32_t pid = lookup_pid_key(n, 0, 1);
      (void)encode_owned(std::vector<std::uint32_t>{pid}, &request);
      (void)encode_owned(OwnedAppsLookup{1, {lookup_pid_answer(1, pid)}}, &answer);
    }
    return {request, answer};
  }
  if (k == "echo") {
    Bytes b = increment_payload(n);
    return {b, b};
  }
  return {increment_payload(n), increment_payload(n + 1)};
}

void Ctx::probe() {
  const std::string req = def_.requirements.empty() ? "SESS-DEAD-001" : def_.requirements.front();
  if (!iut_) return;
  if (auto e = iut_->poll_exit())
    fail(req, "liveness: the IUT server ended during the case (" + e->describe() + ")");
  transcript_.note("probe", "liveness probe: a fresh, valid session");
  std::string name = next_name();
  std::string why;
  auto c = connect_endpoint(endpoint(), &transcript_, name, &why, step());
  if (!c) fail(req, "liveness: the IUT no longer accepts connections: " + why);
  Session s(*this, std::move(c), true);
  auto ack = s.handshake(hello_packet(hello()));
  if (!ack || ack->h.status != 0) fail(req, "liveness: the IUT no longer completes a valid handshake");
  s.establish(hello(), ack->a);
  auto [payload, answer] = sample_request(41);
  RawHeader h;
  h.kind = 1;
  h.code = method();
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  h.message_id = 7;
  s.send_message(h, payload);
  Session::Incoming in = s.receive(step());
  if (in.got != Got::kPacket || in.msg.h.status != 0 || in.msg.h.message_id != 7)
    fail(req, "liveness: the IUT no longer answers a valid request");
  if (method() == 2) {
    check(decode_snapshot(in.msg.payload).ok(), req, "liveness: snapshot response does not decode");
  } else {
    check(in.msg.payload == answer, req, "liveness: wrong answer to a valid request");
  }
  s.close();
}

void Ctx::listen() { listen_at(endpoint()); }

std::string Ctx::endpoint() const {
#ifdef _WIN32
  return pipe_name(cfg().run_dir, cfg().service);
#else
  return socket_path();
#endif
}

const char* Ctx::endpoint_requirement() const {
#ifdef _WIN32
  return "WIN-PIPE-NAME-001";
#else
  return "UDS-PATH-001";
#endif
}

std::string Ctx::object_prefix_of(std::uint32_t profile, std::uint64_t session_id) const {
  return object_prefix(cfg().run_dir, cfg().service, cfg().auth_token, profile, session_id);
}

void Ctx::listen_at(const std::string& path) {
  std::string why;
  listener_ = Listener::listen(path, &why);
  if (!listener_) error("the peer cannot listen: " + why);
}

bool Ctx::client_connected() {
  bool connected = listener_ && listener_->accept(Deadline::after(std::chrono::milliseconds(0)), &transcript_, next_name()) != nullptr;
  client_connections_ += connected;
  return connected;
}

std::unique_ptr<Session> Ctx::accept_client(double factor) {
  std::string name = next_name();
  // Wait in slices, so a client that exits without connecting is noticed at once; a
  // connection it made before exiting is still taken.
  const Deadline until = step(factor);
  std::unique_ptr<Conn> c;
  for (;;) {
    bool exited = iut_ && iut_->poll_exit().has_value();
    const int left = until.poll_timeout_ms();
    const int slice = exited ? 0 : (left < 0 || left > 50 ? 50 : left);
    c = listener_->accept(Deadline::after(std::chrono::milliseconds(slice)), &transcript_, name);
    if (c || exited || until.expired()) break;
  }
  if (!c) {
    if (iut_) {
      if (auto e = iut_->poll_exit()) {
        if (e->signal == 0 && e->code == opt_.exit_unsupported)
          unsupported("the IUT client reports this configuration as not supported");
        fail(endpoint_requirement(), "the client exited (" + e->describe() + ") without connecting to " + endpoint());
      }
    }
    timed_out(endpoint_requirement(), "the client did not connect to " + endpoint());
  }
  ++client_connections_;
  return std::make_unique<Session>(*this, std::move(c), false);
}

std::unique_ptr<Session> Ctx::try_accept_client(int ms) {
  auto c = listener_->accept(Deadline::after(std::chrono::milliseconds(ms)), &transcript_, "s" + std::to_string(conns_ + 1));
  if (!c) return nullptr;
  ++conns_;
  ++client_connections_;
  return std::make_unique<Session>(*this, std::move(c), false);
}

Ctx::ClientResult Ctx::client_exit(bool unsupported_ends_case) {
  ClientResult r;
  if (!client_exit_) {
    auto e = iut_->wait_exit(step(4));
    if (!e) timed_out(def_.requirements.front(), "the client did not exit in time");
    client_exit_ = *e;
    transcript_.note("iut", "client " + e->describe());
  }
  r.exit = *client_exit_;
  std::string out = iut_->stdout_text();
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) r.result = j;
  }
  if (unsupported_ends_case && r.exit.signal == 0 && r.exit.code == opt_.exit_unsupported)
    unsupported("the IUT client reports this scenario as not supported");
  return r;
}

bool Ctx::client_succeeded(const ClientResult& r) const {
  if (opt_.client_success == "line") {
    const std::regex re(opt_.client_success_pattern);
    std::istringstream in(iut_->stdout_text());
    for (std::string line; std::getline(in, line);)
      if (std::regex_search(line, re)) return true;
    return false;
  }
  return r.exit.ok();
}

void Ctx::expect_client_failed(std::string_view req, std::optional<std::string> rule) {
  ClientResult r = client_exit();
  check(!client_succeeded(r), req, "the client reported success where it must fail");
  check(r.exit.signal == 0, req, "the client crashed: " + r.exit.describe());
  // The reason is the result line's error, or its failure (a response that did not verify).
  const bool reported = r.result.is_object() &&
                        ((r.result.contains("error") && !r.result["error"].is_null()) ||
                         (r.result.contains("failure") && r.result["failure"].is_string() &&
                          !r.result["failure"].get<std::string>().empty()));
  if (!reported) rejection_unreported_ = true;
  // A shim names the codec rule in its result line (SHIM-RESULT-001); when it does, it must be
  // the rule that was broken. A client without a result line is judged on the wire alone.
  if (rule && r.result.is_object() && r.result.contains("error") && r.result["error"].is_object()) {
    const auto& e = r.result["error"];
    std::string got = e.contains("rule") && e["rule"].is_string() ? e["rule"].get<std::string>() : "";
    if (got.empty()) note("the client's result line names no rule; expected " + *rule);
    else check(got == *rule, req, "the client reported rule '" + got + "', expected '" + *rule + "'");
  }
}

ExitStatus Ctx::expect_refusal(IutProcess::Ready ready, std::string_view req, const std::string& started) {
  if (ready == IutProcess::Ready::kReady) fail(req, started);
  std::optional<ExitStatus> e = iut_->poll_exit();
  if (!e) e = iut_->wait_exit(step(2));
  if (!e) timed_out(req, "the server neither started nor refused");
  if (e->ok()) fail(req, "the server exited 0 instead of refusing");
  if (!e->refused())
    fail(req, "the server ended with " + e->describe() +
                  ", which is no refusal: a refusal exits 1, 2 or 3 (SHIM-EXIT-001); a crash or a program "
                  "that could not run refuses nothing");
  return *e;
}

void Ctx::expect_client_ok(std::string_view req) {
  ClientResult r = client_exit();
  if (!client_succeeded(r))
    fail(req, "the client failed (" + r.exit.describe() + "): " + (r.result.is_null() ? "" : r.result.dump()));
}

std::string Ctx::verdict_of() {
  // Positive evidence only: a case whose IUT never ran (spawn() reports a failed exec)
  // observed nothing of it. A program that ran and exited 127 is judged like any other exit.
  if (!iut_ && verdict_override_.empty()) {
    verdict_override_ = "error";
    override_reason_ = "the case never started the IUT: nothing was observed";
  }
  // A client that never connected showed nothing of itself on the wire.
  if (def_.role == Role::kClient && def_.client_connects && client_connections_ == 0 && failures_.empty() &&
      verdict_override_.empty())
    failures_.push_back({def_.requirements.empty() ? std::string("HS-CLI-USE-001") : def_.requirements.front(),
                         "the client never connected to the peer: the case observed nothing of it", "fail"});
  // A recorded failure beats every later way of ending the case: a client that broke a rule
  // and then exits "unsupported" has failed, whatever it says afterwards.
  if (!failures_.empty()) {
    if (!verdict_override_.empty())
      override_reason_ = "after the failure the case ended as " + verdict_override_ + ": " + override_reason_;
    for (const Failure& f : failures_)
      if (f.kind == "timeout") return "timeout";
    return "fail";
  }
  return verdict_override_.empty() ? "pass" : verdict_override_;
}

nlohmann::json Ctx::run() {
  auto start = std::chrono::steady_clock::now();
  try {
    if (!def_.runs_here())
      not_applicable("the case observes " + platform_name(def_.platform, def_.id) + " objects; this peer runs on " +
                     host_platform());
    if (def_.role == Role::kServer) {
      if (def_.start) start_iut();
    } else if (def_.start) {
      listen();
      start_iut();
    }
    def_.run(*this);
    if (def_.role == Role::kServer && def_.probe && failures_.empty() && !opt_.one_session) probe();
  } catch (const CaseStop&) {
  } catch (const std::exception& e) {
    verdict_override_ = "error";
    override_reason_ = std::string("peer exception: ") + e.what();
  }
  nlohmann::json iut = nullptr;
  std::optional<ExitStatus> ended;
  if (iut_) {
    ExitStatus e = def_.role == Role::kServer ? iut_->stop(2000) : iut_->stop(500);
    ended = e;
    // What the IUT printed is bytes: kept bounded and turned into text that cannot break
    // the verdict line (invalid UTF-8, a character cut at the bound).
    nlohmann::json tail = nlohmann::json::array();
    for (const std::string& line : iut_->stderr_tail(30)) tail.push_back(bounded_text(line, 1000));
    iut = {{"pid", iut_->pid()}, {"exit", e.describe()}, {"stderr_tail", tail}};
    iut["stdout"] = bounded_text(iut_->stdout_text(), 4000);
#ifndef _WIN32
    // A server killed by a signal the peer did not send crashed: that is the headline, before
    // whatever the peer saw of it on the wire.
    if (def_.role == Role::kServer && e.signal != 0 && e.signal != SIGTERM && e.signal != SIGKILL &&
        verdict_override_.empty() && !def_.requirements.empty())
      failures_.insert(failures_.begin(), Failure{def_.requirements.front(),
                                                  "the IUT server crashed during the case (" + e.describe() + ")",
                                                  "fail"});
#endif
    if (!iut_->strays().empty()) {
      nlohmann::json strays = nlohmann::json::array();
      std::string list;
      for (const std::string& p : iut_->strays()) {
        strays.push_back(as_text(p));
        list += (list.empty() ? "" : ", ") + as_text(p);
      }
      iut["strays"] = strays;
      if (verdict_override_.empty())
        failures_.push_back({"SHIM-STOP-001", "the IUT left processes running after it ended (killed): " + list,
                             "fail"});
    }
  }
  std::string verdict = verdict_of();
  if (verdict == "pass" && rejection_unreported_) {
    verdict = "unreported";
    override_reason_ = "the client failed as it must, but reported no reason (no result line naming the error): "
                       "the rejection is not verified";
  }
  nlohmann::json fails = nlohmann::json::array();
  for (const Failure& f : failures_)
    fails.push_back({{"requirement", f.requirement}, {"message", f.message}, {"kind", f.kind}});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {{"case", def_.id},
          {"verdict", verdict},
          {"reason", override_reason_},
          {"failures", fails},
          {"seconds", secs},
          {"exchange", transcript_.to_json()},
          {"iut", iut}};
}

}  // namespace nipc::peer
