#include <cstdio>

#include "conn.h"

namespace nipc::peer {

double Transcript::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
}

void Transcript::sent(const std::string& who, const Packet& p) {
  events_.push_back({now_ms(), who, "peer->iut", p, {}});
}

void Transcript::received(const std::string& who, const Packet& p) {
  events_.push_back({now_ms(), who, "iut->peer", p, {}});
}

void Transcript::note(const std::string& who, const std::string& text) {
  events_.push_back({now_ms(), who, "note", Packet{}, text});
}

nlohmann::json Transcript::to_json(std::size_t max_events) const {
  nlohmann::json out = nlohmann::json::array();
  std::size_t skip = events_.size() > max_events ? events_.size() - max_events : 0;
  if (skip) out.push_back({{"note", std::to_string(skip) + " earlier events omitted"}});
  for (std::size_t i = skip; i < events_.size(); ++i) {
    const Event& e = events_[i];
    char t[32];
    std::snprintf(t, sizeof t, "%.1f", e.t_ms);
    nlohmann::json j = {{"t_ms", t}, {"conn", e.who}, {"dir", e.dir}};
    if (e.dir == "note") {
      j["note"] = e.text;
    } else {
      j["what"] = e.packet.what;
      j["len"] = e.packet.size();
      nlohmann::json fields = nlohmann::json::array();
      std::size_t shown = 0;
      for (const Field& f : e.packet.fields) {
        if (++shown > 64) {
          fields.push_back("... " + std::to_string(e.packet.fields.size() - 64) + " more fields");
          break;
        }
        char line[160];
        std::string bytes = hex(ConstBytes(e.packet.bytes).subspan(f.offset, f.size), 16);
        std::snprintf(line, sizeof line, "%4zu  %-34s %s", f.offset, f.name.c_str(), bytes.c_str());
        fields.push_back(std::string(line) + "  = " + f.value);
      }
      j["fields"] = fields;
    }
    out.push_back(j);
  }
  return out;
}

}  // namespace nipc::peer
