#include "nipc/transport/spin.h"

#include <algorithm>

namespace nipc {

void SpinPolicy::on_spin_hit(std::uint64_t waited_ns) noexcept {
  misses_ = 0;
  if (max_ns_ == 0 || waited_ns * 2 <= budget_ns_) return;
  // Caught late in the spin: the next answer may need a little longer.
  std::uint64_t want = std::max<std::uint64_t>(std::uint64_t{budget_ns_} * 2, waited_ns * 2);
  budget_ns_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(want, max_ns_));
}

void SpinPolicy::on_blocked() noexcept {
  if (max_ns_ == 0 || ++misses_ < 2) return;
  // Spinning keeps failing: the session is idle or the peer cannot run while we spin.
  misses_ = 0;
  budget_ns_ = budget_ns_ / 2 < min_ns_ ? min_ns_ : budget_ns_ / 2;
}

}  // namespace nipc
