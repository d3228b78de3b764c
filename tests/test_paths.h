// test_paths.h: where the tests find the tmpmc-bench binary of their build
// tree and the shipped configs of their source tree.
//
// Defined in a source file that each build tree generates (tests/CMakeLists.txt),
// not passed as compile definitions: an object whose command line holds one
// clone's absolute paths would never be reused by the compiler cache for a
// clone in another folder, and would have to be compiled again each time.
#pragma once

namespace tmpmc::testing {

const char* bench_bin();          // the tmpmc-bench binary of this build tree
const char* planted_bench_bin();  // tmpmc-bench-planted (planted_bench.cpp), idem
const char* config_dir();         // the source tree's configs/, without a trailing slash

}  // namespace tmpmc::testing
