#include "nipc/transport/server.h"

#include <algorithm>

#include "nipc/codec/batch.h"
#include "nipc/transport/paths.h"

namespace nipc {
namespace {

void bump(std::atomic<std::uint64_t>& counter) {
  // Relaxed: a statistic, read for reports only.
  counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

std::uint32_t next_pow2(std::uint64_t n) noexcept {
  if (n < 16) return 16;
  std::uint64_t p = 16;
  while (p < n && p < (std::uint64_t{1} << 31)) p <<= 1;
  return static_cast<std::uint32_t>(p);
}

TransportResult<std::unique_ptr<Server>> Server::start(ServerConfig config,
                                                       std::shared_ptr<Service> service) {
  if (!service || !is_valid_service_name(config.service))
    return TransportError::of(TransportErrorKind::kBadParameter);
  if (config.supported_profiles == 0) config.supported_profiles = profile::kBaseline;
  // 0x08 has no implementation anywhere: never offered (PROF-WAITADDR-001).
  config.supported_profiles &= ~profile::kShmWaitAddr;
  config.preferred_profiles &= ~profile::kShmWaitAddr;
  // The ceilings are taken before the zeros become defaults: at newest an unconfigured
  // direction may grow to 1 MiB, a configured one never past its value (SVC-GROWTH-003).
  auto ceiling = [&](std::uint32_t configured) -> std::uint32_t {
    if (config.revision == SpecRevision::kSeed) return UINT32_MAX;  // SVC-GROWTH-002
    return configured != 0 ? configured : kRequestPayloadCap;
  };
  const std::uint32_t response_ceiling = ceiling(config.max_response_payload_bytes);
  const std::uint32_t request_ceiling = ceiling(config.max_request_payload_bytes);
  if (config.max_request_payload_bytes == 0)
    config.max_request_payload_bytes = default_request_payload_max(config.revision);
  if (config.max_response_payload_bytes == 0) config.max_response_payload_bytes = 65536;
  std::size_t removed = 0;
  if (config.supported_profiles & kShmProfiles)
    removed = platform::remove_stale_regions(config.run_dir, config.service);
  auto endpoint = platform::endpoint_name(config.run_dir, config.service);
  if (!endpoint) return endpoint.error();
  auto listener = platform::listen(config.run_dir, config.service, config.backlog,
                                   config.packet_size, config.revision);
  if (!listener) return listener.error();
  std::unique_ptr<Server> server(new Server(std::move(config), std::move(service),
                                            std::move(*listener), std::move(*endpoint)));
  server->response_ceiling_ = response_ceiling;
  server->request_ceiling_ = request_ceiling;
  // Relaxed: a statistic; the server's threads start after this.
  server->counters_.stale_regions_removed.store(removed, std::memory_order_relaxed);
  return server;
}

Server::Server(ServerConfig config, std::shared_ptr<Service> service,
               std::unique_ptr<PacketListener> listener, std::string endpoint)
    : config_(std::move(config)),
      service_(std::move(service)),
      listener_(std::move(listener)),
      endpoint_(std::move(endpoint)),
      learned_response_(config_.max_response_payload_bytes) {}

Server::~Server() {
  stop();
  reap(true);
}

void Server::reap(bool all) {
  std::vector<Worker> finished;
  {
    std::lock_guard<std::mutex> lock(threads_mu_);
    for (auto it = threads_.begin(); it != threads_.end();) {
      // Acquire pairs with the worker's release store: its session is fully torn down.
      if (all || it->done->load(std::memory_order_acquire)) {
        finished.push_back(std::move(*it));
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : finished)
    if (w.thread.joinable()) w.thread.join();
}

ServerStats Server::stats() const {
  // Relaxed: each counter is read on its own; a report need not be one consistent snapshot.
  auto get = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  ServerStats s;
  s.accepted = get(counters_.accepted);
  s.sessions_ok = get(counters_.sessions_ok);
  s.sessions_shm = get(counters_.sessions_shm);
  s.handshakes_rejected = get(counters_.handshakes_rejected);
  s.requests = get(counters_.requests);
  s.error_responses = get(counters_.error_responses);
  s.regions_created = get(counters_.regions_created);
  s.stale_regions_removed = get(counters_.stale_regions_removed);
  return s;
}

void Server::grow_response(std::uint64_t size) noexcept {
  const std::uint32_t want = std::min(next_pow2(size), response_ceiling_);
  std::uint32_t cur = learned_response_.load(std::memory_order_relaxed);
  // Relaxed CAS: only the value matters, it orders nothing else.
  while (cur < want &&
         !learned_response_.compare_exchange_weak(cur, want, std::memory_order_relaxed)) {
  }
}

void Server::grow_request(std::uint64_t size) noexcept {
  const std::uint32_t want = std::min(next_pow2(size), request_ceiling_);
  std::uint32_t cur = learned_request_.load(std::memory_order_relaxed);
  // Relaxed CAS: a size hint like learned_response_.
  while (cur < want &&
         !learned_request_.compare_exchange_weak(cur, want, std::memory_order_relaxed)) {
  }
}

void Server::run(std::uint64_t max_sessions) {
  std::uint64_t accepted = 0;
  while (max_sessions == 0 || accepted < max_sessions) {
    auto channel = listener_->accept(Deadline::never(), &cancel_);
    if (!channel) {
      if (channel.error().kind == TransportErrorKind::kCancelled) break;
      continue;  // a failed accept (e.g. descriptor exhaustion) does not end the server
    }
    // Consumed per accept attempt, even if the handshake then fails (HS-SID-001).
    std::uint64_t sid = next_session_id_++;
    ++accepted;
    bump(counters_.accepted);
    reap(false);  // join the workers of sessions that ended meanwhile
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread t([this, done, sid, ch = std::move(*channel)]() mutable {
      serve_session(std::move(ch), sid);
      // Release: everything the session did happens-before the join in reap().
      done->store(true, std::memory_order_release);
    });
    std::lock_guard<std::mutex> lock(threads_mu_);
    threads_.push_back(Worker{std::move(t), std::move(done)});
  }
  reap(true);
}

void Server::serve_session(std::unique_ptr<PacketChannel> channel, std::uint64_t session_id) {
  ServerPolicy policy;
  policy.auth_token = config_.auth_token;
  policy.supported_profiles = config_.supported_profiles;
  policy.preferred_profiles = config_.preferred_profiles;
  policy.max_request_payload_bytes = config_.max_request_payload_bytes;
  policy.response_payload_bytes = learned_response_payload();
  policy.packet_size = config_.packet_size ? config_.packet_size : channel->native_packet_size();
  policy.session_id = session_id;

  // The region is created after the HELLO is decided and before the ACK is sent
  // (PROF-SHM-READY-001), sized for the agreed limits: the request area always holds the
  // largest request the session allows.
  std::unique_ptr<platform::SessionRegion> region;
  RegionPreparer prepare = [&](const HelloAck& ack) {
    platform::RegionKey key{config_.run_dir, config_.service, config_.auth_token,
                           ack.selected_profile, session_id};
    auto r = platform::create_region(key, ack.agreed_max_request_payload_bytes + 32u,
                                     ack.agreed_max_response_payload_bytes + 32u);
    if (!r) return false;
    region = std::move(*r);
    bump(counters_.regions_created);
    if (config_.on_region_created) config_.on_region_created(region->name());
    return true;
  };
  auto hs = server_handshake(*channel, policy, Deadline::after_ms(config_.handshake_timeout_ms),
                             &cancel_, prepare);
  if (!hs) return;
  const HelloAck& ack = hs->decision.ack;
  if (hs->decision.status != TransportStatus::kOk) {
    bump(counters_.handshakes_rejected);
    return;
  }
  bump(counters_.sessions_ok);
  grow_request(ack.agreed_max_request_payload_bytes);  // SVC-LEARN-002
  if (config_.max_concurrent_sessions != 0 &&
      active_.load(std::memory_order_relaxed) >= config_.max_concurrent_sessions)
    return;  // over capacity: the client sees the OK ACK, then the connection closes
  // Relaxed: a session count, not a guard for other data.
  active_.fetch_add(1, std::memory_order_relaxed);
  std::unique_ptr<MessageLink> link;
  if ((ack.selected_profile & kShmProfiles) != 0 && region) {
    bump(counters_.sessions_shm);
    link = region->into_link(std::move(channel), true, request_limits(ack));
  } else {
    region.reset();
    link = std::make_unique<PacketLink>(std::move(channel), ack.agreed_packet_size,
                                        request_limits(ack));
  }
  ServerSession session(std::move(link), ack);
  serve_requests(session);
  active_.fetch_sub(1, std::memory_order_relaxed);
}

void Server::serve_requests(ServerSession& session) {
  std::vector<std::uint8_t> item_out;
  std::vector<std::vector<std::uint8_t>> items;
  std::vector<ConstBytes> parts;
  std::vector<std::uint8_t> batch_out;
  // All four buffers live for the whole session and only grow: once warm, answering a
  // request allocates nothing (the service's own output aside).
  const std::uint32_t response_max = session.ack().agreed_max_response_payload_bytes;
  const std::size_t room = response_room(response_max);
  for (;;) {
    auto req = session.receive_request(Deadline::never(), &cancel_);
    if (!req) {
      const TransportError& e = req.error();
      // A request the server can answer with a status (limits: SVC-REQLIMIT-001; batch
      // directory: BAD_ENVELOPE) gets that answer; then the session ends (SESS-DEAD-001).
      auto h = session.last_header();
      if (e.rule && h && h->kind == Kind::kRequest) {
        if (auto status = error_info(*e.rule).reply_status) {
          // An over-limit request announces its size: remember it (SVC-LEARN-002).
          if (*status == TransportStatus::kLimitExceeded) grow_request(h->payload_len);
          (void)session.send_error(*h, *status);
          bump(counters_.error_responses);
        }
      }
      return;
    }
    bump(counters_.requests);
    const Header& rh = req->header;
    grow_request(req->payload.size());  // SVC-LEARN-002
    if (rh.code != service_->method()) {
      // Another method on this endpoint: UNSUPPORTED, and the session stays open (SVC-KIND-001).
      if (!session.send_error(rh, TransportStatus::kUnsupported)) return;
      bump(counters_.error_responses);
      continue;
    }
    HandlerStatus status = HandlerStatus::kOk;
    ConstBytes payload;
    Header resp;
    resp.kind = Kind::kResponse;
    resp.code = rh.code;
    resp.message_id = rh.message_id;  // SESS-MSGID-003
    resp.transport_status = static_cast<std::uint16_t>(TransportStatus::kOk);
    if (rh.is_batch() && rh.item_count >= 1) {
      auto view = BatchView::parse(req->payload, rh.item_count);  // validated on receive
      items.resize(rh.item_count);
      parts.assign(rh.item_count, ConstBytes());
      for (std::uint32_t i = 0; i < rh.item_count && status == HandlerStatus::kOk; ++i) {
        items[i].clear();
        HandlerStatus s = service_->handle_bounded(*view->item(i), items[i], room);
        // Any failing item fails the whole batch (BATCH-FAIL-001).
        // An undecodable item makes the request undecodable (SVC-DECODE-001).
        if (s != HandlerStatus::kOk) status = s;
        parts[i] = ConstBytes(items[i]);
      }
      if (status == HandlerStatus::kOk) {
        std::uint64_t size = batch_encoded_size(parts);
        batch_out.resize(size);
        auto n = encode_batch(parts, MutableBytes(batch_out));
        if (!n) status = HandlerStatus::kFailed;
        else batch_out.resize(*n);
        payload = ConstBytes(batch_out);
        resp.flags = kFlagBatch;  // BATCH-RESP-001
        resp.item_count = rh.item_count;
      }
    } else {
      item_out.clear();
      status = service_->handle_bounded(req->payload, item_out, room);
      payload = ConstBytes(item_out);
      resp.item_count = 1;
    }
    if (status == HandlerStatus::kBadRequest) {
      (void)session.send_error(rh, TransportStatus::kBadEnvelope);  // SVC-DECODE-001
      bump(counters_.error_responses);
      return;
    }
    if (status == HandlerStatus::kOverflow) {
      // The response did not fit its room and its size is unknown: grant twice the agreed
      // limit from now on, answer LIMIT_EXCEEDED and close (SVC-BUILDER-001, SVC-GROWTH-001).
      grow_response(std::uint64_t{response_max} * 2);
      (void)session.send_error(rh, TransportStatus::kLimitExceeded);
      bump(counters_.error_responses);
      return;
    }
    if (status == HandlerStatus::kFailed) {
      (void)session.send_error(rh, TransportStatus::kInternalError);  // SVC-HANDLER-001
      bump(counters_.error_responses);
      return;
    }
    if (payload.size() > response_max) {
      // Not sent: LIMIT_EXCEEDED, close, and grant later sessions enough (SVC-RESPLIMIT-001).
      grow_response(payload.size());
      (void)session.send_error(rh, TransportStatus::kLimitExceeded);
      bump(counters_.error_responses);
      return;
    }
    if (!session.send_response(resp, payload)) return;
  }
}

}  // namespace nipc
