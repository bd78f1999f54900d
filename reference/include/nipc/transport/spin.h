// How long a receiver spins before it blocks: shared by every message link.
#ifndef NIPC_TRANSPORT_SPIN_H_
#define NIPC_TRANSPORT_SPIN_H_

#include <cstdint>

namespace nipc {

/// Adapts how long a receiver spins before it blocks (SHM-SPIN-001). Spinning pays when the
/// answer comes back quickly from a peer running on another core; blocking pays when the
/// session is idle or when the peer needs the core the spinner holds (a loaded machine, or
/// one core), and there every spin is pure loss for both sides. So the budget follows
/// success: a message caught late in the spin doubles it, two blocked waits in a row halve
/// it, and below `min_ns` it drops to 0 (block at once). Now and then a wait probes with the
/// full budget so that a quieter machine is noticed again: every 64th wait while probes keep
/// succeeding, up to every 1024th while they keep failing, so a machine where spinning never
/// pays loses at most max_ns / 1024 per wait on average.
class SpinPolicy {
 public:
  explicit SpinPolicy(std::uint32_t min_ns = 1000, std::uint32_t max_ns = 50000) noexcept
      : min_ns_(min_ns), max_ns_(max_ns), budget_ns_(min_ns * 8 > max_ns ? max_ns : min_ns * 8) {}
  /// The budget for the next wait (the full budget on probing waits); 0: do not spin.
  std::uint32_t next_budget_ns() noexcept;
  /// The steady budget, without probing.
  std::uint32_t budget_ns() const noexcept { return budget_ns_; }
  /// Waits between two probes at present (64 … 1024).
  std::uint32_t probe_gap() const noexcept { return probe_gap_; }
  /// The message arrived while spinning, `waited_ns` after the wait began.
  void on_spin_hit(std::uint64_t waited_ns) noexcept;
  /// The receiver spun its whole budget (possibly 0) and then had to block.
  void on_blocked() noexcept;
  /// Never spin (budget 0, no probes).
  void disable() noexcept { min_ns_ = max_ns_ = budget_ns_ = 0; }

  static constexpr std::uint32_t kProbeGapMin = 64;
  static constexpr std::uint32_t kProbeGapMax = 1024;

 private:
  std::uint32_t min_ns_, max_ns_, budget_ns_;
  std::uint32_t since_probe_ = 0;
  std::uint32_t probe_gap_ = kProbeGapMin;
  bool probing_ = false;  // the current wait is a probe
  std::uint32_t misses_ = 0;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SPIN_H_
