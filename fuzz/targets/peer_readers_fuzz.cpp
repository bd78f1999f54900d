// The test peer's readers on hostile input: whatever an IUT sends or leaves in a region, the
// peer must judge it, never crash. Input: one selector byte, then bytes an IUT controls.
//   selector % 3 == 0: a received packet, parsed as header, HELLO, HELLO_ACK and chunk header,
//                      and annotated for the transcript under every expectation;
//   selector % 3 == 1: a region file of that content: opened, its header read, both areas'
//                      sequence words advanced behind the peer's back, then consumed;
//   selector % 3 == 2: the same region, truncated after the peer mapped it (the peer must
//                      notice before touching the missing pages).
//
// Oracles: the sanitizers (no out-of-bounds access, no UB), a consumed message lies inside
// the file and its own area, and a truncated region is reported as not intact.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_support.h"
#include "shm_raw.h"
#include "wire.h"

namespace {

using nipc::peer::Area;
using nipc::Deadline;
using nipc::peer::Expect;
using nipc::peer::RawRegion;

void read_packet(nipc::ConstBytes in) {
  (void)nipc::peer::parse_header(in);
  (void)nipc::peer::parse_chunk(in);
  if (in.size() >= 32) {
    (void)nipc::peer::parse_hello(in.subspan(32));
    (void)nipc::peer::parse_ack(in.subspan(32));
  }
  for (Expect e : {Expect::kMessage, Expect::kHello, Expect::kAck, Expect::kChunk, Expect::kRaw})
    (void)nipc::peer::annotate(in, e);
}

std::string region_path() {
  static const std::string path = [] {
    char dir[] = "/tmp/nipc-peer-fuzz-XXXXXX";
    if (!::mkdtemp(dir)) std::abort();
    return std::string(dir) + "/svc-0000000000000001.ipcshm";
  }();
  return path;
}

bool write_file(const std::string& path, nipc::ConstBytes content) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = content.empty() || ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  return ok;
}

// Advances a u64 sequence word in the file itself, as the IUT would through its own mapping.
void bump_seq(const std::string& path, std::size_t off) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  std::uint8_t b[8] = {};
  if (::pread(fd, b, 8, static_cast<off_t>(off)) == 8) {
    std::uint64_t v = nipc::load_u64le(b) + 1;
    nipc::store_u64le(b, v);
    (void)!::pwrite(fd, b, 8, static_cast<off_t>(off));
  }
  ::close(fd);
}

void read_region(nipc::ConstBytes content, bool truncate) {
  const std::string path = region_path();
  if (!write_file(path, content)) std::abort();
  std::string why;
  auto r = RawRegion::open(path, &why);
  if (!r) {
    NIPC_FUZZ_CHECK(content.size() < 64);
    return;
  }
  (void)nipc::peer::encode(r->header());
  if (truncate) {
    const std::size_t keep = content.empty() ? 0 : content[0] % content.size();
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) std::abort();
    NIPC_FUZZ_CHECK(!r->intact());
    return;  // a caller (Session) stops here: the region is no longer safe to touch
  }
  NIPC_FUZZ_CHECK(r->intact());
  for (Area a : {Area::kRequest, Area::kResponse}) {
    bump_seq(path, a == Area::kRequest ? 32 : 40);
    nipc::peer::Bytes out;
    auto w = r->consume(a, &out, Deadline::after(std::chrono::milliseconds(0)), [] { return false; });
    if (w == RawRegion::Wait::kGot) {
      const auto h = r->header();
      const std::uint64_t off = a == Area::kRequest ? h.request_offset : h.response_offset;
      const std::uint64_t cap = a == Area::kRequest ? h.request_capacity : h.response_capacity;
      NIPC_FUZZ_CHECK(!out.empty() && out.size() <= cap && off + out.size() <= r->file_size());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const nipc::ConstBytes in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: read_packet(in); break;
    case 1: read_region(in, false); break;
    default: read_region(in, true); break;
  }
  return 0;
}
