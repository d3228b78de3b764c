// mutant_ring_runs.cpp: the one instantiation of the run of each mutant whose
// broken step is its ring's (TMPMC_RING_MUTANTS in mutants.h, which declares
// them extern; the core's steps: mutant_runs.cpp).
#include "mutants.h"

namespace tmpmc::mutants {

TMPMC_RING_MUTANTS(TMPMC_MUTANT_RUN)

}  // namespace tmpmc::mutants
