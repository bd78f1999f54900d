// Deadlines: the portable part of the system-call boundary.
#include "nipc/transport/sys.h"

namespace nipc {
namespace {

int ceil_ms(Deadline::Clock::duration d) noexcept {
  using namespace std::chrono;
  if (d <= Deadline::Clock::duration::zero()) return 0;
  auto ms = duration_cast<milliseconds>(d + milliseconds(1) - nanoseconds(1)).count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

}  // namespace

int Deadline::poll_timeout_ms() const noexcept {
  if (!at_) return -1;
  return ceil_ms(*at_ - Clock::now());
}

int Deadline::poll_timeout_ms(int cap_ms) const noexcept {
  int t = poll_timeout_ms();
  return (t < 0 || t > cap_ms) ? cap_ms : t;
}

Deadline Deadline::min(Deadline o) const noexcept {
  if (!at_) return o;
  if (!o.at_) return *this;
  return *at_ <= *o.at_ ? *this : o;
}

}  // namespace nipc
