// Differential fuzzing: the same bytes decoded by the reference, in process, and by another
// implementation's codec testee, out of process, through the codec testee contract
// (vectors/README.md: 4-byte little-endian length + UTF-8 JSON each way).
//
// Environment:
//   NIPC_DIFF_TESTEE    command line of the testee under test (whitespace-separated words,
//                       no quoting). Unset: the target says so and exits 0 (nothing to do).
//   NIPC_DIFF_REFERENCE optional command line of the reference's own testee. When set, a
//                       verdict is compared as JSON with it (result, error and fields), so
//                       the decoded fields are compared too; when unset, the testee's result
//                       and error class are compared with the in-process reference.
//   NIPC_DIFF_OUT       directory for disagreements (default out/fuzz/differential).
//   NIPC_DIFF_LENIENT   1: two rejections with different error classes are not a
//                       disagreement (for testees that do not distinguish classes).
//   NIPC_DIFF_ABORT     1: trap on the first disagreement (CI smoke runs), after writing it.
//
// Input: byte 0 picks a family among those both sides decode; for `batch` a u32 item_count
// (context.item_count) follows; the rest are the bytes the family's vectors carry.
//
// Every disagreement is written as a JSON vector candidate (the case as vectors/*.json would
// hold it, with the reference's verdict, plus both raw answers); see fuzz/README.md for how a
// candidate becomes a vector case. At most 5 files per distinct (family, verdicts) signature.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "nipc/codec/batch.h"
#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/codec/chunk.h"
#include "nipc/codec/header.h"
#include "nipc/codec/hello.h"
#include "nipc/codec/increment.h"
#include "nipc/codec/string_reverse.h"

extern "C" char** environ;

namespace {

using nipc::ConstBytes;
using nlohmann::json;

// ---- the in-process reference: verdict and error class per family ----------------------

struct Verdict {
  bool valid = false;
  std::string error;  // error class name when invalid
};

template <class T>
Verdict verdict_of(const nipc::Result<T>& r) {
  if (r.ok()) return {true, ""};
  return {false, std::string(nipc::error_name(r.error()))};
}

struct Family {
  const char* name;
  bool has_item_count;
  Verdict (*decode)(ConstBytes bytes, std::uint32_t item_count);
};

Verdict outer_header(ConstBytes b, std::uint32_t) { return verdict_of(nipc::decode_header(b)); }
Verdict chunk_header(ConstBytes b, std::uint32_t) {
  return verdict_of(nipc::decode_chunk_header(b));
}
Verdict hello(ConstBytes b, std::uint32_t) { return verdict_of(nipc::decode_hello(b)); }
Verdict hello_ack(ConstBytes b, std::uint32_t) { return verdict_of(nipc::decode_hello_ack(b)); }
Verdict batch(ConstBytes b, std::uint32_t n) { return verdict_of(nipc::BatchView::parse(b, n)); }
Verdict increment(ConstBytes b, std::uint32_t) { return verdict_of(nipc::decode_increment(b)); }
Verdict string_reverse(ConstBytes b, std::uint32_t) {
  return verdict_of(nipc::decode_string_reverse(b));
}
Verdict snapshot_request(ConstBytes b, std::uint32_t) {
  return verdict_of(nipc::decode_snapshot_request(b));
}
Verdict snapshot_response(ConstBytes b, std::uint32_t) {
  return verdict_of(nipc::SnapshotView::parse(b));
}

// The order is the meaning of input byte 0 (fuzz/seeds and runners/ctslib/fuzz.py use it).
const Family kFamilies[] = {
    {"outer_header", false, outer_header},
    {"chunk_header", false, chunk_header},
    {"hello", false, hello},
    {"hello_ack", false, hello_ack},
    {"batch", true, batch},
    {"increment", false, increment},
    {"string_reverse", false, string_reverse},
    {"cgroups_snapshot_request", false, snapshot_request},
    {"cgroups_snapshot_response", false, snapshot_response},
};

// ---- a codec testee child process -------------------------------------------------------

std::vector<std::string> split_words(const char* text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string to_hex(ConstBytes bytes) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

class Testee {
 public:
  Testee(std::string label, std::vector<std::string> argv)
      : label_(std::move(label)), argv_(std::move(argv)) {}
  ~Testee() { stop(); }

  const std::string& label() const { return label_; }

  // One request, one response; nullopt when the testee broke the protocol, timed out or died
  // (it is then restarted on the next call).
  std::optional<json> call(const json& request) {
    if (pid_ <= 0 && !start()) return std::nullopt;
    const std::string body = request.dump();
    std::string frame(4, '\0');
    nipc::store_u32le(reinterpret_cast<std::uint8_t*>(frame.data()),
                      static_cast<std::uint32_t>(body.size()));
    frame += body;
    std::array<std::uint8_t, 4> head{};
    std::string reply;
    if (!write_all(frame) || !read_exact(head.data(), 4)) return fail();
    reply.resize(nipc::load_u32le(head.data()));
    if (reply.size() > (64u << 20) ||
        !read_exact(reinterpret_cast<std::uint8_t*>(reply.data()), reply.size()))
      return fail();
    json parsed = json::parse(reply, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) return fail();
    return parsed;
  }

 private:
  bool start() {
    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0) return false;
    if (pipe2(from_child, O_CLOEXEC) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    std::vector<char*> args;
    for (std::string& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    if (rc != 0) {
      std::fprintf(stderr, "differential_fuzz: cannot start %s testee '%s': %s\n", label_.c_str(),
                   argv_[0].c_str(), std::strerror(rc));
      close(to_child[1]);
      close(from_child[0]);
      pid_ = -1;
      return false;
    }
    in_ = to_child[1];
    out_ = from_child[0];
    return true;
  }

  void stop() {
    if (in_ >= 0) close(in_);
    if (out_ >= 0) close(out_);
    in_ = out_ = -1;
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  std::optional<json> fail() {
    stop();
    return std::nullopt;
  }

  bool write_all(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(in_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  bool read_exact(std::uint8_t* out, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
      pollfd pfd{out_, POLLIN, 0};
      const int ready = poll(&pfd, 1, 10000);  // a testee that needs 10 s per answer is hung
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      const ssize_t n = read(out_, out + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  std::string label_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
};

// ---- state ---------------------------------------------------------------------------

struct State {
  std::optional<Testee> testee;
  std::optional<Testee> reference;
  std::vector<const Family*> families;
  std::filesystem::path out_dir = "out/fuzz/differential";
  bool lenient = false;
  bool abort_on_disagreement = false;
  std::map<std::string, int> written_per_signature;
  std::set<std::string> warned_families;
  std::uint64_t disagreements = 0;
};

State& state() {
  static State s;
  return s;
}

bool env_is_one(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && std::string_view(value) == "1";
}

std::uint64_t fnv1a(ConstBytes bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

std::set<std::string> families_of(const json& hello) {
  std::set<std::string> out;
  if (hello.contains("families") && hello["families"].is_array())
    for (const json& f : hello["families"])
      if (f.is_string()) out.insert(f.get<std::string>());
  return out;
}

// The part of an answer that is compared: result, and error or fields.
json comparable(const json& answer, bool with_fields, bool lenient) {
  json out;
  out["result"] = answer.value("result", "");
  if (out["result"] == "invalid" && !lenient) out["error"] = answer.value("error", "");
  if (out["result"] == "valid" && with_fields)
    out["fields"] = answer.value("fields", json::object());
  return out;
}

void record(const Family& family, ConstBytes input, ConstBytes bytes, const json& context,
            const json& reference, const json& testee) {
  State& s = state();
  ++s.disagreements;
  const std::string signature = std::string(family.name) + "|" + reference.dump() + "|" +
                                comparable(testee, false, false).dump();
  int& written = s.written_per_signature[signature];
  if (written < 5) {
    ++written;
    char id[17];
    std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(fnv1a(input)));
    json candidate;
    candidate["name"] = std::string("fuzz-") + family.name + "-" + std::string(id, 8);
    candidate["comment"] = "found by differential_fuzz; reference and testee disagree";
    candidate["flags"] = json::array({"FuzzFound"});
    candidate["hex"] = to_hex(bytes);
    if (!context.empty()) candidate["context"] = context;
    candidate["result"] = reference.value("result", "");
    if (reference.contains("error")) {
      candidate["error"] = reference["error"];
      if (auto e = nipc::error_from_name(reference["error"].get<std::string>()))
        candidate["requirements"] = json::array({std::string(nipc::error_info(*e).requirement)});
    }
    if (reference.contains("fields")) candidate["fields"] = reference["fields"];
    if (!candidate.contains("requirements")) candidate["requirements"] = json::array();
    json doc;
    doc["family"] = family.name;
    doc["reference"] = reference;
    doc["testee"] = testee;
    doc["fuzz_input_hex"] = to_hex(input);
    doc["candidate"] = candidate;
    std::error_code ec;
    std::filesystem::create_directories(s.out_dir, ec);
    const auto path = s.out_dir / (std::string(family.name) + "-" + id + ".json");
    std::ofstream(path) << doc.dump(2) << "\n";
    std::fprintf(stderr, "differential_fuzz: disagreement on %s written to %s\n", family.name,
                 path.c_str());
  }
  if (s.abort_on_disagreement) {
    std::fprintf(stderr, "differential_fuzz: reference %s, testee %s\n", reference.dump().c_str(),
                 testee.dump().c_str());
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  State& s = state();
  signal(SIGPIPE, SIG_IGN);  // a testee that dies must not take the fuzzer with it
  const char* testee = std::getenv("NIPC_DIFF_TESTEE");
  if (testee == nullptr || split_words(testee).empty()) {
    std::fprintf(stderr,
                 "differential_fuzz: NIPC_DIFF_TESTEE is not set, so there is no second decoder "
                 "to compare with; skipping (see fuzz/README.md)\n");
    std::exit(0);
  }
  s.testee.emplace("testee", split_words(testee));
  if (const char* ref = std::getenv("NIPC_DIFF_REFERENCE"); ref && !split_words(ref).empty())
    s.reference.emplace("reference", split_words(ref));
  if (const char* out = std::getenv("NIPC_DIFF_OUT"); out && *out) s.out_dir = out;
  s.lenient = env_is_one("NIPC_DIFF_LENIENT");
  s.abort_on_disagreement = env_is_one("NIPC_DIFF_ABORT");

  const std::optional<json> hello = s.testee->call({{"op", "hello"}});
  if (!hello) {
    std::fprintf(stderr, "differential_fuzz: the testee '%s' did not answer hello\n", testee);
    std::exit(1);
  }
  std::set<std::string> offered = families_of(*hello);
  if (s.reference) {
    const std::optional<json> ref_hello = s.reference->call({{"op", "hello"}});
    if (!ref_hello) {
      std::fprintf(stderr, "differential_fuzz: the reference testee did not answer hello\n");
      std::exit(1);
    }
    const std::set<std::string> ref_families = families_of(*ref_hello);
    if (!ref_families.empty() && !offered.empty()) {
      std::set<std::string> both;
      for (const std::string& f : offered)
        if (ref_families.count(f)) both.insert(f);
      offered = both;
    }
  }
  for (const Family& f : kFamilies)
    if (offered.empty() || offered.count(f.name)) s.families.push_back(&f);
  std::fprintf(stderr, "differential_fuzz: testee '%s' (%s), %zu families, fields %s\n", testee,
               hello->value("implementation", "?").c_str(), s.families.size(),
               s.reference ? "compared with the reference testee" : "not compared");
  if (s.families.empty()) {
    std::fprintf(stderr, "differential_fuzz: no family in common; skipping\n");
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  if (size == 0 || s.families.empty()) return 0;
  const ConstBytes input(data, size);
  const Family& family = *s.families[data[0] % s.families.size()];
  nipc::fuzz::PrefixReader prefix(data + 1, size - 1);
  std::uint32_t item_count = 0;
  if (family.has_item_count) item_count = prefix.u32();
  const ConstBytes bytes = prefix.rest();

  json request;
  request["op"] = "decode";
  request["family"] = family.name;
  request["hex"] = to_hex(bytes);
  request["context"] = json::object();
  if (family.has_item_count) request["context"]["item_count"] = item_count;

  const Verdict in_process = family.decode(bytes, item_count);
  const std::optional<json> answer = s.testee->call(request);
  if (!answer) {
    record(family, input, bytes, request["context"],
           json{{"result", in_process.valid ? "valid" : "invalid"}},
           json{{"result", "error"},
                {"message", "the testee died, timed out or broke the framing"}});
    return 0;
  }
  if (answer->value("result", "") == "unsupported") return 0;

  json expected;
  if (s.reference) {
    const std::optional<json> ref = s.reference->call(request);
    if (!ref) {
      std::fprintf(stderr, "differential_fuzz: the reference testee failed on %s %s\n", family.name,
                   request["hex"].get<std::string>().c_str());
      __builtin_trap();  // the reference's own testee must never fail
    }
    // The reference testee's answer is the one compared; the in-process decode drives the
    // coverage. Should they differ, the testee gives the family other semantics than the
    // decoder function above (say, judging bytes after a header): worth a look, once.
    if ((ref->value("result", "") == "valid") != in_process.valid &&
        s.warned_families.insert(family.name).second)
      std::fprintf(stderr,
                   "differential_fuzz: warning: the reference testee and the in-process decoder "
                   "disagree on %s %s; comparing with the reference testee\n",
                   family.name, request["hex"].get<std::string>().c_str());
    expected = comparable(*ref, true, s.lenient);
  } else {
    expected["result"] = in_process.valid ? "valid" : "invalid";
    if (!in_process.valid && !s.lenient) expected["error"] = in_process.error;
  }
  const json got = comparable(*answer, s.reference.has_value(), s.lenient);
  if (got != expected) record(family, input, bytes, request["context"], expected, *answer);
  return 0;
}
