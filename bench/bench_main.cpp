// bench_main.cpp: the microbenchmark binary's main(), Google Benchmark's own.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
