// differential_fuzz's comparison machinery; see differential_harness.h and the header comment
// of targets/differential_fuzz.cpp for the environment, the classes and the files.
#include "differential_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "codec_testee/codec_testee.h"
#include "common/hex.h"
#include "fuzz_support.h"
#include "nipc/codec/errors.h"

extern "C" char** environ;

namespace nipc::fuzz::differential {
namespace {

using nipc::ConstBytes;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The order is the meaning of input byte 0 (fuzz/seeds and runners/ctslib/fuzz.py use it).
constexpr std::array<FamilyInfo, 13> kFamilies = {{
    {"outer_header", false},
    {"chunk_header", false},
    {"hello", false},
    {"hello_ack", false},
    {"batch", true},
    {"increment", false},
    {"string_reverse", false},
    {"cgroups_snapshot_request", false},
    {"cgroups_snapshot_response", false},
    {"cgroups_lookup_request", false},
    {"cgroups_lookup_response", false},
    {"apps_lookup_request", false},
    {"apps_lookup_response", false},
}};

constexpr int kTesteeTimeoutMs = 10000;  // a testee that needs 10 s for one answer is hung

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

std::vector<std::string> split_words(const char* text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

bool env_is_one(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && std::string_view(value) == "1";
}

// ---- a codec testee child process, answering batches of pipelined requests ---------------

class Testee {
 public:
  Testee(std::string name, std::vector<std::string> argv)
      : name_(std::move(name)), argv_(std::move(argv)) {}
  Testee(const Testee&) = delete;
  Testee& operator=(const Testee&) = delete;
  ~Testee() { stop(); }

  const std::string& name() const { return name_; }
  std::set<std::string> families;  // from its hello; empty: it did not say, so all
  std::uint64_t restarts = 0;

  bool offers(const char* family) const { return families.empty() || families.count(family); }

  bool start() {
    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0) return false;
    if (pipe2(from_child, O_CLOEXEC) != 0) {
      close(to_child[0]);
      close(to_child[1]);
      return false;
    }
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
      std::fprintf(stderr, "differential_fuzz: cannot start testee %s ('%s'): %s\n",
                   name_.c_str(), argv_[0].c_str(), std::strerror(rc));
      close(to_child[1]);
      close(from_child[0]);
      pid_ = -1;
      return false;
    }
    in_ = to_child[1];
    out_ = from_child[0];
    // Non-blocking both ways: requests are written while answers are read, so neither side
    // can block on a full pipe while the other waits.
    fcntl(in_, F_SETFL, fcntl(in_, F_GETFL) | O_NONBLOCK);
    fcntl(out_, F_SETFL, fcntl(out_, F_GETFL) | O_NONBLOCK);
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

  bool running() const { return pid_ > 0; }
  int in_fd() const { return in_; }
  int out_fd() const { return out_; }

 private:
  std::string name_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
};

std::string frame(const json& request) {
  const std::string body = request.dump();
  std::string out(4, '\0');
  nipc::store_u32le(reinterpret_cast<std::uint8_t*>(out.data()),
                    static_cast<std::uint32_t>(body.size()));
  return out + body;
}

// One testee's share of a batch exchange.
struct Exchange {
  Testee* testee;
  const std::vector<std::string>* frames;  // the requests, framed
  std::vector<bool> wanted;                // which requests this testee gets
  std::vector<std::optional<json>> answers;
  std::size_t next_answer = 0;  // requests before it are answered (or failed)
  std::size_t next_write = 0;   // requests before it are written
  std::size_t write_offset = 0; // bytes of frames[next_write] written
  std::string inbox;
  Clock::time_point last_progress;
};

void skip_unwanted(Exchange& e) {
  while (e.next_answer < e.frames->size() && !e.wanted[e.next_answer]) ++e.next_answer;
  if (e.next_write < e.next_answer) {
    e.next_write = e.next_answer;
    e.write_offset = 0;
  }
  while (e.next_write < e.frames->size() && !e.wanted[e.next_write]) ++e.next_write;
}

bool done(const Exchange& e) { return e.next_answer >= e.frames->size(); }

// The request the testee is working on broke it (died, hung, or broke the framing): that
// request gets no answer; the testee restarts and gets the rest again.
void fail_current(Exchange& e) {
  e.testee->stop();
  ++e.testee->restarts;
  if (e.next_answer < e.frames->size()) ++e.next_answer;  // its answer stays nullopt
  e.next_write = e.next_answer;
  e.write_offset = 0;
  e.inbox.clear();
  skip_unwanted(e);
  if (!done(e) && !e.testee->start()) {
    e.next_answer = e.frames->size();  // cannot restart: the rest stays unanswered
  }
  e.last_progress = Clock::now();
}

bool pump_writes(Exchange& e) {
  while (e.next_write < e.frames->size()) {
    const std::string& f = (*e.frames)[e.next_write];
    const ssize_t n = write(e.testee->in_fd(), f.data() + e.write_offset, f.size() - e.write_offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    e.write_offset += static_cast<std::size_t>(n);
    if (e.write_offset == f.size()) {
      ++e.next_write;
      e.write_offset = 0;
      while (e.next_write < e.frames->size() && !e.wanted[e.next_write]) ++e.next_write;
    }
  }
  return true;
}

bool pump_reads(Exchange& e) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(e.testee->out_fd(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return false;
    e.inbox.append(buffer, static_cast<std::size_t>(n));
    e.last_progress = Clock::now();
  }
  while (e.inbox.size() >= 4 && !done(e)) {
    const std::uint32_t size =
        nipc::load_u32le(reinterpret_cast<const std::uint8_t*>(e.inbox.data()));
    if (size > (64u << 20)) return false;
    if (e.inbox.size() < 4 + std::size_t{size}) break;
    json parsed = json::parse(e.inbox.begin() + 4, e.inbox.begin() + 4 + size, nullptr, false);
    e.inbox.erase(0, 4 + std::size_t{size});
    if (parsed.is_discarded() || !parsed.is_object()) return false;
    e.answers[e.next_answer++] = std::move(parsed);
    skip_unwanted(e);
  }
  return true;
}

// Sends each testee its wanted requests and collects the answers, every testee at once.
// answers[t][i] is testee t's answer to request i: nullopt when not wanted, or when the
// testee died, hung or broke the framing on it.
std::vector<std::vector<std::optional<json>>> exchange_all(
    const std::vector<Testee*>& testees, const std::vector<std::string>& frames,
    const std::vector<std::vector<bool>>& wanted) {
  std::vector<Exchange> exchanges;
  for (std::size_t t = 0; t < testees.size(); ++t) {
    Exchange e{testees[t], &frames, wanted[t], std::vector<std::optional<json>>(frames.size()),
               0, 0, 0, {}, Clock::now()};
    skip_unwanted(e);
    if (!done(e) && !e.testee->running() && !e.testee->start()) e.next_answer = frames.size();
    exchanges.push_back(std::move(e));
  }
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> owner;
    for (std::size_t i = 0; i < exchanges.size(); ++i) {
      Exchange& e = exchanges[i];
      if (done(e)) continue;
      fds.push_back({e.testee->out_fd(), POLLIN, 0});
      owner.push_back(i);
      if (e.next_write < frames.size()) {
        fds.push_back({e.testee->in_fd(), POLLOUT, 0});
        owner.push_back(i);
      }
    }
    if (fds.empty()) break;
    const int ready = poll(fds.data(), fds.size(), 200);
    if (ready < 0 && errno != EINTR) break;
    std::set<std::size_t> broken;
    for (std::size_t k = 0; ready > 0 && k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Exchange& e = exchanges[owner[k]];
      const bool ok = fds[k].events == POLLOUT ? pump_writes(e) : pump_reads(e);
      if (!ok) broken.insert(owner[k]);
    }
    const Clock::time_point now = Clock::now();
    for (std::size_t i = 0; i < exchanges.size(); ++i) {
      Exchange& e = exchanges[i];
      if (done(e)) continue;
      if (broken.count(i) ||
          now - e.last_progress > std::chrono::milliseconds(kTesteeTimeoutMs))
        fail_current(e);
    }
  }
  std::vector<std::vector<std::optional<json>>> out;
  for (Exchange& e : exchanges) out.push_back(std::move(e.answers));
  return out;
}

// ---- classes of disagreement ----------------------------------------------------------

// One input as every participant sees it.
struct Input {
  std::size_t family = 0;
  std::uint32_t item_count = 0;
  std::vector<std::uint8_t> bytes;  // the family's bytes (what minimisation shrinks)

  json context() const {
    json c = json::object();
    if (kFamilies[family].has_item_count) c["item_count"] = item_count;
    return c;
  }
  json request() const {
    return json{{"op", "decode"}, {"family", kFamilies[family].name},
                {"hex", tools::to_hex(bytes)}, {"context", context()}};
  }
  // The libFuzzer input that reproduces it.
  std::vector<std::uint8_t> fuzz_input() const {
    std::vector<std::uint8_t> out{static_cast<std::uint8_t>(family)};
    if (kFamilies[family].has_item_count) {
      std::uint8_t n[4];
      nipc::store_u32le(n, item_count);
      out.insert(out.end(), n, n + 4);
    }
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
  }
};

struct ClassState {
  std::string key;
  std::size_t family = 0;
  std::uint64_t seen = 0;  // by this process
  Input smallest;
  json answers;            // participant name -> answer to `smallest`
  bool minimised = false;
  bool dirty = true;
  bool loaded = false;     // the file on disk (other processes, earlier runs) was read
  std::uint64_t earlier_total = 0;  // count in the file before this process added to it
  json earlier_runs = json::object();
};

struct State {
  bool enabled = false;
  std::vector<std::unique_ptr<Testee>> testees;
  std::filesystem::path out_dir = "out/fuzz/differential";
  std::string run_id;
  bool lenient = false;
  bool abort_on_disagreement = false;
  std::size_t batch = 64;
  double minimise_seconds = 30;
  std::vector<Input> pending;
  std::vector<std::string> pending_reference;  // the reference's answers, as JSON text
  std::map<std::string, ClassState> classes;
  std::uint64_t compared = 0;
  std::uint64_t disagreeing = 0;
  Clock::time_point started = Clock::now();
  Clock::time_point last_flush = Clock::now();
  double testee_seconds = 0;  // time spent waiting for out-of-process answers
};

State& state() {
  static State s;
  return s;
}

json reference_answer(const Input& input) {
  json answer = json::parse(differential::reference_answer(input.family, input.item_count,
                                                           input.bytes),
                            nullptr, false);
  if (answer.is_discarded()) return json{{"result", "error"}, {"message", "not JSON"}};
  return answer;
}

// The answers of one input: [0] the reference, then one per testee (nullopt: not asked).
using Answers = std::vector<std::optional<json>>;

std::vector<Answers> answer_all(const std::vector<Input>& inputs,
                                const std::vector<std::string>* reference) {
  State& s = state();
  std::vector<std::string> frames;
  std::vector<std::vector<bool>> wanted(s.testees.size(), std::vector<bool>(inputs.size()));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    frames.push_back(frame(inputs[i].request()));
    for (std::size_t t = 0; t < s.testees.size(); ++t)
      wanted[t][i] = s.testees[t]->offers(kFamilies[inputs[i].family].name);
  }
  std::vector<Testee*> testees;
  for (auto& t : s.testees) testees.push_back(t.get());
  const Clock::time_point begin = Clock::now();
  auto by_testee = exchange_all(testees, frames, wanted);
  s.testee_seconds += std::chrono::duration<double>(Clock::now() - begin).count();
  std::vector<Answers> out(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (reference) {
      json parsed = json::parse((*reference)[i], nullptr, false);
      out[i].push_back(parsed.is_discarded() ? json{{"result", "error"}} : std::move(parsed));
    } else {
      out[i].push_back(reference_answer(inputs[i]));
    }
    for (std::size_t t = 0; t < s.testees.size(); ++t) {
      if (!wanted[t][i]) {
        out[i].push_back(std::nullopt);
      } else if (!by_testee[t][i]) {
        out[i].push_back(json{{"result", "error"},
                              {"message", "no answer: the testee died, hung or broke the "
                                          "framing on this input"}});
      } else {
        out[i].push_back(std::move(by_testee[t][i]));
      }
    }
  }
  return out;
}

std::string participant_name(std::size_t p) {
  return p == 0 ? "reference" : state().testees[p - 1]->name();
}

// The class of one input's answers, or nullopt when every answering participant agrees.
std::optional<std::string> classify(const Input& input, const Answers& answers) {
  const bool lenient = state().lenient;
  struct Seen {
    std::size_t participant;
    std::string verdict;  // valid | invalid:Class | error
    json fields;
  };
  std::vector<Seen> seen;
  for (std::size_t p = 0; p < answers.size(); ++p) {
    if (!answers[p]) continue;
    const json& a = *answers[p];
    const std::string result = a.value("result", "");
    if (result == "unsupported") continue;  // declines: no verdict to compare
    Seen one{p, result, json()};
    if (result == "invalid") {
      if (!lenient) one.verdict += ":" + a.value("error", std::string("?"));
    } else if (result == "valid") {
      one.fields = a.contains("fields") ? a["fields"] : json();
    } else {
      one.verdict = "error";  // anything else breaks the contract
    }
    seen.push_back(std::move(one));
  }
  if (seen.size() < 2) return std::nullopt;
  // Valid answers are grouped by their fields; a group number is its order of appearance.
  std::vector<json> groups;
  std::vector<std::size_t> group_of(seen.size(), 0);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i].verdict != "valid") continue;
    auto it = std::find(groups.begin(), groups.end(), seen[i].fields);
    if (it == groups.end()) {
      groups.push_back(seen[i].fields);
      it = groups.end() - 1;
    }
    group_of[i] = static_cast<std::size_t>(it - groups.begin()) + 1;
  }
  bool agree = groups.size() <= 1;
  for (const Seen& one : seen) agree = agree && one.verdict == seen[0].verdict;
  if (agree) return std::nullopt;
  std::string key = kFamilies[input.family].name;
  key += ":";
  for (std::size_t i = 0; i < seen.size(); ++i) {
    key += " " + participant_name(seen[i].participant) + "=" + seen[i].verdict;
    if (groups.size() > 1 && group_of[i] > 0) key += "#fields" + std::to_string(group_of[i]);
  }
  return key;
}

std::filesystem::path class_path(const ClassState& c) {
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(fnv1a(c.key)));
  return state().out_dir / (std::string(kFamilies[c.family].name) + "-" + std::string(id, 12) +
                             ".json");
}

json answers_object(const Answers& answers) {
  json out = json::object();
  for (std::size_t p = 0; p < answers.size(); ++p)
    if (answers[p]) out[participant_name(p)] = *answers[p];
  return out;
}

// Reads what earlier processes wrote for this class: their counts, and their input when it
// is no larger than this process's.
void load_class_file(ClassState& c) {
  c.loaded = true;
  std::ifstream in(class_path(c));
  if (!in) return;
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded() || doc.value("class", "") != c.key) return;
  c.earlier_total = doc.value("count_seen", std::uint64_t{0});
  if (doc.contains("runs") && doc["runs"].is_object()) c.earlier_runs = doc["runs"];
  const json& candidate = doc.value("candidate", json::object());
  auto bytes = tools::from_hex(candidate.value("hex", std::string("x")));
  if (bytes && bytes->size() <= c.smallest.bytes.size() && doc.contains("answers")) {
    c.smallest.bytes = std::move(*bytes);
    if (candidate.contains("context") && candidate["context"].contains("item_count"))
      c.smallest.item_count = candidate["context"]["item_count"].get<std::uint32_t>();
    c.answers = doc["answers"];
    c.minimised = doc.value("minimised", false);
  }
}

void write_class(ClassState& c) {
  State& s = state();
  if (!c.loaded) load_class_file(c);
  const json& ref = c.answers.value("reference", json::object());
  const char* family = kFamilies[c.family].name;
  json candidate;
  candidate["name"] = std::string("fuzz-") + family + "-" +
                      class_path(c).stem().string().substr(std::string(family).size() + 1, 8);
  candidate["comment"] = "found by differential_fuzz: " + c.key;
  candidate["flags"] = json::array({"FuzzFound"});
  candidate["hex"] = tools::to_hex(c.smallest.bytes);
  if (!c.smallest.context().empty()) candidate["context"] = c.smallest.context();
  candidate["result"] = ref.value("result", "");
  candidate["requirements"] = json::array();
  if (ref.contains("error") && ref["error"].is_string()) {
    candidate["error"] = ref["error"];
    if (auto e = nipc::error_from_name(ref["error"].get<std::string>()))
      candidate["requirements"].push_back(std::string(nipc::error_info(*e).requirement));
  }
  if (ref.contains("fields")) candidate["fields"] = ref["fields"];
  json runs = c.earlier_runs;
  runs[s.run_id] = runs.value(s.run_id, std::uint64_t{0}) + c.seen;
  nlohmann::ordered_json doc;  // in this order, for a reader
  doc["class"] = c.key;
  doc["family"] = family;
  doc["count_seen"] = c.earlier_total + c.seen;
  doc["runs"] = nlohmann::ordered_json(runs);
  doc["size"] = c.smallest.bytes.size();
  doc["minimised"] = c.minimised;
  doc["answers"] = nlohmann::ordered_json(c.answers);
  doc["fuzz_input_hex"] = tools::to_hex(c.smallest.fuzz_input());
  doc["candidate"] = nlohmann::ordered_json(candidate);
  std::error_code ec;
  std::filesystem::create_directories(s.out_dir, ec);
  const std::filesystem::path path = class_path(c);
  const std::filesystem::path tmp = path.string() + ".tmp";
  std::ofstream(tmp) << doc.dump(2) << "\n";
  std::filesystem::rename(tmp, path, ec);  // whole files only, for readers running alongside
  c.dirty = false;
}

// Notes one disagreeing input; true when it opened a new class.
bool note(const std::string& key, const Input& input, const Answers& answers) {
  State& s = state();
  ++s.disagreeing;
  auto [it, fresh] = s.classes.try_emplace(key);
  ClassState& c = it->second;
  ++c.seen;
  if (fresh || input.bytes.size() < c.smallest.bytes.size()) {
    c.key = key;
    c.family = input.family;
    c.smallest = input;
    c.answers = answers_object(answers);
    c.minimised = false;
    c.dirty = true;
  }
  if (fresh) {
    write_class(c);  // at once: a class must survive a crash or an interrupt of the run
    std::fprintf(stderr, "differential_fuzz: new class %s -> %s\n", key.c_str(),
                 class_path(c).c_str());
  }
  return fresh;
}

void write_dirty_classes() {
  for (auto& [key, c] : state().classes)
    if (c.dirty) write_class(c);
  state().last_flush = Clock::now();
}

void flush_pending() {
  State& s = state();
  if (s.pending.empty()) return;
  const std::vector<Answers> all = answer_all(s.pending, &s.pending_reference);
  bool any = false;
  std::string first_file;
  for (std::size_t i = 0; i < s.pending.size(); ++i) {
    ++s.compared;
    if (auto key = classify(s.pending[i], all[i])) {
      note(*key, s.pending[i], all[i]);
      if (!any) first_file = class_path(s.classes[*key]).string();
      any = true;
    }
  }
  s.pending.clear();
  s.pending_reference.clear();
  if (Clock::now() - s.last_flush > std::chrono::seconds(10)) write_dirty_classes();
  if (any && s.abort_on_disagreement) {
    write_dirty_classes();
    std::fprintf(stderr,
                 "differential_fuzz: disagreement (NIPC_DIFF_ABORT=1); the input that shows it is "
                 "in %s (the crash artifact is only the input that completed the batch)\n",
                 first_file.c_str());
    __builtin_trap();
  }
}

// Removes bytes from the class's smallest input while its class stays the same: halves,
// quarters, … single bytes, each round's candidates answered in one batch. Bounded by the
// deadline; returns false when it ran out of time.
bool minimise(ClassState& c, Clock::time_point deadline) {
  constexpr std::size_t kPerRound = 256;  // candidates answered in one batch
  std::size_t chunk = std::max<std::size_t>(1, c.smallest.bytes.size() / 2);
  while (!c.smallest.bytes.empty()) {
    bool shrunk = false;
    const std::size_t size = c.smallest.bytes.size();
    for (std::size_t from = 0; from < size && !shrunk; from += kPerRound * chunk) {
      if (Clock::now() > deadline) return false;
      std::vector<Input> candidates;
      for (std::size_t start = from; start < size && start < from + kPerRound * chunk;
           start += chunk) {
        Input shorter = c.smallest;
        const auto first = shorter.bytes.begin() + static_cast<std::ptrdiff_t>(start);
        shorter.bytes.erase(first, first + static_cast<std::ptrdiff_t>(
                                               std::min(chunk, size - start)));
        candidates.push_back(std::move(shorter));
      }
      const std::vector<Answers> all = answer_all(candidates, nullptr);
      for (std::size_t i = 0; i < candidates.size() && !shrunk; ++i) {
        if (classify(candidates[i], all[i]) == c.key) {
          c.smallest = candidates[i];
          c.answers = answers_object(all[i]);
          shrunk = true;
        }
      }
    }
    if (shrunk) {
      chunk = std::min(chunk, std::max<std::size_t>(1, c.smallest.bytes.size() / 2));
      continue;
    }
    if (chunk == 1) break;
    chunk /= 2;
  }
  c.minimised = true;
  c.dirty = true;
  return true;
}

void finish() {
  State& s = state();
  if (!s.enabled) return;
  flush_pending();
  const double fuzz_seconds = std::chrono::duration<double>(Clock::now() - s.started).count();
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<long>(s.minimise_seconds * 1000));
  std::size_t unfinished = 0;
  for (auto& [key, c] : s.classes) {
    if (!c.loaded) load_class_file(c);
    if (!c.minimised && !minimise(c, deadline)) ++unfinished;
  }
  write_dirty_classes();
  std::fprintf(stderr,
               "differential_fuzz: %llu inputs compared in %.1f s across %zu participants "
               "(batches of %zu, %.1f s waiting for testees); %llu disagreed, in %zu classes\n",
               static_cast<unsigned long long>(s.compared), fuzz_seconds, s.testees.size() + 1,
               s.batch, s.testee_seconds, static_cast<unsigned long long>(s.disagreeing),
               s.classes.size());
  if (unfinished)
    std::fprintf(stderr, "differential_fuzz: %zu classes not fully minimised (time limit)\n",
                 unfinished);
  if (!s.classes.empty())
    std::fprintf(stderr, "differential_fuzz: %8s %6s  %s\n", "seen", "bytes", "class / file");
  for (auto& [key, c] : s.classes)
    std::fprintf(stderr, "differential_fuzz: %8llu %6zu  %s\n%30s%s\n",
                 static_cast<unsigned long long>(c.seen), c.smallest.bytes.size(), key.c_str(), "",
                 class_path(c).c_str());
  for (auto& t : s.testees) {
    if (t->restarts)
      std::fprintf(stderr, "differential_fuzz: testee %s was restarted %llu times\n",
                   t->name().c_str(), static_cast<unsigned long long>(t->restarts));
    t->stop();
  }
}

std::set<std::string> families_of(const json& hello) {
  std::set<std::string> out;
  if (hello.contains("families") && hello["families"].is_array())
    for (const json& f : hello["families"])
      if (f.is_string()) out.insert(f.get<std::string>());
  return out;
}

[[noreturn]] void config_error(const std::string& message) {
  std::fprintf(stderr, "differential_fuzz: %s (see fuzz/README.md)\n", message.c_str());
  std::exit(2);
}

void add_testees_from_env() {
  State& s = state();
  std::set<std::string> names{"reference"};
  auto add = [&](std::string name, std::vector<std::string> argv) {
    if (argv.empty()) config_error("testee " + name + " has an empty command");
    if (!names.insert(name).second) config_error("two testees are named " + name);
    s.testees.push_back(std::make_unique<Testee>(std::move(name), std::move(argv)));
  };
  if (const char* list = std::getenv("NIPC_DIFF_TESTEES"); list && *list) {
    const json doc = json::parse(list, nullptr, false);
    if (!doc.is_array()) config_error("NIPC_DIFF_TESTEES is not a JSON array");
    for (const json& t : doc) {
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
          !t.contains("command") || !t["command"].is_array())
        config_error("NIPC_DIFF_TESTEES: each testee needs a \"name\" and a \"command\" array");
      std::vector<std::string> argv;
      for (const json& word : t["command"]) {
        if (!word.is_string()) config_error("NIPC_DIFF_TESTEES: command words must be strings");
        argv.push_back(word.get<std::string>());
      }
      add(t["name"].get<std::string>(), std::move(argv));
    }
  }
  if (const char* one = std::getenv("NIPC_DIFF_TESTEE"); one && !split_words(one).empty())
    add("testee", split_words(one));
  if (const char* ref = std::getenv("NIPC_DIFF_REFERENCE"); ref && !split_words(ref).empty())
    add("reference-testee", split_words(ref));
}

bool coverage_only_mode(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("-merge=1") || arg.starts_with("-merge_control_file=") ||
        arg.starts_with("-minimize_crash=1") || arg.starts_with("-cleanse_crash=1") ||
        arg.starts_with("-set_cover_merge=1"))
      return true;
  }
  return false;
}


// Appends -detect_leaks=0 unless the command line sets it: libFuzzer reads its flags after
// LLVMFuzzerInitialize, which may change them.
void disable_per_input_leak_check(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i)
    if (std::string_view((*argv)[i]).starts_with("-detect_leaks=")) return;
  static std::vector<char*> args;
  static char flag[] = "-detect_leaks=0";
  args.assign(*argv, *argv + *argc);
  args.push_back(flag);
  args.push_back(nullptr);
  *argc = static_cast<int>(args.size()) - 1;
  *argv = args.data();
}

}  // namespace


std::span<const FamilyInfo> families() { return kFamilies; }

std::string reference_answer(std::size_t family, std::uint32_t item_count, ConstBytes bytes) {
  const FamilyInfo& info = kFamilies[family];
  tools::Json context = tools::Json::object();
  if (info.has_item_count) context["item_count"] = item_count;
  const tools::Json request{{"op", "decode"},
                            {"family", info.name},
                            {"hex", tools::to_hex(bytes)},
                            {"context", std::move(context)}};
  return tools::answer_codec_request(request).dump();
}

void initialize(int* argc, char*** argv) {
  State& s = state();
  signal(SIGPIPE, SIG_IGN);  // a testee that dies must not take the fuzzer with it
  add_testees_from_env();
  if (s.testees.empty()) {
    std::fprintf(stderr,
                 "differential_fuzz: no testee (NIPC_DIFF_TESTEES, NIPC_DIFF_TESTEE), so there is "
                 "nothing to compare the reference with; skipping (see fuzz/README.md)\n");
    std::exit(0);
  }
  if (coverage_only_mode(*argc, *argv)) {
    std::fprintf(stderr, "differential_fuzz: merge or crash minimisation: reference only, no "
                         "testees started\n");
    return;
  }
  if (const char* out = std::getenv("NIPC_DIFF_OUT"); out && *out) s.out_dir = out;
  s.lenient = env_is_one("NIPC_DIFF_LENIENT");
  s.abort_on_disagreement = env_is_one("NIPC_DIFF_ABORT");
  if (const char* b = std::getenv("NIPC_DIFF_BATCH"); b && *b) {
    const long n = std::strtol(b, nullptr, 10);
    if (n < 1 || n > 100000) config_error("NIPC_DIFF_BATCH must be 1..100000");
    s.batch = static_cast<std::size_t>(n);
  }
  if (const char* m = std::getenv("NIPC_DIFF_MINIMISE_SECONDS"); m && *m)
    s.minimise_seconds = std::max(0.0, std::strtod(m, nullptr));
  if (const char* id = std::getenv("NIPC_DIFF_RUN_ID"); id && *id) {
    s.run_id = id;
  } else {
    s.run_id = std::to_string(static_cast<long long>(std::time(nullptr))) + "-" +
               std::to_string(getpid());
  }

  // Every testee says hello first: its name for the log and the families it decodes.
  std::vector<Testee*> all;
  for (auto& t : s.testees) all.push_back(t.get());
  const std::vector<std::string> hello{frame(json{{"op", "hello"}})};
  const auto answers =
      exchange_all(all, hello, std::vector<std::vector<bool>>(all.size(), {true}));
  std::size_t usable_families = 0;
  for (std::size_t t = 0; t < all.size(); ++t) {
    if (!answers[t][0]) {
      std::fprintf(stderr, "differential_fuzz: testee %s did not answer hello\n",
                   all[t]->name().c_str());
      std::exit(1);
    }
    all[t]->families = families_of(*answers[t][0]);
    std::size_t offered = 0;
    for (const FamilyInfo& f : kFamilies) offered += all[t]->offers(f.name);
    usable_families = std::max(usable_families, offered);
    std::fprintf(stderr, "differential_fuzz: testee %s: %s, %zu of the %zu byte families\n",
                 all[t]->name().c_str(), answers[t][0]->value("implementation", "?").c_str(),
                 offered, kFamilies.size());
  }
  if (usable_families == 0) {
    std::fprintf(stderr, "differential_fuzz: no testee decodes any byte family; skipping\n");
    std::exit(0);
  }
  s.enabled = true;
  disable_per_input_leak_check(argc, argv);
  // Function-local statics are destroyed in reverse order of construction, interleaved with
  // atexit handlers: the reference's tables must exist before finish() is registered, since
  // minimisation at exit still asks the reference.
  (void)reference_answer(0, 0, {});
  std::atexit(finish);
}

bool wants(std::size_t family) {
  const State& s = state();
  if (!s.enabled || family >= kFamilies.size()) return false;
  for (const auto& t : s.testees)
    if (t->offers(kFamilies[family].name)) return true;
  return false;
}

void enqueue(std::size_t family, std::uint32_t item_count, ConstBytes bytes,
             std::string reference_answer) {
  State& s = state();
  if (!s.enabled) return;
  Input input;
  input.family = family;
  input.item_count = item_count;
  input.bytes.assign(bytes.begin(), bytes.end());
  s.pending.push_back(std::move(input));
  s.pending_reference.push_back(std::move(reference_answer));
  if (s.pending.size() >= s.batch) flush_pending();
}

}  // namespace nipc::fuzz::differential
