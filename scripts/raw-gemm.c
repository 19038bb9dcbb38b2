/* Raw OpenBLAS sgemm/dgemm rate for given shapes, with no Node in between: the ceiling the native
 * backend's gemm is compared against. Usage: raw-gemm M N K [reps] [f32|f64] -> prints GFLOP/s (median). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: raw-gemm M N K [reps] [f32|f64]\n"); return 2; }
  int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
  int reps = argc > 4 ? atoi(argv[4]) : 20;
  int f64 = argc > 5 && strcmp(argv[5], "f64") == 0;
  if (m <= 0 || n <= 0 || k <= 0 || reps <= 0 || reps > 100000) { fprintf(stderr, "bad arguments\n"); return 2; }
  size_t es = f64 ? sizeof(double) : sizeof(float);
  void *a = calloc((size_t)m * k, es), *b = calloc((size_t)k * n, es), *c = calloc((size_t)m * n, es);
  if (!a || !b || !c) return 1;
  for (size_t i = 0; i < (size_t)m * k; i++) f64 ? (((double *)a)[i] = (i % 7) * 0.1) : (((float *)a)[i] = (i % 7) * 0.1f);
  for (size_t i = 0; i < (size_t)k * n; i++) f64 ? (((double *)b)[i] = (i % 5) * 0.1) : (((float *)b)[i] = (i % 5) * 0.1f);
  /* Batch enough calls per sample that timer resolution does not matter on small shapes. */
  double flops = 2.0 * m * n * k;
  int inner = (int)(2e8 / flops) + 1;
  double *samples = malloc(sizeof(double) * reps);
  for (int r = -3; r < reps; r++) {
    double t = now();
    for (int i = 0; i < inner; i++) {
      if (f64) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
      else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    }
    if (r >= 0) samples[r] = flops * inner / (now() - t) / 1e9;
  }
  qsort(samples, reps, sizeof(double), cmp);
  printf("%.3f\n", samples[reps / 2]);
  free(a); free(b); free(c); free(samples);
  return 0;
}
