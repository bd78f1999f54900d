// The POSIX half of the system-call boundary: closing descriptors and the eventfd canceller.
#include "nipc/transport/sys.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace nipc {
namespace sys {

void close_fd(int fd) noexcept {
  // Deliberately not retried on EINTR: on Linux the descriptor is released regardless.
  (void)::close(fd);
}

}  // namespace sys

Canceller::Canceller() noexcept
    : handle_(sys::call([] { return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); })) {}

Canceller::~Canceller() {
  if (handle_ >= 0) sys::close_fd(handle_);
}

void Canceller::cancel() noexcept {
  // Release: a waiter that observes the flag also observes everything done before cancel().
  flag_.store(true, std::memory_order_release);
  if (handle_ >= 0) {
    std::uint64_t one = 1;
    (void)sys::call([&] { return ::write(handle_, &one, sizeof one); });
  }
}

}  // namespace nipc
