// How long a receiver spins before it blocks: shared by every message link.
#ifndef NIPC_TRANSPORT_SPIN_H_
#define NIPC_TRANSPORT_SPIN_H_

#include <cstdint>

namespace nipc {

/// Adapts how long a receiver spins before it blocks. Spinning pays when the answer comes
/// back quickly from a peer running on another core; blocking pays when the session is idle
/// or when the peer needs the core the spinner holds. So the budget follows success: a
/// message caught late in the spin doubles it, two blocked waits in a row halve it, and every
/// 64th wait probes with the full budget so that a quieter machine is noticed again.
class SpinPolicy {
 public:
  explicit SpinPolicy(std::uint32_t min_ns = 1000, std::uint32_t max_ns = 50000) noexcept
      : min_ns_(min_ns), max_ns_(max_ns), budget_ns_(min_ns * 8 > max_ns ? max_ns : min_ns * 8) {}
  /// The budget for the next wait (the full budget on probing waits).
  std::uint32_t next_budget_ns() noexcept {
    return (++waits_ % kProbeEvery == 0) ? max_ns_ : budget_ns_;
  }
  /// The steady budget, without probing.
  std::uint32_t budget_ns() const noexcept { return budget_ns_; }
  /// The message arrived while spinning, `waited_ns` after the wait began.
  void on_spin_hit(std::uint64_t waited_ns) noexcept;
  /// The receiver spun its whole budget and then had to block.
  void on_blocked() noexcept;
  /// Never spin (budget 0).
  void disable() noexcept { min_ns_ = max_ns_ = budget_ns_ = 0; }

 private:
  static constexpr std::uint32_t kProbeEvery = 64;
  std::uint32_t min_ns_, max_ns_, budget_ns_;
  std::uint32_t waits_ = 0;
  std::uint32_t misses_ = 0;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SPIN_H_
