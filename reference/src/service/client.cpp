#include "nipc/service/client.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "nipc/codec/increment.h"
#include "nipc/codec/string_reverse.h"

namespace nipc::service {
namespace {

// Shared-memory waits end after 30 s when the caller set no timeout (a crashed server never
// signals; a socket reports the hang-up instead).
constexpr std::uint32_t kShmDefaultTimeoutMs = 30000;

bool is_request_overflow(const TransportError& e) noexcept {
  return e.kind == TransportErrorKind::kLimitExceeded ||
         e.kind == TransportErrorKind::kShmMessageTooLarge ||
         e.kind == TransportErrorKind::kWinShmMessageTooLarge;
}

CallError err(CallFailure f, std::optional<TransportError> t = std::nullopt, std::uint16_t status = 0,
              std::optional<Error> rule = std::nullopt) {
  CallError e;
  e.failure = f;
  e.transport = t;
  e.status = status;
  e.rule = rule;
  return e;
}

}  // namespace

std::string_view state_name(ClientState s) noexcept {
  switch (s) {
    case ClientState::kDisconnected: return "DISCONNECTED";
    case ClientState::kConnecting: return "CONNECTING";
    case ClientState::kReady: return "READY";
    case ClientState::kNotFound: return "NOT_FOUND";
    case ClientState::kAuthFailed: return "AUTH_FAILED";
    case ClientState::kIncompatible: return "INCOMPATIBLE";
    case ClientState::kBroken: return "BROKEN";
  }
  return "?";
}

std::string_view call_failure_name(CallFailure f) noexcept {
  switch (f) {
    case CallFailure::kNotReady: return "NotReady";
    case CallFailure::kOverflow: return "Overflow";
    case CallFailure::kStatus: return "Status";
    case CallFailure::kTransport: return "Transport";
    case CallFailure::kDecode: return "Decode";
  }
  return "?";
}

std::string CallError::describe() const {
  std::string s(call_failure_name(failure));
  if (transport) s += ": " + transport->describe();
  if (failure == CallFailure::kStatus) s += ": transport_status " + std::to_string(status);
  if (rule) s += ": " + std::string(error_name(*rule));
  return s;
}

ClientState state_after_connect_failure(const TransportError& e) noexcept {
  if (e.kind == TransportErrorKind::kNotFound) return ClientState::kNotFound;
  if (e.rule) {
    switch (*e.rule) {
      case Error::kAckRejectedAuth: return ClientState::kAuthFailed;
      case Error::kAckRejectedUnsupported:
      case Error::kAckRejectedIncompatible:
      case Error::kAckBadLayout:
        return ClientState::kIncompatible;
      default: break;
    }
  }
  return ClientState::kDisconnected;
}

std::uint32_t next_pow2(std::uint64_t n) noexcept {
  if (n < 16) return 16;
  std::uint64_t p = 16;
  while (p < n && p < (1ull << 31)) p <<= 1;
  return static_cast<std::uint32_t>(p);
}

TransportResult<std::unique_ptr<ClientSession>> TransportSource::open(std::uint32_t request_payload,
                                                                      std::uint32_t response_hint) {
  client_.set_proposals(request_payload, response_hint);
  return client_.connect();
}

ServiceClient::ServiceClient(ServiceClientConfig config)
    : ServiceClient(std::make_unique<TransportSource>(config.transport),
                    config.transport.max_request_payload_bytes ? config.transport.max_request_payload_bytes
                                                               : kDefaultPayloadLimit,
                    config.transport.max_response_payload_bytes ? config.transport.max_response_payload_bytes
                                                                : kDefaultPayloadLimit,
                    config.response_timeout_ms) {}

ServiceClient::ServiceClient(std::unique_ptr<SessionSource> source, std::uint32_t initial_request,
                             std::uint32_t initial_hint, std::uint32_t response_timeout_ms)
    : source_(std::move(source)),
      request_proposal_(initial_request),
      response_hint_(initial_hint),
      response_timeout_ms_(response_timeout_ms) {}

ServiceClient::~ServiceClient() = default;

void ServiceClient::teardown() { session_.reset(); }

bool ServiceClient::connect() {
  state_ = ClientState::kConnecting;
  auto s = source_->open(request_proposal_, response_hint_);
  if (!s) {
    last_error_ = s.error();
    state_ = state_after_connect_failure(s.error());
    return false;
  }
  session_ = std::move(*s);
  state_ = ClientState::kReady;
  return true;
}

bool ServiceClient::refresh() {
  const ClientState before = state_;
  switch (state_) {
    case ClientState::kDisconnected:
    case ClientState::kNotFound:
      if (connect()) ++counters_.connects;
      break;
    case ClientState::kBroken:
      teardown();
      if (connect()) ++counters_.reconnects;
      break;
    case ClientState::kReady:
    case ClientState::kConnecting:
    case ClientState::kAuthFailed:    // sticky (SVC-STATE-001): a wrong token stays wrong
    case ClientState::kIncompatible:  // sticky: the server will not change its mind
      break;
  }
  return state_ != before;
}

CallError ServiceClient::fail_call(CallError e) {
  ++counters_.errors;
  return e;
}

// One attempt (SVC-CALL-001): send, receive, check the status, decode. Growth is noted here,
// where the evidence is; the caller decides whether to reconnect.
ServiceClient::AttemptResult ServiceClient::attempt(std::uint16_t method, ConstBytes payload,
                                                    const Decoder& decode) {
  AttemptResult out;
  if (!session_) {
    out.error = err(CallFailure::kTransport, TransportError::of(TransportErrorKind::kPeerClosed));
    return out;
  }
  Header h;
  h.kind = Kind::kRequest;
  h.code = method;
  h.item_count = 1;
  // Ids count successful calls only, so a retried request carries the same id (SVC-CALL-001).
  h.message_id = counters_.calls + 1;
  if (auto sent = session_->send_request(h, payload); !sent) {
    if (is_request_overflow(sent.error())) {
      const std::uint32_t grown =
          std::min<std::uint32_t>(next_pow2(payload.size()), kGrowthCeiling);
      request_proposal_ = std::max(request_proposal_, grown);
      out.kind = Attempt::kOverflow;
      out.error = err(CallFailure::kOverflow, sent.error());
      return out;
    }
    out.error = err(CallFailure::kTransport, sent.error());
    return out;
  }
  const bool shm = (session_->profile() & kShmProfiles) != 0;
  const std::uint32_t wait_ms = response_timeout_ms_ ? response_timeout_ms_ : (shm ? kShmDefaultTimeoutMs : 0);
  const Deadline deadline = wait_ms ? Deadline::after_ms(wait_ms) : Deadline::never();
  auto r = session_->receive_response(deadline);
  if (!r) {
    out.error = err(CallFailure::kTransport, r.error());
    return out;
  }
  const std::uint16_t status = r->header.transport_status;
  if (status == static_cast<std::uint16_t>(TransportStatus::kLimitExceeded)) {
    const std::uint64_t doubled = 2ull * session_->ack().agreed_max_response_payload_bytes;
    const std::uint32_t grown = std::min<std::uint32_t>(next_pow2(doubled), kGrowthCeiling);
    response_hint_ = std::max(response_hint_, grown);
    out.kind = Attempt::kOverflow;
    out.error = err(CallFailure::kOverflow, std::nullopt, status);
    return out;
  }
  if (status != static_cast<std::uint16_t>(TransportStatus::kOk)) {
    // SVC-STATUS-001: a failed status says nothing about the payload; it is never read.
    out.error = err(CallFailure::kStatus, std::nullopt, status);
    return out;
  }
  if (auto rule = decode(r->payload)) {
    out.error = err(CallFailure::kDecode, std::nullopt, status, *rule);
    return out;
  }
  out.kind = Attempt::kOk;
  return out;
}

// SVC-OVERFLOW-001: repeat on a new session with grown proposals while something grew, at
// most kMaxOverflowAttempts attempts. Returns kOverflow when recovery gave up (the state is
// already BROKEN, or the connect result), kFailed for an ordinary failure.
ServiceClient::AttemptResult ServiceClient::attempt_with_overflow(std::uint16_t method, ConstBytes payload,
                                                                  const Decoder& decode) {
  std::uint32_t overflow_retries = 0;
  for (;;) {
    const auto& ack = session_->ack();
    const std::array<std::uint32_t, 4> before = {ack.agreed_max_request_payload_bytes,
                                                 ack.agreed_max_response_payload_bytes, request_proposal_,
                                                 response_hint_};
    AttemptResult r = attempt(method, payload, decode);
    if (r.kind != Attempt::kOverflow) return r;
    teardown();
    if (!connect()) {
      r.error.transport = last_error_;
      return r;
    }
    ++counters_.reconnects;
    ++counters_.overflow_reconnects;
    const auto& now = session_->ack();
    const bool grew = now.agreed_max_request_payload_bytes > before[0] ||
                      now.agreed_max_response_payload_bytes > before[1] || request_proposal_ > before[2] ||
                      response_hint_ > before[3];
    if (!grew || ++overflow_retries >= kMaxOverflowAttempts) {
      teardown();
      state_ = ClientState::kBroken;
      return r;
    }
  }
}

CallResult<std::monostate> ServiceClient::call(std::uint16_t method, ConstBytes payload, const Decoder& decode) {
  if (state_ != ClientState::kReady) return fail_call(err(CallFailure::kNotReady));
  AttemptResult r = attempt_with_overflow(method, payload, decode);
  if (r.kind == Attempt::kOk) {
    ++counters_.calls;
    return std::monostate{};
  }
  if (r.kind == Attempt::kOverflow) return fail_call(r.error);
  // SVC-RETRY-001: an ordinary failure gets one new session and one more attempt; the
  // server may see the request twice.
  teardown();
  state_ = ClientState::kBroken;
  if (!connect()) return fail_call(r.error);
  ++counters_.reconnects;
  ++counters_.retries;
  AttemptResult again = attempt(method, payload, decode);
  if (again.kind == Attempt::kOk) {
    ++counters_.calls;
    return std::monostate{};
  }
  teardown();
  state_ = ClientState::kBroken;
  return fail_call(again.error);
}

CallResult<std::uint64_t> ServiceClient::increment(std::uint64_t value) {
  std::array<std::uint8_t, 8> req{};
  (void)encode_increment(value, MutableBytes(req));
  std::uint64_t answer = 0;
  auto r = call(static_cast<std::uint16_t>(Method::kIncrement), ConstBytes(req),
                [&](ConstBytes p) -> std::optional<Error> {
                  auto v = decode_increment(p);
                  if (!v) return v.error();
                  answer = *v;
                  return std::nullopt;
                });
  if (!ok(r)) return std::get<CallError>(r);
  return answer;
}

CallResult<std::string> ServiceClient::string_reverse(std::string_view text) {
  request_buffer_.resize(string_reverse_encoded_size(text.size()));
  auto len = encode_string_reverse(text, MutableBytes(request_buffer_));
  if (!len) return fail_call(err(CallFailure::kDecode, std::nullopt, 0, len.error()));
  std::string answer;
  auto r = call(static_cast<std::uint16_t>(Method::kStringReverse), ConstBytes(request_buffer_.data(), *len),
                [&](ConstBytes p) -> std::optional<Error> {
                  auto v = decode_string_reverse(p);
                  if (!v) return v.error();
                  answer.assign(*v);
                  return std::nullopt;
                });
  if (!ok(r)) return std::get<CallError>(r);
  return answer;
}

CallResult<SnapshotView> ServiceClient::cgroups_snapshot() {
  std::array<std::uint8_t, 4> req{};
  (void)encode_snapshot_request(MutableBytes(req));
  std::optional<SnapshotView> view;
  auto r = call(static_cast<std::uint16_t>(Method::kCgroupsSnapshot), ConstBytes(req),
                [&](ConstBytes p) -> std::optional<Error> {
                  auto v = SnapshotView::parse(p);
                  if (!v) return v.error();
                  view = *v;
                  return std::nullopt;
                });
  if (!ok(r)) return std::get<CallError>(r);
  return *view;
}

}  // namespace nipc::service
