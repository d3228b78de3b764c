// main.cpp: tmpmc-bench, the command line over the built-in impls (cli_main.h).
#include "cli_main.h"

int main(int argc, char** argv) { return tmpmc::cli::cli_main(argc, argv); }
