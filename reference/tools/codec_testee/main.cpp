// nipc-codec-testee: the reference's codec testee on stdin/stdout (vectors/README.md).
#include <cstdio>
#include <iostream>

#include "codec_testee/codec_testee.h"

int main() {
  std::ios::sync_with_stdio(false);
  // Binary framing: no newline translation, no locale.
  std::cin.tie(nullptr);
  return nipc::tools::run_codec_testee(std::cin, std::cout);
}
