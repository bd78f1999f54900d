// What the peer needs from the operating system beneath its own code: deadlines and owning
// handles. On POSIX these are the reference's (nipc/transport/sys.h); the Windows build of the
// peer carries its own small versions, so it depends on nothing of the reference but the pure
// codec and judges the Windows transports independently of their implementation.
#ifndef NIPC_PEER_PLATFORM_H_
#define NIPC_PEER_PLATFORM_H_

#ifndef _WIN32

#include "nipc/transport/sys.h"

#else

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace nipc::peer {

/// A point in steady-clock time by which a step must complete, or "never".
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  static Deadline never() noexcept { return Deadline(); }
  template <class Rep, class Period>
  static Deadline after(std::chrono::duration<Rep, Period> d) noexcept {
    return Deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(d));
  }
  bool expired() const noexcept { return at_ && Clock::now() >= *at_; }
  /// Milliseconds left, rounded up: -1 without a deadline, 0 once it has passed.
  int poll_timeout_ms() const noexcept {
    if (!at_) return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*at_ - Clock::now()).count();
    return left <= 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : static_cast<int>(left);
  }
  /// The same, capped at `cap_ms` (to wake up periodically).
  int poll_timeout_ms(int cap_ms) const noexcept {
    int ms = poll_timeout_ms();
    return ms < 0 || ms > cap_ms ? cap_ms : ms;
  }

 private:
  Deadline() noexcept = default;
  explicit Deadline(Clock::time_point t) noexcept : at_(t) {}
  std::optional<Clock::time_point> at_;
};

/// An owning Win32 HANDLE (null and INVALID_HANDLE_VALUE both mean "none"): closed exactly
/// once, on destruction or reset().
class UniqueHandle {
 public:
  UniqueHandle() noexcept = default;
  explicit UniqueHandle(void* h) noexcept : h_(h) {}
  UniqueHandle(UniqueHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) reset(std::exchange(o.h_, nullptr));
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  ~UniqueHandle() { reset(); }

  void* get() const noexcept { return h_; }
  bool valid() const noexcept;
  void reset(void* h = nullptr) noexcept;

 private:
  void* h_ = nullptr;
};

/// GetLastError() as text: "<code> <system message>".
std::string last_error_text();
std::string error_text(unsigned long code);

/// A narrow name widened byte for byte (the rule the netipc names follow on Windows).
std::wstring widen_bytes(const std::string& narrow);

}  // namespace nipc::peer

#endif  // _WIN32

#endif  // NIPC_PEER_PLATFORM_H_
