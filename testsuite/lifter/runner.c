/* The aarch64 side of the lifter tests, built statically with the cross
 * compiler and run under qemu-aarch64: loads a batch (batch.h), runs every
 * entry in a real cage (runtime/cage.c, trap.c) and prints the results. */
#include <stdio.h>
#include <stdlib.h>

#include "batch.h"
#include "run.h"

static void *runner_read(FILE *f, size_t n)
{
  void *p = malloc(n ? n : 1);
  if (p && n && fread(p, 1, n, f) != n) {
    free(p);
    return NULL;
  }
  return p;
}

int main(int argc, char **argv)
{
  FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
  struct batch_header h;
  if (!f || fread(&h, sizeof h, 1, f) != 1 || h.magic != BATCH_MAGIC) {
    fprintf(stderr, "usage: lifter-runner BATCH (a batch file from lifter-diff)\n");
    return 2;
  }
  uint8_t *code = runner_read(f, h.code_size), *rodata = runner_read(f, h.rodata_size);
  uint64_t *offsets = runner_read(f, h.entry_count * sizeof *offsets);
  fclose(f);
  struct run_env env;
  if (!code || !rodata || !offsets || run_env_init(&env, code, h.code_size, rodata, h.rodata_size) < 0) {
    fprintf(stderr, "lifter-runner: cannot load the batch or set up a cage\n");
    return 2;
  }
  for (uint64_t i = 0; i < h.entry_count; i++) {
    struct run_result r;
    run_env_case(&env, offsets[i], &r);
    printf("%llu %u %llx %d %llx\n", (unsigned long long)i, r.trap, (unsigned long long)r.r0, r.snapped,
           (unsigned long long)r.snap_hash);
  }
  run_env_destroy(&env);
  free(code);
  free(rodata);
  free(offsets);
  return 0;
}
