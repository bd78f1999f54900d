#include "nipc/transport/spin.h"

#include <algorithm>

namespace nipc {

std::uint32_t SpinPolicy::next_budget_ns() noexcept {
  probing_ = false;
  if (max_ns_ == 0) return 0;
  if (++since_probe_ >= probe_gap_) {
    since_probe_ = 0;
    probing_ = true;
    return max_ns_;
  }
  return budget_ns_;
}

void SpinPolicy::on_spin_hit(std::uint64_t waited_ns) noexcept {
  misses_ = 0;
  if (max_ns_ == 0) return;
  if (probing_) probe_gap_ = kProbeGapMin;  // spinning pays again: look more often
  if (waited_ns * 2 <= budget_ns_) return;
  // Caught late in the spin (or only by a probe): the next answer may need a little longer.
  std::uint64_t want = std::max<std::uint64_t>(std::uint64_t{budget_ns_} * 2, waited_ns * 2);
  want = std::max<std::uint64_t>(want, min_ns_);
  budget_ns_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(want, max_ns_));
}

void SpinPolicy::on_blocked() noexcept {
  if (max_ns_ == 0) return;
  // A failed probe: spinning does not pay here; look less often.
  if (probing_) probe_gap_ = std::min(probe_gap_ * 2, kProbeGapMax);
  if (++misses_ < 2) return;
  // Spinning keeps failing: the session is idle or the peer cannot run while we spin.
  misses_ = 0;
  budget_ns_ = budget_ns_ / 2 < min_ns_ ? 0 : budget_ns_ / 2;
}

}  // namespace nipc
