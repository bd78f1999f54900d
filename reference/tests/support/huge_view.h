// A read-only view longer than UINT32_MAX bytes that costs no memory, for tests of encoders
// that must refuse such lengths before they read anything.
#ifndef NIPC_TESTS_SUPPORT_HUGE_VIEW_H_
#define NIPC_TESTS_SUPPORT_HUGE_VIEW_H_

#include <sys/mman.h>

#include <cstddef>
#include <string_view>

namespace nipc::testing {

/// Maps `size` bytes of zero pages, readable, reserving no memory. `valid()` is false when
/// the mapping failed (tests then skip).
class HugeView {
 public:
  explicit HugeView(std::size_t size) : size_(size) {
    void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    data_ = (p == MAP_FAILED) ? nullptr : static_cast<const char*>(p);
  }
  ~HugeView() {
    if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
  }
  HugeView(const HugeView&) = delete;
  HugeView& operator=(const HugeView&) = delete;

  bool valid() const { return data_ != nullptr; }
  /// The first `n` bytes (n <= size).
  std::string_view view(std::size_t n) const { return std::string_view(data_, n); }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace nipc::testing

#endif  // NIPC_TESTS_SUPPORT_HUGE_VIEW_H_
