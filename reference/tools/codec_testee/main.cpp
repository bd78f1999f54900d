// nipc-codec-testee: the reference's codec testee on stdin/stdout (vectors/README.md).
#include <iostream>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#include "codec_testee/codec_testee.h"

int main() {
  // stdin and stdout carry binary frames; run_codec_testee flushes after each answer, so the
  // streams need neither C stdio synchronisation nor tying.
#ifdef _WIN32
  // Text mode would turn "\n" into "\r\n" and stop reading at 0x1a inside a frame.
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
#endif
  std::ios::sync_with_stdio(false);
  std::cin.tie(nullptr);
  return nipc::tools::run_codec_testee(std::cin, std::cout);
}
