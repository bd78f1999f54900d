// Differential fuzzing across N implementations: every generated input is answered by the
// reference, in process (the same answer_codec_request() its codec testee `nipc-ref codec`
// gives, so decoded fields are compared too), and by every configured codec testee, out of
// process, through the codec testee contract (vectors/README.md: 4-byte little-endian length
// + UTF-8 JSON each way). Any two answers that differ in result, error class or decoded
// fields make the input a disagreement.
//
// Environment (`./cts fuzz --differential` sets it; see fuzz/README.md):
//   NIPC_DIFF_TESTEES   JSON array of testees: [{"name": "c", "command": ["/path", "codec"]},
//                       …]; names label the answers and the classes.
//   NIPC_DIFF_TESTEE    shorthand for one testee named "testee" (whitespace-separated words).
//   NIPC_DIFF_REFERENCE one more testee, named "reference-testee" (whitespace-separated words):
//                       the out-of-process reference, to check it against the in-process one.
//                       None of the three set: the target says so and exits 0.
//   NIPC_DIFF_OUT       directory for the class files (default out/fuzz/differential).
//   NIPC_DIFF_LENIENT   1: error classes are not compared (verdicts and fields still are).
//   NIPC_DIFF_ABORT     1: trap after the first batch holding a disagreement (CI smoke runs),
//                       after writing it; the file names the disagreeing input.
//   NIPC_DIFF_BATCH     inputs sent to the testees at once, pipelined (default 64; 1 = one
//                       request, one answer, as a plain ping-pong).
//   NIPC_DIFF_RUN_ID    label under which this process adds to each class's count (so
//                       restarts of one run add up and separate runs stay apart).
//   NIPC_DIFF_MINIMISE_SECONDS  time for minimising the classes at exit (default 30).
//
// Input: byte 0 picks one of the thirteen byte families (fixed table, new ones appended, so a corpus keeps its
// meaning whatever testees run); for `batch` a u32 item_count (context.item_count) follows;
// the rest are the bytes the family's vectors carry.
//
// Disagreements are grouped in classes: the family plus every answering participant's
// result and error class, plus, when valid answers decode to different fields, which of them
// agree with which. Per class the target keeps a count and only the smallest input; at exit
// it shrinks that input by removing bytes while the class stays the same and writes one file
// per class, `<family>-<class hash>.json`: every participant's answer and a vector candidate
// (the case as vectors/*.json would hold it, with the reference's verdict).
//
// Out-of-process answers do not steer coverage (the in-process reference does), so inputs
// are queued and sent in batches: each testee gets the whole batch pipelined while its
// answers are read, all testees at once. That machinery lives in
// support/differential_harness.cpp, built without coverage instrumentation like the
// reference's JSON code, so only the reference library's decoders steer coverage. Under libFuzzer's
// merge and crash minimisation the testees are not started: those modes only need coverage.
#include <cstdint>
#include <string>

#include "differential_harness.h"
#include "fuzz_support.h"

namespace diff = nipc::fuzz::differential;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  diff::initialize(argc, argv);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t family = data[0] % diff::families().size();
  nipc::fuzz::PrefixReader prefix(data + 1, size - 1);
  const std::uint32_t item_count = diff::families()[family].has_item_count ? prefix.u32() : 0;
  const nipc::ConstBytes bytes = prefix.rest();
  // Decoded now, for this input: the reference library's decoders steer coverage.
  std::string answer = diff::reference_answer(family, item_count, bytes);
  if (diff::wants(family)) diff::enqueue(family, item_count, bytes, std::move(answer));
  return 0;
}
