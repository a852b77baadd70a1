/* What the pointer cage and the poll budget cost on CPU-bound programs: each
 * program of programs.bpf.c runs in every variant (measure.h) with clang and
 * libtcc code, interleaved round by round, and the medians are printed as ns
 * per run and as ratios to the code with neither. Run it pinned (taskset). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/cage.h"
#include "base/file.h"
#include "measure.h"

#define BENCH_ROWS (MEASURE_VARIANTS + 1)   /* the variants, then "shipped" */
#define BENCH_SHIPPED MEASURE_VARIANTS
#define BENCH_MAX_ROUNDS 64
#define BENCH_CHUNK 10                     /* runs of one variant before the next takes its turn */

struct bench {
  struct measure_set set;
  struct cage cage;
  int runs, rounds;
  double ns[MEASURE_ENTRIES][MEASURE_CCS][BENCH_ROWS][BENCH_MAX_ROUNDS];
  volatile uint64_t sink;
};

static const char *const bench_row_names[BENCH_ROWS] = {"caged", "no poll", "no cage", "neither", "shipped"};

static double bench_now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);   /* time off the core does not count */
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static uint64_t bench_call(struct bench *b, int e, int cc, int row)
{
  if (row == BENCH_SHIPPED) {
    uint64_t r0 = 0;
    if (measure_cage_call(&b->cage, b->set.code[cc][MEASURE_CAGED].entry[e], &r0) != 0) {
      fprintf(stderr, "cage-bench: %s trapped in the cage\n", measure_entry_names[e]);
      exit(1);
    }
    return r0;
  }
  return measure_window_call(b->set.code[cc][row].entry[e]);
}

/* every variant must compute what the caged clang code computes */
static int bench_check(struct bench *b)
{
  for (int e = 0; e < MEASURE_ENTRIES; e++) {
    uint64_t want = bench_call(b, e, MEASURE_CLANG, BENCH_SHIPPED);
    if (e == MEASURE_SHA256 && want != MEASURE_SHA256_R0)
      return fprintf(stderr, "cage-bench: sha256 computed %#llx\n", (unsigned long long)want), -1;
    for (int cc = 0; cc < MEASURE_CCS; cc++)
      for (int row = 0; row < BENCH_ROWS; row++)
        if (bench_call(b, e, cc, row) != want)
          return fprintf(stderr, "cage-bench: %s %s %s disagrees\n", measure_entry_names[e],
                         measure_cc_names[cc], bench_row_names[row]), -1;
  }
  return 0;
}

/* One round: the variants take turns every BENCH_CHUNK runs, so a change in
 * the machine's load during the round falls on all of them alike. */
static void bench_round(struct bench *b, int round)
{
  for (int e = 0; e < MEASURE_ENTRIES; e++)
    for (int cc = 0; cc < MEASURE_CCS; cc++) {
      double sum[BENCH_ROWS] = {0};
      for (int done = 0; done < b->runs; done += BENCH_CHUNK)
        for (int row = 0; row < BENCH_ROWS; row++) {
          double t0 = bench_now();
          for (int i = 0; i < BENCH_CHUNK; i++)
            b->sink ^= bench_call(b, e, cc, row);
          sum[row] += bench_now() - t0;
        }
      int runs = (b->runs + BENCH_CHUNK - 1) / BENCH_CHUNK * BENCH_CHUNK;
      for (int row = 0; row < BENCH_ROWS; row++)
        b->ns[e][cc][row][round] = sum[row] / runs;
    }
}

static int bench_compare(const void *x, const void *y)
{
  double a = *(const double *)x, c = *(const double *)y;
  return (a > c) - (a < c);
}

static double bench_median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, bench_compare);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bench_report(struct bench *b)
{
  printf("%d rounds of %d runs per variant, taking turns every %d runs; medians of the rounds in ns\n"
         "per run (thread CPU time), ratios to \"neither\"; \"shipped\" is the caged code called\n"
         "through a runtime cage (cage_call), the others are called directly\n\n",
         b->rounds, b->runs, BENCH_CHUNK);
  printf("| program | cc | caged | no poll | no cage | neither | shipped | caged/neither | no poll/neither | no cage/neither |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (int e = 0; e < MEASURE_ENTRIES; e++)
    for (int cc = 0; cc < MEASURE_CCS; cc++) {
      double m[BENCH_ROWS];
      for (int row = 0; row < BENCH_ROWS; row++)
        m[row] = bench_median(b->ns[e][cc][row], b->rounds);
      double base = m[MEASURE_NEITHER];
      printf("| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.3f | %.3f | %.3f |\n", measure_entry_names[e],
             measure_cc_names[cc], m[0], m[1], m[2], m[3], m[4], m[MEASURE_CAGED] / base,
             m[MEASURE_NO_POLL] / base, m[MEASURE_NO_CAGE] / base);
    }
}

static int bench_args(struct bench *b, int argc, char **argv, const char **source)
{
  b->runs = 2000;
  b->rounds = 9;
  *source = CAGE_BENCH_SOURCE;
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--runs=", 7))
      b->runs = atoi(argv[i] + 7);
    else if (!strncmp(argv[i], "--rounds=", 9))
      b->rounds = atoi(argv[i] + 9);
    else if (!strncmp(argv[i], "--source=", 9))
      *source = argv[i] + 9;
    else
      return fprintf(stderr, "usage: cage-bench [--runs=N] [--rounds=N] [--source=programs.bpf.c]\n"), -1;
  }
  if (b->runs < 1 || b->rounds < 1 || b->rounds > BENCH_MAX_ROUNDS)
    return fprintf(stderr, "cage-bench: runs >= 1, 1 <= rounds <= %d\n", BENCH_MAX_ROUNDS), -1;
  return 0;
}

int main(int argc, char **argv)
{
  static struct bench b;
  const char *path;
  if (bench_args(&b, argc, argv, &path) < 0)
    return 2;
  struct arena a = {0};
  struct diag d;
  diag_init(&d, stderr);
  char *source;
  size_t len;
  if (file_read_all(&a, path, &source, &len) < 0)
    return fprintf(stderr, "cage-bench: cannot read %s\n", path), 1;
  struct measure_window w;
  int rc = trap_install();
  if (rc == 0 && measure_build(&a, source, len, &b.set, &d) < 0)
    rc = -1;
  if (rc == 0 && (rc = measure_window_create(&w, b.set.prog.rodata, b.set.prog.rodata_size)) < 0)
    fprintf(stderr, "cage-bench: cannot map the identity window: %s\n", strerror(-rc));
  if (rc == 0 && (rc = cage_create(&b.cage, b.set.prog.rodata, b.set.prog.rodata_size, NULL, 0, NULL)) == 0)
    measure_fill_request(b.cage.req_host, MEASURE_REQ_BYTES);
  if (rc == 0 && (rc = bench_check(&b)) == 0) {
    for (int r = 0; r < b.rounds; r++)
      bench_round(&b, r);
    bench_report(&b);
  }
  return rc == 0 ? 0 : 1;
}
