// The system-call boundary of the transports. POSIX: one wrapper that retries EINTR and an
// owning file descriptor. Windows: an owning HANDLE and the one place that turns
// GetLastError() into a TransportError. Both: deadlines, and a cancellation object a blocked
// wait can observe (an eventfd on POSIX, a manual-reset event on Windows).
#ifndef NIPC_TRANSPORT_SYS_H_
#define NIPC_TRANSPORT_SYS_H_

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#if defined(_WIN32)
#include "nipc/transport/error.h"  // the Windows waits return TransportResult
#endif

namespace nipc {

#if defined(_WIN32)
/// The OS object an event loop can wait on: a HANDLE (void*) on Windows.
using NativeHandle = void*;
inline constexpr NativeHandle kInvalidHandle = nullptr;
#else
/// The OS object an event loop can wait on: a file descriptor on POSIX.
using NativeHandle = int;
inline constexpr NativeHandle kInvalidHandle = -1;
#endif

namespace sys {

/// Relaxes the CPU for one iteration of a spin loop (x86 pause, arm64 yield).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

}  // namespace sys

#if !defined(_WIN32)
namespace sys {

/// True when a system call's return value reports failure: a negative number, or for calls
/// returning a pointer, null or MAP_FAILED (mmap's (void*)-1).
template <class R>
bool failed(R r) noexcept {
  if constexpr (std::is_pointer_v<R>) {
    const void* p = static_cast<const void*>(r);
    return p == nullptr || p == reinterpret_cast<const void*>(std::intptr_t{-1});
  } else {
    return r < 0;
  }
}

/// Runs the system call `f` (a callable returning the call's result, with errno set on
/// failure) and repeats it while it fails with EINTR. Every system call of the transports
/// goes through here, except close(): Linux releases the descriptor even when close()
/// reports EINTR, so retrying could close a descriptor another thread just received (see
/// close_fd). Callers that wait with a timeout recompute it inside `f`, so a retry never
/// extends the deadline.
template <class F>
auto call(F&& f) -> decltype(f()) {
  for (;;) {
    auto r = f();
    if (failed(r) && errno == EINTR) continue;
    return r;
  }
}

/// Closes `fd` exactly once; errors are ignored (the descriptor is gone either way).
void close_fd(int fd) noexcept;

}  // namespace sys

/// An owning file descriptor: closed exactly once, on destruction or reset().
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) sys::close_fd(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};
#else   // _WIN32

class Deadline;
class Canceller;

namespace sys {

/// Closes `h` exactly once; errors are ignored. Null and INVALID_HANDLE_VALUE are skipped.
void close_handle(NativeHandle h) noexcept;

/// True for the two values Win32 uses for "no handle": null and INVALID_HANDLE_VALUE.
inline bool is_invalid(NativeHandle h) noexcept {
  return h == nullptr || h == reinterpret_cast<NativeHandle>(static_cast<std::intptr_t>(-1));
}

/// The one place that maps a Win32 error code (GetLastError()) to a TransportError: the
/// disconnect codes of a pipe (broken pipe, no data, pipe not connected) become kPeerClosed
/// (WIN-PIPE-EOF-001); everything else is kSystem with the code in sys_errno. Callers that
/// give a code a context-specific meaning (a busy pipe is kNotFound for a client and
/// kAddressInUse for a server) test for it before calling this.
TransportError win_error(unsigned long code) noexcept;

/// win_error(GetLastError()).
TransportError last_error() noexcept;

/// Waits until `h` is signalled, `cancel` fires or the deadline passes: ok when signalled,
/// kTimeout / kCancelled otherwise. `cancel` may be null.
TransportResult<void> wait_signalled(NativeHandle h, const Deadline& deadline,
                                     const Canceller* cancel);

}  // namespace sys

/// An owning HANDLE: closed exactly once, on destruction or reset().
class UniqueHandle {
 public:
  UniqueHandle() noexcept = default;
  explicit UniqueHandle(NativeHandle h) noexcept : h_(sys::is_invalid(h) ? nullptr : h) {}
  UniqueHandle(UniqueHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) reset(std::exchange(o.h_, nullptr));
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  ~UniqueHandle() { reset(); }

  NativeHandle get() const noexcept { return h_; }
  bool valid() const noexcept { return h_ != nullptr; }
  NativeHandle release() noexcept { return std::exchange(h_, nullptr); }
  void reset(NativeHandle h = nullptr) noexcept {
    if (h_) sys::close_handle(h_);
    h_ = sys::is_invalid(h) ? nullptr : h;
  }

 private:
  NativeHandle h_ = nullptr;
};
#endif  // _WIN32

/// A point in CLOCK_MONOTONIC time by which an operation must complete, or "never".
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC on Linux

  static Deadline never() noexcept { return Deadline(); }
  static Deadline at(Clock::time_point t) noexcept { return Deadline(t); }
  template <class Rep, class Period>
  static Deadline after(std::chrono::duration<Rep, Period> d) noexcept {
    return Deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(d));
  }
  /// A timeout in milliseconds as the tools take it: 0 means no deadline.
  static Deadline after_ms(std::uint32_t ms) noexcept {
    return ms == 0 ? never() : after(std::chrono::milliseconds(ms));
  }

  bool is_never() const noexcept { return !at_.has_value(); }
  bool expired() const noexcept { return at_ && Clock::now() >= *at_; }
  /// Milliseconds left, rounded up, for poll(): -1 when there is no deadline, 0 when passed.
  int poll_timeout_ms() const noexcept;
  /// The same, capped at `cap_ms` (used to wake up periodically).
  int poll_timeout_ms(int cap_ms) const noexcept;
  std::optional<Clock::time_point> time() const noexcept { return at_; }
  /// Earlier of the two deadlines.
  Deadline min(Deadline o) const noexcept;

 private:
  Deadline() noexcept = default;
  explicit Deadline(Clock::time_point t) noexcept : at_(t) {}
  std::optional<Clock::time_point> at_;
};

/// Lets the owner of blocked transport waits stop them: cancel() makes every wait that was
/// handed this object return kCancelled promptly. Socket and pipe waits include its handle
/// (an eventfd on POSIX, a manual-reset event on Windows) in their wait; shared-memory waits
/// re-check the flag at least every 100 ms.
class Canceller {
 public:
  Canceller() noexcept;
  ~Canceller();
  Canceller(const Canceller&) = delete;
  Canceller& operator=(const Canceller&) = delete;

  /// Async-signal-safe on POSIX: one atomic store and one write(). On Windows one atomic
  /// store and SetEvent (safe from a console control handler, which runs on its own thread).
  void cancel() noexcept;
  bool cancelled() const noexcept {
    // Acquire pairs with the release in cancel(): whoever sees the flag sees what the
    // canceller did before cancelling.
    return flag_.load(std::memory_order_acquire);
  }
  /// Readable (POSIX eventfd) or signalled (Windows manual-reset event) once cancelled;
  /// kInvalidHandle if it could not be created, in which case waits fall back to the flag.
  NativeHandle handle() const noexcept { return handle_; }

 private:
  std::atomic<bool> flag_{false};
  NativeHandle handle_ = kInvalidHandle;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SYS_H_
