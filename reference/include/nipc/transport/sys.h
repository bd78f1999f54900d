// The POSIX system-call boundary of the transports: one wrapper that retries EINTR, an owning
// file descriptor, deadlines, and a cancellation object a blocked wait can observe.
#ifndef NIPC_TRANSPORT_SYS_H_
#define NIPC_TRANSPORT_SYS_H_

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

struct timespec;

namespace nipc {

/// The OS object an event loop can wait on: a file descriptor on POSIX.
using NativeHandle = int;
inline constexpr NativeHandle kInvalidHandle = -1;

namespace sys {

/// Runs the system call `f` (a callable returning a negative value with errno set on failure)
/// and repeats it while it fails with EINTR. Every system call of the transports goes through
/// here, except close(): Linux releases the descriptor even when close() reports EINTR, so
/// retrying could close a descriptor another thread just received (see close_fd).
/// Callers that wait with a timeout recompute it inside `f`, so a retry never extends the
/// deadline.
template <class F>
auto call(F&& f) -> decltype(f()) {
  for (;;) {
    auto r = f();
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

/// Closes `fd` exactly once; errors are ignored (the descriptor is gone either way).
void close_fd(int fd) noexcept;

/// Gives the CPU to another runnable thread, if any (sched_yield).
void yield_cpu() noexcept;

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
/// handed this object return kCancelled promptly. Socket waits poll its eventfd; shared-memory
/// waits re-check the flag at least every 100 ms.
class Canceller {
 public:
  Canceller() noexcept;
  ~Canceller();
  Canceller(const Canceller&) = delete;
  Canceller& operator=(const Canceller&) = delete;

  /// Async-signal-safe: one atomic store and one write().
  void cancel() noexcept;
  bool cancelled() const noexcept {
    // Acquire pairs with the release in cancel(): whoever sees the flag sees what the
    // canceller did before cancelling.
    return flag_.load(std::memory_order_acquire);
  }
  /// Readable once cancelled (an eventfd); kInvalidHandle if it could not be created, in
  /// which case waits fall back to the flag.
  NativeHandle handle() const noexcept { return fd_; }

 private:
  std::atomic<bool> flag_{false};
  int fd_ = -1;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SYS_H_
