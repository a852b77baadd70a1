/* The lifter's differential test: a set of cases (hand-written vectors with
 * their expected results, cage traps, or seeded random programs) is linked
 * into one program, run by the reference interpreter, lifted, compiled by one
 * backend (clang x86_64, libtcc, clang aarch64 under qemu) and run in a cage;
 * r0, trap code and the stack/heap snapshot must agree everywhere.
 *   lifter-diff --set=vectors|traps|random --backend=clang|tcc|aarch64
 *               [--seed=N] [--count=N] [--only=INDEX] [--runner=PATH --qemu=PATH]
 *               [--emit=FILE (the caged C)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "bpf/lift.h"
#include "cases.h"
#include "native/native.h"
#include "remote.h"

struct diff_opts {
  const char *set, *backend, *runner, *qemu, *emit, *clang;
  uint64_t seed;
  unsigned count;
  long only;                   /* run only this case of the set (to chase a failure), or -1 */
};

static int diff_parse(int argc, char **argv, struct diff_opts *o)
{
  *o = (struct diff_opts){.set = "vectors", .backend = "clang", .seed = 1, .count = 150, .clang = "clang-19",
                         .only = -1};
  for (int i = 1; i < argc; i++) {
    const char *v = strchr(argv[i], '=');
    if (!v || strncmp(argv[i], "--", 2) != 0)
      return -1;
    v++;
    if (!strncmp(argv[i], "--set=", 6)) o->set = v;
    else if (!strncmp(argv[i], "--backend=", 10)) o->backend = v;
    else if (!strncmp(argv[i], "--seed=", 7)) o->seed = strtoull(v, NULL, 0);
    else if (!strncmp(argv[i], "--count=", 8)) o->count = (unsigned)strtoul(v, NULL, 0);
    else if (!strncmp(argv[i], "--runner=", 9)) o->runner = v;
    else if (!strncmp(argv[i], "--qemu=", 7)) o->qemu = v;
    else if (!strncmp(argv[i], "--emit=", 7)) o->emit = v;
    else if (!strncmp(argv[i], "--clang=", 8)) o->clang = v;
    else if (!strncmp(argv[i], "--only=", 7)) o->only = strtol(v, NULL, 0);
    else return -1;
  }
  return 0;
}

static void diff_build_set(struct arena *a, const struct diff_opts *o, struct case_set *set)
{
  if (!strcmp(o->set, "vectors"))
    vectors_add_all(a, set);
  else if (!strcmp(o->set, "traps"))
    traps_add_all(a, set);
  else
    random_add_all(a, set, o->seed, o->count);
  if (o->only >= 0 && (size_t)o->only < set->count) {
    set->cases += o->only;
    set->count = 1;
  }
}

static const char *diff_trap_name(unsigned t)
{
  static const char *const names[] = {"none", "fault", "budget", "depth", "helper"};
  return t < 5 ? names[t] : "invalid";
}

static int diff_same(const struct run_result *x, const struct run_result *y)
{
  if (x->trap != y->trap)
    return 0;
  if (x->trap)
    return 1;                  /* r0 and memory are unspecified after a trap */
  return x->r0 == y->r0 && x->snapped == y->snapped && (!x->snapped || x->snap_hash == y->snap_hash);
}

static void diff_print(const char *who, const struct run_result *r)
{
  fprintf(stderr, "    %-12s trap %-7s r0 %#llx snapshot %s%#llx\n", who, diff_trap_name(r->trap),
          (unsigned long long)r->r0, r->snapped ? "" : "(none) ", (unsigned long long)r->snap_hash);
}

/* the interpreter against the hand-worked expectation, where there is one */
static int diff_check_expect(const struct test_case *c, const struct run_result *r)
{
  if (c->expect_trap == CASE_NO_EXPECT)
    return 0;
  if (r->trap == c->expect_trap && (r->trap || r->r0 == c->expect_r0))
    return 0;
  fprintf(stderr, "FAIL %s: interpreter gives trap %s r0 %#llx, expected trap %s r0 %#llx\n", c->name,
          diff_trap_name(r->trap), (unsigned long long)r->r0, diff_trap_name(c->expect_trap),
          (unsigned long long)c->expect_r0);
  return 1;
}

static int diff_compare(const struct case_set *set, const struct run_result *ref, const struct run_result *got,
                        const char *backend)
{
  int failures = 0;
  for (size_t i = 0; i < set->count; i++) {
    if (diff_same(&ref[i], &got[i]))
      continue;
    if (failures++ < 20) {
      fprintf(stderr, "FAIL %s (case %zu, entry zs_entry_c%zu): %s disagrees with the interpreter\n",
              set->cases[i].name, i, i, backend);
      diff_print("interpreter", &ref[i]);
      diff_print(backend, &got[i]);
    }
  }
  return failures;
}

static int diff_lift(struct arena *a, const struct bpf_program *prog, const char *emit, const char **caged)
{
  struct strbuf sb;
  struct diag d;
  strbuf_init(&sb, a);
  diag_init(&d, stderr);
  if (lift_program(a, prog, &sb, &d) < 0)
    return -1;
  *caged = strbuf_cstr(&sb);
  if (emit) {
    FILE *f = fopen(emit, "w");
    if (f) {
      fputs(*caged, f);
      fclose(f);
    }
  }
  return 0;
}

static int diff_entry_offsets(struct arena *a, const struct native_image *img, size_t count, uint64_t *offsets)
{
  for (size_t i = 0; i < count; i++) {
    char *want = arena_printf(a, "zs_entry_c%zu", i);
    size_t k = 0;
    while (k < img->symbol_count && strcmp(img->symbols[k].name, want) != 0)
      k++;
    if (k == img->symbol_count) {
      fprintf(stderr, "FAIL: symbol %s missing from the image\n", want);
      return -1;
    }
    offsets[i] = img->symbols[k].offset;
  }
  return 0;
}

static int diff_run_local(const struct native_image *img, const struct bpf_program *prog, const uint64_t *offsets,
                          size_t count, struct run_result *got)
{
  struct run_env env;
  if (run_env_init(&env, img->code, img->code_size, prog->rodata, prog->rodata_size) < 0) {
    fprintf(stderr, "FAIL: cannot set up a cage\n");
    return -1;
  }
  for (size_t i = 0; i < count; i++)
    run_env_case(&env, offsets[i], &got[i]);
  run_env_destroy(&env);
  return 0;
}

static int diff_backend(struct arena *a, const struct diff_opts *o, const struct bpf_program *prog,
                        const char *caged, size_t count, struct run_result *got)
{
  int aarch64 = !strcmp(o->backend, "aarch64"), tcc = !strcmp(o->backend, "tcc");
  if (aarch64 && (!o->runner || !o->qemu || !*o->runner || !*o->qemu)) {
    fprintf(stderr, "SKIP: qemu-aarch64 or the aarch64 cross compiler is missing\n");
    return 77;
  }
  struct native_image img;
  struct diag d;
  diag_init(&d, stderr);
  if (native_compile(a, caged, aarch64 ? ZS_ARCH_AARCH64 : ZS_ARCH_X86_64, tcc ? NATIVE_CC_TCC : NATIVE_CC_CLANG,
                     o->clang, &img, &d) < 0) {
    fprintf(stderr, "FAIL: %s could not compile the caged C\n", o->backend);
    return 1;
  }
  uint64_t *offsets = arena_alloc(a, count * sizeof *offsets);
  if (diff_entry_offsets(a, &img, count, offsets) < 0)
    return 1;
  int rc = aarch64 ? remote_run(a, o->qemu, o->runner, &img, prog, offsets, count, got)
                   : diff_run_local(&img, prog, offsets, count, got);
  return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
  struct diff_opts o;
  if (diff_parse(argc, argv, &o) < 0) {
    fprintf(stderr, "usage: lifter-diff --set=vectors|traps|random --backend=clang|tcc|aarch64 ...\n");
    return 1;
  }
  struct arena a = {0};
  struct case_set set = {0};
  diff_build_set(&a, &o, &set);
  struct bpf_program prog;
  uint32_t *starts = arena_alloc(&a, set.count * sizeof *starts);
  case_link(&a, &set, &prog, starts);
  const char *caged;
  if (diff_lift(&a, &prog, o.emit, &caged) < 0) {
    fprintf(stderr, "FAIL: lift_program refused the test program\n");
    return 1;
  }
  struct run_result *ref = arena_alloc(&a, set.count * sizeof *ref), *got = arena_alloc(&a, set.count * sizeof *got);
  int failures = 0;
  for (size_t i = 0; i < set.count; i++) {
    case_interpret(&prog, starts[i], &ref[i]);
    failures += diff_check_expect(&set.cases[i], &ref[i]);
  }
  int rc = diff_backend(&a, &o, &prog, caged, set.count, got);
  if (rc == 0)
    failures += diff_compare(&set, ref, got, o.backend);
  printf("lifter-diff %s on %s: %zu cases, %d failures%s\n", o.set, o.backend, set.count, failures,
         rc == 77 ? " (backend skipped)" : "");
  arena_reset(&a);
  if (failures || rc == 1)
    return 1;
  return rc;
}
