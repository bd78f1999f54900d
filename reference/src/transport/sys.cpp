#include "nipc/transport/sys.h"

#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace nipc {
namespace sys {

void close_fd(int fd) noexcept {
  // Deliberately not retried on EINTR: on Linux the descriptor is released regardless.
  (void)::close(fd);
}

void yield_cpu() noexcept { (void)call([] { return ::sched_yield(); }); }

}  // namespace sys

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

Canceller::Canceller() noexcept
    : fd_(sys::call([] { return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); })) {}

Canceller::~Canceller() {
  if (fd_ >= 0) sys::close_fd(fd_);
}

void Canceller::cancel() noexcept {
  // Release: a waiter that observes the flag also observes everything done before cancel().
  flag_.store(true, std::memory_order_release);
  if (fd_ >= 0) {
    std::uint64_t one = 1;
    (void)sys::call([&] { return ::write(fd_, &one, sizeof one); });
  }
}

}  // namespace nipc
