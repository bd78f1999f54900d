// The Windows half of the system-call boundary: closing handles, mapping Win32 error codes,
// waits that observe a deadline and a canceller, and the event-backed canceller.
#include "nipc/transport/sys.h"

#include <windows.h>

namespace nipc {
namespace sys {

void close_handle(NativeHandle h) noexcept {
  if (!is_invalid(h)) (void)::CloseHandle(h);
}

TransportError win_error(unsigned long code) noexcept {
  switch (code) {
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
      return TransportError::of(TransportErrorKind::kPeerClosed);  // WIN-PIPE-EOF-001
    default:
      return TransportError::system(static_cast<int>(code));
  }
}

TransportError last_error() noexcept { return win_error(::GetLastError()); }

TransportResult<void> wait_signalled(NativeHandle h, const Deadline& deadline,
                                     const Canceller* cancel) {
  HANDLE handles[2] = {h, nullptr};
  DWORD n = 1;
  if (cancel) {
    if (cancel->cancelled()) return TransportError::of(TransportErrorKind::kCancelled);
    if (!is_invalid(cancel->handle())) handles[n++] = cancel->handle();
  }
  // Without a cancel event the flag is re-checked every 100 ms.
  const bool sliced = cancel && n == 1;
  for (;;) {
    int ms = sliced ? deadline.poll_timeout_ms(100) : deadline.poll_timeout_ms();
    DWORD rc = ::WaitForMultipleObjects(n, handles, FALSE, ms < 0 ? INFINITE : static_cast<DWORD>(ms));
    if (rc == WAIT_OBJECT_0) return {};
    if (rc == WAIT_OBJECT_0 + 1) return TransportError::of(TransportErrorKind::kCancelled);
    if (rc == WAIT_FAILED) return last_error();
    if (cancel && cancel->cancelled()) return TransportError::of(TransportErrorKind::kCancelled);
    if (deadline.expired()) return TransportError::of(TransportErrorKind::kTimeout);
  }
}

}  // namespace sys

// Manual-reset: once cancelled, every wait that includes the event wakes, now and later.
Canceller::Canceller() noexcept : handle_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}

Canceller::~Canceller() { sys::close_handle(handle_); }

void Canceller::cancel() noexcept {
  // Release: a waiter that observes the flag also observes everything done before cancel().
  flag_.store(true, std::memory_order_release);
  if (!sys::is_invalid(handle_)) (void)::SetEvent(handle_);
}

}  // namespace nipc
