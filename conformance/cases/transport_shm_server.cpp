// Shared-memory cases with the IUT as server (spec/transport-shm.md, spec/profiles.md): the
// data plane, region files, names and stale regions.
#ifndef _WIN32
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "common.h"
#include "transport_files.h"

namespace nipc::peer::cases {
namespace {

// ---------------------------------------------------------------------------------------
// Shared memory.

void shm_ready(Catalogue& table) {
  table.add({
    .id = "shm.srv.region-ready-and-valid",
    .title = "the region exists with a valid header the moment the HELLO_ACK arrives, and carries the session",
    .requirements = {"PROF-SHM-READY-001", "SHM-HDR-001", "SHM-LAYOUT-001", "SHM-SIZE-001", "SHM-PATH-001",
                     "SHM-CREATE-001", "PROF-BITS-001", "PROF-FUTEX-001", "CHUNK-SCOPE-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto s = c.open();
      if (!s->on_shm()) c.fail("PROF-BITS-001", "an SHM profile was offered and preferred, but not selected");
      for (std::uint64_t id = 1; id <= 3; ++id) round_trip(c, *s, id, "PROF-LOCK-001");
    })});
}

void shm_publication(Catalogue& table) {
  table.add({
    .id = "shm.srv.publication-words",
    .title = "the server publishes a response with resp_len = message length and advances resp_seq and resp_signal",
    .requirements = {"SHM-PUB-001", "SHM-CONSUME-001", "SHM-MSGLEN-001", "SHM-ONEINFLIGHT-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto s = c.open();
      auto [payload, answer] = c.sample_request(9);
      RawHeader h = request(c, 9, payload.size());
      s->send_message(h, payload);
      s->expect_answer(h, answer, "SHM-PUB-001");
      RegionHeader rh = s->region()->header();
      c.transcript().received(s->name(), encode(rh));
      c.check(rh.request_seq == 1 && rh.response_seq == 1, "SHM-PUB-001",
              "after one exchange req_seq/resp_seq are " + std::to_string(rh.request_seq) + "/" +
                  std::to_string(rh.response_seq) + ", expected 1/1");
      c.check(rh.response_len == 32 + answer.size(), "SHM-PUB-001",
              "resp_len " + std::to_string(rh.response_len) + " is not the response message length");
      c.check(rh.response_signal >= 1, "SHM-PUB-001", "resp_signal was not incremented");
    })});
}

struct ShmLenRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  std::function<std::uint32_t(Session&, std::uint32_t)> len;  // the length word to publish
};

const std::vector<ShmLenRow>& shm_len_rows() {
  static const std::vector<ShmLenRow> rows = {
      {"len-longer-than-message", "a length word 8 above 32 + payload_len", {"SHM-MSGLEN-001", "SESS-DEAD-001"},
       [](Session&, std::uint32_t n) { return n + 8; }},
      {"len-shorter-than-message", "a length word 4 below 32 + payload_len", {"SHM-MSGLEN-001", "SESS-DEAD-001"},
       [](Session&, std::uint32_t n) { return n - 4; }},
      {"len-zero", "a length word of 0", {"SHM-CONSUME-001", "SHM-CONSUME-002", "SESS-DEAD-001"}, [](Session&, std::uint32_t) { return 0u; }},
      {"len-beyond-area", "a length word larger than the request area", {"SHM-CONSUME-002", "SHM-CONSUME-001", "SESS-DEAD-001"},
       [](Session& s, std::uint32_t) { return s.region()->header().request_capacity + 64; }},
  };
  return rows;
}

void register_shm_len(Catalogue& table) {
  for (const ShmLenRow& row : shm_len_rows()) {
    table.add({.id = std::string("shm.srv.") + row.id,
               .title = std::string(row.title) + ": the session ends without a reply",
               .requirements = row.reqs,
               .on = kOnShm,
               .run = NIPC_POSIX_BODY([&row](Ctx& c) {
                 auto s = c.open();
                 if (!s->on_shm()) c.fail("PROF-BITS-001", "no SHM session");
                 auto [payload, answer] = c.sample_request(5);
                 Packet p = message_packet(request(c, 5, payload.size()), payload);
                 s->publish(p.bytes, row.len(*s, static_cast<std::uint32_t>(p.size())));
                 s->expect_closed(row.reqs.front(), "a published message whose length is wrong is a protocol error");
               })});
  }
}

void shm_no_socket_data(Catalogue& table) {
  table.add({
    .id = "shm.srv.no-answer-on-socket",
    .title = "a request sent over the socket of an SHM session is never answered over the socket",
    .requirements = {"PROF-LOCK-001", "SHM-SOCKET-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto s = c.open();
      auto [payload, answer] = c.sample_request(6);
      s->send(message_packet(request(c, 6, payload.size()), payload));
      Recv r = s->conn().recv(Deadline::after(std::chrono::milliseconds(300)), Expect::kMessage);
      c.check(!r.packet(), "PROF-LOCK-001", "the server answered over the socket of a shared-memory session");
    })});
}

void shm_removed(Catalogue& table) {
  table.add({
    .id = "shm.srv.region-removed-after-session",
    .title = "when the session ends the server removes its region file",
    .requirements = {"SHM-CLEAN-001", "SHM-SOCKET-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto s = c.open();
      round_trip(c, *s, 1, "SHM-CLEAN-001");
      std::string path = region_of(c, s->ack().session_id);
      s->close();
      c.check(wait_removed(c, path), "SHM-CLEAN-001", path + " still exists after the session ended");
    })});
}

void shm_socket_close(Catalogue& table) {
  table.add({
    .id = "shm.srv.socket-close-ends-session",
    .title = "closing the socket of an idle SHM session ends it: the region file goes away",
    .requirements = {"SHM-SOCKET-001", "SHM-CLEAN-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto s = c.open();
      std::string path = region_of(c, s->ack().session_id);
      s->conn().close();
      c.check(wait_removed(c, path), "SHM-SOCKET-001", "the session's region survives its socket: " + path);
    })});
}

void shm_names(Catalogue& table) {
  table.add({
    .id = "shm.srv.session-scoped-regions",
    .title = "concurrent SHM sessions each have their own region, named by session_id",
    .requirements = {"SHM-PATH-001", "SHM-CLEAN-001", "HS-SID-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto a = c.open();
      auto b = c.open();
      std::string pa = region_of(c, a->ack().session_id), pb = region_of(c, b->ack().session_id);
      c.check(pa != pb && file_exists(pa) && file_exists(pb), "SHM-PATH-001", "the two sessions do not have two region files");
      round_trip(c, *a, 1, "SHM-PATH-001");
      round_trip(c, *b, 2, "SHM-PATH-001");
      a->close();
      c.check(wait_removed(c, pa), "SHM-CLEAN-001", "the ended session's region remains");
      c.check(file_exists(pb), "SHM-CLEAN-001", "ending one session removed the other's region");
      round_trip(c, *b, 3, "SHM-PATH-001");
    })});
}

void shm_stale(Catalogue& table) {
  table.add({
    .id = "shm.srv.stale-region-replaced",
    .title = "a junk file at the next session's region path is removed and the session still gets SHM",
    .requirements = {"SHM-STALE-001", "PROF-SHM-READY-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto first = c.open();
      std::uint64_t next = first->ack().session_id + 1;
      RegionHeader junk;
      junk.magic = 0;
      std::string why;
      auto r = RawRegion::create(region_of(c, next), junk, 64, &why);
      if (!r) c.error("cannot create the junk file: " + why);
      r->drop_ownership();
      c.note("junk region file placed at " + region_of(c, next));
      auto s = c.open();
      c.check(s->ack().session_id == next, "HS-SID-001", "unexpected session_id");
      c.check(s->on_shm(), "SHM-STALE-001", "a stale junk file made the server drop SHM");
      if (s->on_shm()) round_trip(c, *s, 1, "SHM-STALE-001");
    })});
}

void shm_live(Catalogue& table) {
  table.add({
    .id = "shm.srv.live-region-kept",
    .title = "a region file owned by a live process is left alone and SHM is not offered for that session",
    .requirements = {"PROF-OFFER-001", "SHM-STALE-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto first = c.open();
      std::uint64_t next = first->ack().session_id + 1;
      RegionHeader live;
      live.owner_pid = static_cast<std::int32_t>(::getpid());
      live.owner_generation = 0x1234;
      live.request_capacity = 64;
      live.response_offset = 128;
      live.response_capacity = 64;
      std::string why;
      auto r = RawRegion::create(region_of(c, next), live, std::nullopt, &why);
      if (!r) c.error("cannot create the live region: " + why);
      c.note("live region (owner: the peer) placed at " + region_of(c, next));
      auto s = c.connect();
      auto ack = s->accept(c.hello(), "PROF-OFFER-001");
      c.check(ack.a.session_id == next, "HS-SID-001", "unexpected session_id");
      c.check((ack.a.server_supported & kShmBits) == 0 && (ack.a.selected & kShmBits) == 0, "PROF-OFFER-001",
              "SHM offered (" + hex32(ack.a.server_supported) + ") or selected (" + hex32(ack.a.selected) +
                  ") although the session's region cannot be created");
      RegionHeader now = r->header();
      c.check(file_exists(region_of(c, next)) && now.owner_pid == live.owner_pid, "SHM-STALE-001",
              "the server removed or replaced a region whose owner is alive");
      round_trip(c, *s, 1, "PROF-OFFER-001");
    })});
}

void shm_startup_scan(Catalogue& table) {
  table.add({
    .id = "shm.srv.startup-scan",
    .title = "at start-up the server removes its service's stale regions and keeps live and foreign ones",
    .requirements = {"SHM-STALE-002", "SHM-STALE-001"},
    .on = kOnShm,
    .start = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      const std::string dir = c.cfg().run_dir, svc = c.cfg().service;
      RegionHeader junk;
      junk.magic = 0;
      RegionHeader dead;
      dead.owner_pid = 0x7FFFFFF0;  // above any pid_max: no such process
      dead.request_capacity = 64;
      dead.response_offset = 128;
      dead.response_capacity = 64;
      RegionHeader live = dead;
      live.owner_pid = static_cast<std::int32_t>(::getpid());
      struct Planted {
        std::string name;
        RegionHeader h;
        bool removed;
      };
      std::vector<Planted> planted = {
          {svc + "-00000000000000aa.ipcshm", junk, true},
          {svc + "-00000000000000bb.ipcshm", dead, true},
          {svc + "-00000000000000cc.ipcshm", live, false},
          {"other-00000000000000aa.ipcshm", junk, false},
          {svc + "-.ipcshm", junk, false},
      };
      std::vector<std::unique_ptr<RawRegion>> keep;
      for (const Planted& p : planted) {
        std::string why;
        auto r = RawRegion::create(dir + "/" + p.name, p.h, std::nullopt, &why);
        if (!r) c.error("cannot plant " + p.name + ": " + why);
        r->drop_ownership();
        keep.push_back(std::move(r));
      }
      c.note("planted junk, dead-owner, live-owner and foreign region files");
      c.start_iut();
      for (const Planted& p : planted) {
        bool gone = !file_exists(dir + "/" + p.name);
        c.check(gone == p.removed, p.removed ? "SHM-STALE-002" : "SHM-STALE-001",
                p.name + (gone ? " was removed" : " was kept") + " at start-up");
      }
      for (const Planted& p : planted) ::unlink((dir + "/" + p.name).c_str());
    })});
}

void shm_symlink(Catalogue& table) {
  table.add({
    .id = "shm.srv.symlink-not-followed",
    .title = "a symbolic link at the next region path is never followed: its target stays untouched",
    .requirements = {"SHM-CREATE-001", "SHM-STALE-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto first = c.open();
      std::uint64_t next = first->ack().session_id + 1;
      std::string target = c.cfg().run_dir + "/victim";
      {
        std::string why;
        RegionHeader h;
        h.magic = 0x76696374;  // "vict"
        auto r = RawRegion::create(target, h, 64, &why);
        if (!r) c.error("cannot create the victim file: " + why);
        r->drop_ownership();
      }
      if (::symlink(target.c_str(), region_of(c, next).c_str()) != 0) c.error("cannot create the symlink");
      c.note("symlink " + region_of(c, next) + " -> " + target);
      auto s = c.connect();
      s->accept(c.hello(), "SHM-CREATE-001");
      round_trip(c, *s, 1, "SHM-CREATE-001");
      struct stat st;
      std::string why;
      auto victim = RawRegion::open(target, &why);
      c.check(victim && ::stat(target.c_str(), &st) == 0 && st.st_size == 64 &&
                  victim->header().magic == 0x76696374,
              "SHM-CREATE-001", "the server wrote through a symbolic link into " + target);
      ::unlink(target.c_str());
    })});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_transport_shm_server_cases(Catalogue& table) {
  shm_ready(table);
  shm_publication(table);
  register_shm_len(table);
  shm_no_socket_data(table);
  shm_removed(table);
  shm_socket_close(table);
  shm_names(table);
  shm_stale(table);
  shm_live(table);
  shm_startup_scan(table);
  shm_symlink(table);
}

}  // namespace nipc::peer::cases
