// Replaying a session vector (session_vectors.h) with the peer's session machinery: the
// same connections, receive checks and verdicts as the hand-written catalogue cases, so a
// vector and the case it re-expresses judge an implementation alike.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>

#include "ctx.h"
#include "session_vectors.h"

namespace nipc::peer {
namespace {

std::uint64_t hello_field(const RawHello& h, const std::string& name) {
  static const std::map<std::string, std::uint64_t RawHello::*> u64s = {{"hello.auth_token", &RawHello::auth_token}};
  static const std::map<std::string, std::uint32_t RawHello::*> u32s = {
      {"hello.supported_profiles", &RawHello::supported}, {"hello.preferred_profiles", &RawHello::preferred}};
  if (auto it = u64s.find(name); it != u64s.end()) return h.*(it->second);
  return h.*(u32s.at(name));
}

std::uint64_t ack_field(const RawAck& a, const std::string& name) {
  static const std::map<std::string, std::uint32_t RawAck::*> u32s = {
      {"server_supported_profiles", &RawAck::server_supported},
      {"intersection_profiles", &RawAck::intersection},
      {"selected_profile", &RawAck::selected},
      {"agreed_max_request_payload_bytes", &RawAck::request_payload},
      {"agreed_max_request_batch_items", &RawAck::request_batch},
      {"agreed_max_response_payload_bytes", &RawAck::response_payload},
      {"agreed_max_response_batch_items", &RawAck::response_batch},
      {"agreed_packet_size", &RawAck::packet_size}};
  const std::string key = name.rfind("ack.", 0) == 0 ? name.substr(4) : name;
  if (key == "session_id") return a.session_id;
  return a.*(u32s.at(key));
}

std::uint64_t header_field(const RawHeader& h, const std::string& name) {
  if (name == "kind") return h.kind;
  if (name == "flags") return h.flags;
  if (name == "code") return h.code;
  if (name == "transport_status") return h.status;
  if (name == "payload_len") return h.payload_len;
  if (name == "item_count") return h.item_count;
  return h.message_id;  // the loader admits no other name
}

// The packet as it goes out: the vector's bytes with the run's values written over the
// fields it marks, labelled field by field for the transcript.
Packet build(const VectorPacket& vp, const std::function<std::uint64_t(const std::string&)>& run_value) {
  Packet p;
  p.what = vp.what;
  for (const VectorField& f : vp.fields) {
    const bool from_run = std::find(vp.run_values.begin(), vp.run_values.end(), f.name) != vp.run_values.end();
    if (!f.value || f.size == 1) {
      p.raw(f.name, ConstBytes(vp.bytes).subspan(f.at, f.size));
      continue;
    }
    const std::uint64_t v = from_run ? run_value(f.name) : *f.value;
    const std::string note = from_run ? "(the run's)" : std::string();
    if (f.size == 2) p.u16(f.name, static_cast<std::uint16_t>(v), note.empty() ? std::string() : std::to_string(v) + " " + note);
    else if (f.size == 4) p.u32(f.name, static_cast<std::uint32_t>(v), note.empty() ? std::string() : std::to_string(v) + " " + note);
    else p.u64(f.name, v, note.empty() ? std::string() : std::to_string(v) + " " + note);
  }
  return p;
}

bool runs_now(const Ctx& c, unsigned on) { return (on & (c.shm_run() ? kOnShm : kOnUds)) != 0; }

// The proposals a HELLO of the vector makes must fit the IUT's configured maximum, or the
// case says nothing about what it is meant to check.
void check_proposal(Ctx& c, const VectorPacket& p) {
  for (const VectorField& f : p.fields) {
    if (f.name == "hello.max_request_payload_bytes" && f.value && c.cfg().max_request_payload != 0 &&
        *f.value > c.cfg().max_request_payload)
      c.not_applicable("the vector proposes max_request_payload_bytes " + std::to_string(*f.value) +
                       ", above the IUT's configured maximum " + std::to_string(c.cfg().max_request_payload));
  }
}

void replay_with_server_iut(Ctx& c, const SessionVector& v) {
  std::unique_ptr<Session> s = c.connect();
  const RawHello run_hello = c.hello();
  RawHello sent_hello{};
  bool established = false;
  std::optional<RawHeader> last_request;
  auto run_value = [&](const std::string& name) { return hello_field(run_hello, name); };
  for (const VectorStep& step : v.steps) {
    if (step.kind == VectorStep::Kind::kSend) {
      if (!runs_now(c, step.on)) {
        c.note("step \"" + step.packet.what + "\" is for the other run profiles: not sent");
        continue;
      }
      Packet p = build(step.packet, run_value);
      if (!established) {
        check_proposal(c, step.packet);
        if (auto h = parse_hello(ConstBytes(p.bytes).subspan(std::min<std::size_t>(32, p.bytes.size()))))
          sent_hello = *h;
        s->send(p);
      } else {
        last_request = parse_header(p.bytes);
        if (s->on_shm()) s->publish(p.bytes);
        else s->send(p);
      }
      continue;
    }
    const VectorExpect& e = step.expect;
    if (e.reaction == "accept") {
      Session::Ack ack = s->accepted(s->read_ack(), sent_hello, e.requirement);
      for (const auto& [name, want] : e.ack) {
        const std::uint64_t got = ack_field(ack.a, name);
        c.check(got == want, e.requirement, "HELLO_ACK " + name + " " + std::to_string(got) + ", expected " + std::to_string(want));
      }
      established = true;
    } else if (e.reaction == "reject") {
      s->rejected(s->read_ack(), *e.status, e.requirement);
    } else if (e.reaction == "close") {
      s->expect_closed(e.requirement, e.why);
    } else if (e.reaction == "error") {
      if (!last_request) c.error("the vector expects an error response but its request has no header");
      s->expect_error(*last_request, *e.status, e.requirement);
    } else if (e.reaction == "reply") {
      if (!last_request) c.error("the vector expects a reply but its request has no header");
      Message m = s->expect_answer(*last_request, e.payload, e.requirement);
      for (const auto& [name, want] : e.header) {
        const std::uint64_t got = header_field(m.h, name);
        c.check(got == want, e.requirement, "response " + name + " " + std::to_string(got) + ", expected " + std::to_string(want));
      }
    } else if (e.reaction == "silence") {
      const int ms = static_cast<int>(e.ms * c.opt().timeout_scale);
      Session::Incoming in = s->receive(Deadline::after(std::chrono::milliseconds(ms)));
      if (in.got == Got::kClosed) c.fail(e.requirement, "the IUT closed the connection where it must stay silent");
      if (in.got == Got::kPacket)
        c.fail(e.requirement, "the IUT sent " + kind_name(in.msg.h.kind) + " where it must stay silent for " + std::to_string(ms) + " ms");
    } else {
      c.error("reaction " + e.reaction + " has no meaning with the IUT as server");
    }
  }
}

void replay_with_client_iut(Ctx& c, const SessionVector& v) {
  std::unique_ptr<Session> s;
  RawAck ack{};
  auto run_value = [&](const std::string& name) { return ack_field(ack, name); };
  for (const VectorStep& step : v.steps) {
    if (step.kind == VectorStep::Kind::kReceiveHello) {
      s = c.accept_client();
      ack = s->ack_for(s->read_hello());
      continue;
    }
    if (step.kind == VectorStep::Kind::kSend) {
      if (!runs_now(c, step.on)) continue;
      s->send(build(step.packet, run_value));
      continue;
    }
    const VectorExpect& e = step.expect;
    if (e.reaction == "close") {
      s->expect_closed(e.requirement, e.why);
    } else if (e.reaction == "client-fails") {
      c.expect_client_failed(e.requirement, e.rule.empty() ? std::nullopt : std::optional<std::string>(e.rule));
    } else if (e.reaction == "silence") {
      const int ms = static_cast<int>(e.ms * c.opt().timeout_scale);
      Recv r = s->conn().recv(Deadline::after(std::chrono::milliseconds(ms)), Expect::kMessage);
      if (r.got == Got::kClosed) c.fail(e.requirement, "the client closed the connection where it must stay silent");
      if (r.got == Got::kPacket) c.fail(e.requirement, "the client sent a packet where it must stay silent");
    } else {
      c.error("reaction " + e.reaction + " has no meaning with the IUT as client");
    }
  }
}

}  // namespace

void replay_session_vector(Ctx& c, const SessionVector& v) {
  c.note("session vector " + std::to_string(v.id) + " " + v.name + " (vectors/sessions.json)" +
         (v.equivalent.empty() ? std::string() : "; re-expresses " + v.equivalent));
  if (v.role == Role::kServer) replay_with_server_iut(c, v);
  else replay_with_client_iut(c, v);
}

}  // namespace nipc::peer
