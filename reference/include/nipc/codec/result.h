// Result<T>: either a value or an Error, never both.
#ifndef NIPC_CODEC_RESULT_H_
#define NIPC_CODEC_RESULT_H_

#include <utility>
#include <variant>

#include "nipc/codec/errors.h"

namespace nipc {

/// Holds either a `T` (success) or an `Error` (the rule that failed). Accessing the value of
/// a failed result, or the error of a successful one, is a programming error (asserted in
/// debug builds by std::get).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT: implicit by design
      : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) noexcept : v_(std::in_place_index<1>, error) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  const T& value() const& { return *std::get_if<0>(&v_); }
  T& value() & { return *std::get_if<0>(&v_); }
  T&& value() && { return std::move(*std::get_if<0>(&v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  Error error() const noexcept { return *std::get_if<1>(&v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation that produces no value: success, or the rule that failed.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() noexcept = default;
  Result(Error error) noexcept : ok_(false), error_(error) {}  // NOLINT

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  Error error() const noexcept { return error_; }

 private:
  bool ok_ = true;
  Error error_{};
};

}  // namespace nipc

#endif  // NIPC_CODEC_RESULT_H_
