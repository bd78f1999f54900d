// nipc-codec-testee: the reference's codec testee on stdin/stdout (vectors/README.md).
#include <iostream>

#include "codec_testee/codec_testee.h"

int main() {
  // stdin and stdout carry binary frames; run_codec_testee flushes after each answer, so the
  // streams need neither C stdio synchronisation nor tying.
  std::ios::sync_with_stdio(false);
  std::cin.tie(nullptr);
  return nipc::tools::run_codec_testee(std::cin, std::cout);
}
