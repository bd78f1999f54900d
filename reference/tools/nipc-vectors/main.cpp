// nipc-vectors: writes the golden wire vectors (vectors/README.md), one file per family,
// after checking every case against the reference codec. Deterministic: the same sources
// always produce the same bytes.
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include <CLI/CLI.hpp>

#include "nipc-vectors/families.h"
#include "nipc-vectors/sessions.h"

namespace nipc::vectors {
namespace {

// Codec errors that bytes alone cannot provoke: encoder and sender refusals, session state,
// the item-access API, server configuration, and FirstPacketNotHello (a server answers it
// with SilentClose, which is what handshake_decide records).
const std::set<std::string_view> kNotDecoderOutcomes = {
    "BufferTooSmall",       "ValueOutOfRange",      "OutboundPayloadOverLimit",
    "OutboundItemCountOverLimit", "UnexpectedKind", "DuplicateMessageId",
    "UnknownMessageId",     "ResponseCodeMismatch", "BatchIndexOutOfRange", "FirstPacketNotHello",
    "PolicyOffersWaitAddr", "PolicyZeroSessionId"};

constexpr int kMinCasesPerOutcome = 3;

// Refusals of the Windows name functions (windows_names). BadParameter there is an invalid
// service name; NameHashZero is reached only through a hash given directly.
constexpr std::array<TransportErrorKind, 4> kNameOutcomes = {
    TransportErrorKind::kNameTooLong, TransportErrorKind::kNameInputTooLong,
    TransportErrorKind::kNameHashZero, TransportErrorKind::kBadParameter};

// Every rejection a decoder, the server's handshake, the client's ACK check or the Windows
// name functions can produce has at least kMinCasesPerOutcome cases (invalid, or acceptable
// with that reference error).
std::vector<std::string> check_coverage(const std::vector<Family>& families) {
  std::map<std::string, int> count;
  for (const Family& f : families) {
    for (const Case& c : f.cases()) {
      if (!c.error.empty()) ++count[c.error];
    }
  }
  std::vector<std::string> outcomes;
  for (const ErrorInfo& info : error_table()) {
    if (kNotDecoderOutcomes.count(info.name) == 0) outcomes.emplace_back(info.name);
  }
  for (std::uint16_t s = 1; s <= 5; ++s)
    outcomes.push_back(tools::status_class(static_cast<TransportStatus>(s)));
  outcomes.emplace_back(tools::kSilentClose);
  for (TransportErrorKind kind : kNameOutcomes) outcomes.emplace_back(transport_error_name(kind));

  std::vector<std::string> problems;
  for (const std::string& o : outcomes) {
    if (count[o] < kMinCasesPerOutcome)
      problems.push_back("coverage: " + o + " has " + std::to_string(count[o]) +
                         " cases, at least " + std::to_string(kMinCasesPerOutcome) + " wanted");
  }
  return problems;
}

int run(const std::filesystem::path& out_dir) {
  const std::vector<Family> families = all_families();
  std::vector<std::string> problems;
  std::size_t total = 0;
  for (const Family& f : families) {
    const std::vector<std::string> p = verify(f);
    problems.insert(problems.end(), p.begin(), p.end());
    total += f.cases().size();
  }
  const std::vector<std::string> coverage = check_coverage(families);
  problems.insert(problems.end(), coverage.begin(), coverage.end());
  const tools::Json sessions = sessions_document(&problems);
  if (!problems.empty()) {
    for (const std::string& p : problems) std::cerr << "nipc-vectors: " << p << "\n";
    std::cerr << "nipc-vectors: " << problems.size() << " problems; nothing written\n";
    return 1;
  }

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  for (const Family& f : families) {
    const std::filesystem::path path = out_dir / (f.name() + ".json");
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << render(f);
    if (!file.flush()) {
      std::cerr << "nipc-vectors: cannot write " << path << "\n";
      return 1;
    }
    int counts[3] = {0, 0, 0};
    for (const Case& c : f.cases()) ++counts[static_cast<int>(c.verdict)];
    std::cout << path.filename().string() << ": " << f.cases().size() << " cases (" << counts[0]
              << " valid, " << counts[1] << " invalid, " << counts[2] << " acceptable)\n";
  }
  {
    const std::filesystem::path path = out_dir / "sessions.json";
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << render_sessions(sessions);
    if (!file.flush()) {
      std::cerr << "nipc-vectors: cannot write " << path << "\n";
      return 1;
    }
    std::cout << "sessions.json: " << sessions["cases"].size() << " session cases\n";
  }
  std::cout << families.size() + 1 << " files, " << total + sessions["cases"].size()
            << " cases, written to " << out_dir.string() << "\n";
  return 0;
}

}  // namespace

std::vector<Family> all_families() {
  std::vector<Family> families;
  families.push_back(outer_header_family());
  families.push_back(chunk_header_family());
  families.push_back(hello_family());
  families.push_back(hello_ack_family());
  families.push_back(batch_family());
  families.push_back(chunked_message_family());
  families.push_back(increment_family());
  families.push_back(string_reverse_family());
  families.push_back(snapshot_request_family());
  families.push_back(snapshot_response_family());
  families.push_back(handshake_decide_family());
  families.push_back(handshake_check_ack_family());
  families.push_back(windows_names_family());
  families.push_back(cgroups_lookup_request_family());
  families.push_back(cgroups_lookup_response_family());
  families.push_back(apps_lookup_request_family());
  families.push_back(apps_lookup_response_family());
  return families;
}

}  // namespace nipc::vectors

int main(int argc, char** argv) {
  CLI::App app{"Writes the netipc golden wire vectors, checked against the reference codec."};
  std::string out_dir;
  app.add_option("--out", out_dir, "directory for the vector files")->required();
  CLI11_PARSE(app, argc, argv);
  return nipc::vectors::run(out_dir);
}
