// The machinery of differential_fuzz (targets/differential_fuzz.cpp): the reference's answer
// as JSON, codec testee processes, batched pipelined exchanges with them, classes of
// disagreement, their minimisation and their files. This file, the reference's codec testee
// and the tools' JSON code are compiled without coverage instrumentation (sanitizers stay),
// so that neither JSON plumbing nor comparing a batch of answers shows up as coverage of the
// input that happened to complete the batch: only the reference library's decoders, run for
// the current input, steer libFuzzer.
#ifndef NIPC_FUZZ_DIFFERENTIAL_HARNESS_H_
#define NIPC_FUZZ_DIFFERENTIAL_HARNESS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "nipc/codec/bytes.h"

namespace nipc::fuzz::differential {

struct FamilyInfo {
  const char* name;     // the vector family
  bool has_item_count;  // its context carries item_count (a u32 after input byte 0)
};

/// The byte families, in the order input byte 0 selects them.
std::span<const FamilyInfo> families();

/// The reference's answer to a decode request of `family` (an index into families()) as JSON
/// text in the codec testee contract's shape: what its codec testee (`nipc-ref codec`) would
/// answer, computed in process by the same function, decoded fields included.
std::string reference_answer(std::size_t family, std::uint32_t item_count, ConstBytes bytes);

/// Reads the environment (NIPC_DIFF_*, see the target's header comment), starts every testee
/// and asks it hello; registers the end-of-run work (last batch, minimisation, class files,
/// summary) with atexit. Exits the process with 0 when no testee is configured or none
/// decodes a byte family, 1 when a testee does not answer hello, 2 on a malformed
/// configuration. Under libFuzzer's merge and crash minimisation no testee is started and
/// wants() is false. May append -detect_leaks=0 to libFuzzer's arguments (queued inputs
/// outlive the call that queued them, which the per-input leak check would take for a leak;
/// the leak check at exit still runs).
void initialize(int* argc, char*** argv);

/// True when at least one testee takes `family`, so its inputs are worth queueing.
bool wants(std::size_t family);

/// Queues one input with the reference's answer (JSON text); every `NIPC_DIFF_BATCH` inputs
/// the queue goes to the testees and each disagreement is noted in its class.
void enqueue(std::size_t family, std::uint32_t item_count, ConstBytes bytes,
             std::string reference_answer);

}  // namespace nipc::fuzz::differential

#endif  // NIPC_FUZZ_DIFFERENTIAL_HARNESS_H_
