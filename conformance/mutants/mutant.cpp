// Selects the active mutant of nipc-ref-mutants from NIPC_MUTANT=<name>. An unknown name
// stops the program at start-up, so a typo in the sweep can never pass for a surviving mutant.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "nipc/mutant.h"

namespace nipc::mutant {
namespace {

struct Row {
  const char* name;
  Id id;
};

constexpr Row kRows[] = {
#define NIPC_X(name, requirement, description) {#name, Id::k##name},
#include "mutants.def"
#undef NIPC_X
};

int select_from_environment() {
  const char* want = std::getenv("NIPC_MUTANT");
  if (want == nullptr || *want == '\0') return -1;
  for (const Row& r : kRows)
    if (std::strcmp(r.name, want) == 0) return static_cast<int>(r.id);
  std::fprintf(stderr, "nipc-ref-mutants: unknown mutant '%s'\n", want);
  std::exit(2);
}

const int g_selected = select_from_environment();

}  // namespace

bool active(Id id) noexcept { return g_selected == static_cast<int>(id); }

}  // namespace nipc::mutant
