/* The lifter on what clang -target bpf -mcpu=v4 really emits: small eBPF C
 * programs go through the bpf stage (compile, read, link, verify), are lifted,
 * compiled by clang and libtcc for x86_64 and run in a cage; the interpreter
 * runs the same linked program. Results must agree and match the expected. */
#include <stdio.h>
#include <string.h>

#include "bpf/bpf.h"
#include "bpf/lift.h"
#include "cases.h"
#include "native/native.h"

static const char pipeline_source[] =
  "typedef unsigned long long u64; typedef long long s64; typedef unsigned int u32;\n"
  "typedef int s32; typedef unsigned char u8; typedef signed char s8; typedef short s16;\n"
  "static const char text[] = \"The quick brown fox jumps over the lazy dog\";\n"
  "static const int primes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29};\n"
  "__attribute__((noinline)) static int count_char(const char *s, int n, char ch)\n"
  "{ int k = 0; for (int i = 0; i < n; i++) k += s[i] == ch; return k; }\n"
  "__attribute__((noinline)) static s64 mix(s64 a, s64 b, s32 c)\n"
  "{ return a / (b | 1) + (a % 7) * c - (s64)(s8)a + (s64)(s16)(b >> 3); }\n"
  "__attribute__((noinline)) static u64 sq(u64 x) { return x * x; }\n"
  "__attribute__((noinline)) static u64 squares(u32 n) { u64 s = 0; for (u32 i = 0; i < n; i++) s += sq(i); return s; }\n"
  "u64 zs_entry_chars(void *req)\n"
  "{ (void)req; return count_char(text, sizeof text - 1, 'o') * 100 + count_char(text, sizeof text - 1, ' '); }\n"
  "u64 zs_entry_primes(void *req)\n"
  "{ const volatile u8 *r = req; u64 s = 0; for (int i = 0; i < 10; i++) s = s * 31 + primes[i] * r[i]; return s; }\n"
  "u64 zs_entry_signed(void *req)\n"
  "{ const volatile s8 *r = req; s64 acc = 0;\n"
  "  for (int i = 0; i < 40; i++) acc += mix(r[i] * 1000003LL - 77, r[i + 1] - 128, r[i + 2]);\n"
  "  return (u64)acc; }\n"
  "u64 zs_entry_stack(void *req)\n"
  "{ const volatile u8 *r = req; u8 buf[64]; for (int i = 0; i < 64; i++) buf[i] = r[i] ^ (u8)i;\n"
  "  u64 h = 14695981039346656037ull; for (int i = 0; i < 64; i++) h = (h ^ buf[63 - i]) * 1099511628211ull;\n"
  "  return h; }\n"
  "u64 zs_entry_calls(void *req) { const volatile u8 *r = req; return squares(5) + (r[0] == 3); }\n"
  "u64 zs_entry_heap(void *req)\n"
  "{ const volatile u8 *r = req; u32 *heap = (u32 *)0x30000000; u64 s = 0;\n"
  "  for (int i = 0; i < 100; i++) heap[i] = r[i] * 2654435761u;\n"
  "  for (int i = 0; i < 100; i++) s += heap[99 - i] >> (i & 7);\n"
  "  return s; }\n"
  "u64 zs_entry_bswap(void *req)\n"
  "{ const volatile u64 *r = req; return __builtin_bswap64(r[0]) ^ __builtin_bswap32((u32)r[1]) ^ __builtin_bswap16((unsigned short)r[2]); }\n";

/* what the entries must return: worked out by hand where it is short */
struct pipeline_expect {
  const char *name;
  uint64_t r0;
};

static const struct pipeline_expect pipeline_expects[] = {
  {"zs_entry_chars", 4 * 100 + 8},
  {"zs_entry_calls", 30 + 1},
};

static int pipeline_build(struct arena *a, struct bpf_program *prog, struct diag *d)
{
  uint8_t *elf;
  size_t size;
  struct bpf_object *obj;
  struct bpf_compile_options opt = {.source_name = "pipeline.bpf.c"};
  if (bpf_compile(a, pipeline_source, sizeof pipeline_source - 1, &opt, &elf, &size, d) < 0 ||
      bpf_read(a, "pipeline.bpf.o", elf, size, &obj, d) < 0 || bpf_link(a, &obj, 1, prog, d) < 0)
    return -1;
  return bpf_verify(prog, d);
}

static int pipeline_check(void *ctx, const struct bpf_func *fn, const struct run_result *ref,
                          const struct run_result *got)
{
  const char *backend = ctx;
  int bad = ref->trap || got->trap != ref->trap || got->r0 != ref->r0;
  for (size_t i = 0; i < sizeof pipeline_expects / sizeof *pipeline_expects; i++)
    if (!strcmp(pipeline_expects[i].name, fn->name) && pipeline_expects[i].r0 != ref->r0)
      bad = 1;
  if (bad)
    fprintf(stderr, "FAIL %s on %s: interpreter trap %u r0 %#llx, native trap %u r0 %#llx\n", fn->name, backend,
            ref->trap, (unsigned long long)ref->r0, got->trap, (unsigned long long)got->r0);
  return bad;
}

static int pipeline_backend(struct arena *a, const struct bpf_program *prog, const char *caged, enum native_cc cc)
{
  struct native_image img;
  struct diag d;
  diag_init(&d, stderr);
  const char *backend = cc == NATIVE_CC_TCC ? "tcc" : "clang";
  if (native_compile(a, caged, ZS_ARCH_X86_64, cc, NULL, &img, &d) < 0)
    return fprintf(stderr, "FAIL: %s could not compile the caged C\n", backend), 1;
  struct run_env env;
  if (run_env_init(&env, img.code, img.code_size, prog->rodata, prog->rodata_size) < 0)
    return fprintf(stderr, "FAIL: no cage\n"), 1;
  int entries;
  int failures = case_run_entries(a, prog, &img, &env, pipeline_check, (void *)backend, &entries);
  run_env_destroy(&env);
  printf("lifter-pipeline on %s: %d entries, %d failures\n", backend, entries, failures);
  return failures || entries != 7;
}

int main(void)
{
  struct arena a = {0};
  struct diag d;
  diag_init(&d, stderr);
  struct bpf_program prog;
  if (pipeline_build(&a, &prog, &d) < 0) {
    fprintf(stderr, "FAIL: the bpf stage refused the test program\n");
    return 1;
  }
  struct strbuf caged;
  strbuf_init(&caged, &a);
  if (lift_program(&a, &prog, &caged, &d) < 0) {
    fprintf(stderr, "FAIL: lift_program refused what the verifier accepted\n");
    return 1;
  }
  int rc = pipeline_backend(&a, &prog, strbuf_cstr(&caged), NATIVE_CC_CLANG);
  rc |= pipeline_backend(&a, &prog, strbuf_cstr(&caged), NATIVE_CC_TCC);
  arena_reset(&a);
  return rc ? 1 : 0;
}
