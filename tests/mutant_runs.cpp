// mutant_runs.cpp: the one instantiation of the run of each mutant whose
// broken step is the core's (TMPMC_CORE_MUTANTS in mutants.h, which declares
// them extern); the broken rings' are in mutant_ring_runs.cpp.
#include "mutants.h"

namespace tmpmc::mutants {

TMPMC_CORE_MUTANTS(TMPMC_MUTANT_RUN)

}  // namespace tmpmc::mutants
