// Function multiversioning for the elementwise loops: each marked function is compiled twice, for AVX2
// and for baseline x86-64, and the dynamic loader picks the one the CPU supports (GCC target_clones;
// never -march=native, so the binary runs on any x86-64). AVX2 without FMA keeps every rounding step
// the same as the baseline build: only the vector width changes.
#pragma once
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define BP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define BP_CLONES
#endif
