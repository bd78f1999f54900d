#include <windows.h>

#include "platform.h"

namespace nipc::peer {

bool UniqueHandle::valid() const noexcept { return h_ != nullptr && h_ != INVALID_HANDLE_VALUE; }

void UniqueHandle::reset(void* h) noexcept {
  if (valid()) ::CloseHandle(h_);
  h_ = h;
}

std::string error_text(unsigned long code) {
  char buf[256] = {0};
  DWORD n = ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code, 0,
                             buf, sizeof buf, nullptr);
  std::string text(buf, n);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return "error " + std::to_string(code) + (text.empty() ? "" : " (" + text + ")");
}

std::string last_error_text() { return error_text(::GetLastError()); }

std::wstring widen_bytes(const std::string& narrow) {
  std::wstring out;
  out.reserve(narrow.size());
  for (unsigned char c : narrow) out.push_back(static_cast<wchar_t>(c));
  return out;
}

}  // namespace nipc::peer
