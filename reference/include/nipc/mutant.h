// Mutation hooks for the conformance suite's mutation run (conformance/mutants/).
//
// NIPC_MUTANT(kName) marks the one line where a mutant of the reference deviates from the
// spec. In every normal build it is the constant `false`, so the shipped reference carries no
// misbehaviour. Only the separate `nipc-ref-mutants` build defines NIPC_MUTANTS; there the
// hook is true when the environment variable NIPC_MUTANT names that mutant. The names and
// descriptions live in one table, conformance/mutants/mutants.def.
#ifndef NIPC_MUTANT_H_
#define NIPC_MUTANT_H_

#if defined(NIPC_MUTANTS)
namespace nipc::mutant {
enum class Id {
#define NIPC_X(name, requirement, description) k##name,
#include "mutants.def"
#undef NIPC_X
};
/// True when this process runs as mutant `id` (NIPC_MUTANT=<name>).
bool active(Id id) noexcept;
}  // namespace nipc::mutant
#define NIPC_MUTANT(id) (::nipc::mutant::active(::nipc::mutant::Id::id))
#else
#define NIPC_MUTANT(id) false
#endif

#endif  // NIPC_MUTANT_H_
