// nipc-codec-testee: the reference's codec testee on stdin/stdout (vectors/README.md).
#include "codec_testee/codec_testee.h"

int main() { return nipc::tools::run_codec_testee_on_stdio(); }
