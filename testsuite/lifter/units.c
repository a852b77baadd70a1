/* Unit tests around the lifter and the native stage: what they must refuse
 * (with a message naming the problem), the relocation arithmetic, DWARF line
 * info and the --emit=asm listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "base/strbuf.h"
#include "bpf/lift.h"
#include "native/native.h"
#include "native/reloc.h"

#include <elf.h>

static int failures;

#define CHECK(cond, ...)                        \
  do {                                          \
    if (!(cond)) {                              \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);             \
      fputc('\n', stderr);                      \
      failures++;                               \
    }                                           \
  } while (0)

/* runs f with a diag writing into a string; returns what was reported */
struct unit_diag {
  struct diag d;
  char *text;
  size_t len;
};

static void unit_diag_open(struct unit_diag *u)
{
  u->text = NULL;
  u->len = 0;
  diag_init(&u->d, open_memstream(&u->text, &u->len));
}

static const char *unit_diag_close(struct unit_diag *u)
{
  fclose(u->d.out);
  return u->text ? u->text : "";
}

static int unit_lift(struct arena *a, const struct bpf_insn *insns, size_t n, const char *expect)
{
  struct bpf_func fn = {.name = "t", .start = 0, .end = (uint32_t)n, .is_entry = true};
  struct bpf_program prog = {.insns = (struct bpf_insn *)insns, .insn_count = n, .funcs = &fn, .func_count = 1};
  struct strbuf sb;
  struct unit_diag u;
  strbuf_init(&sb, a);
  unit_diag_open(&u);
  int rc = lift_program(a, &prog, &sb, &u.d);
  const char *msg = unit_diag_close(&u);
  int ok = expect ? rc < 0 && strstr(msg, expect) : rc == 0;
  CHECK(ok, "lift: expected %s, got rc %d and \"%s\"", expect ? expect : "success", rc, msg);
  free(u.text);
  return ok;
}

static void units_lift_refusals(struct arena *a)
{
  const struct bpf_insn ok[] = {MOV64_IMM(0, 1), EXIT()};
  unit_lift(a, ok, 2, NULL);
  const struct bpf_insn out[] = {JA(5), EXIT()};
  unit_lift(a, out, 2, "jump leaves its function");
  const struct bpf_insn back[] = {JA(-2), EXIT()};
  unit_lift(a, back, 2, "jump leaves its function");
  const struct bpf_insn r10[] = {MOV64_IMM(10, 1), EXIT()};
  unit_lift(a, r10, 2, "write to r10");
  const struct bpf_insn bad[] = {I(0xff, 0, 0, 0, 0), EXIT()};
  unit_lift(a, bad, 2, "unsupported instruction");
  const struct bpf_insn kfunc[] = {I(0x85, 0, 2, 0, 1), EXIT()};
  unit_lift(a, kfunc, 2, "kfunc");
  const struct bpf_insn map[] = {I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 0), EXIT()};
  unit_lift(a, map, 3, "unresolved 64-bit immediate");
  const struct bpf_insn nowhere[] = {CALL_LOCAL(0), EXIT()};
  unit_lift(a, nowhere, 2, "starts no function");
  const struct bpf_insn reg[] = {I(0xbf, 11, 0, 0, 0), EXIT()};
  unit_lift(a, reg, 2, "register number");
  const struct bpf_insn legacy[] = {I(0x20, 0, 0, 0, 0), EXIT()};   /* LD_ABS */
  unit_lift(a, legacy, 2, "unsupported instruction");
}

static void unit_native_refuses(struct arena *a, const char *src, enum native_cc cc, const char *expect)
{
  struct native_image img;
  struct unit_diag u;
  unit_diag_open(&u);
  int rc = native_compile(a, src, ZS_ARCH_X86_64, cc, "clang-19", &img, &u.d);
  const char *msg = unit_diag_close(&u);
  CHECK(rc < 0 && strstr(msg, expect), "native (%s): expected \"%s\", got rc %d and \"%s\"",
        cc == NATIVE_CC_TCC ? "tcc" : "clang", expect, rc, msg);
  free(u.text);
}

static void units_native_refusals(struct arena *a)
{
  for (int cc = NATIVE_CC_CLANG; cc <= NATIVE_CC_TCC; cc++) {
    unit_native_refuses(a, "void ext(void); void f(void) { ext(); }", cc, "undefined symbol ext");
    unit_native_refuses(a, "int counter; int f(void) { return ++counter; }", cc, "writable data section");
    unit_native_refuses(a, "int x = 1; int f(void) { return x; }", cc, "writable data section");
    unit_native_refuses(a, "int f(void) { return ; ", cc, "failed on the caged C");
  }
  unit_native_refuses(a, "void *memcpy(void *, const void *, unsigned long);"
                         "void f(char *d, const char *s, unsigned long n) { memcpy(d, s, n); }",
                      NATIVE_CC_CLANG, "undefined symbol memcpy");
}

static uint32_t unit_get32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void units_relocs(void)
{
  uint8_t img[0x3000] = {0};
  struct native_reloc r = {R_X86_64_PC32, 0x10, 0x104};
  CHECK(!native_reloc_apply(ZS_ARCH_X86_64, img, sizeof img, &r) && unit_get32(img + 0x10) == 0xf4, "PC32");
  r = (struct native_reloc){R_X86_64_64, 0x10, 0x104};
  CHECK(native_reloc_apply(ZS_ARCH_X86_64, img, sizeof img, &r) != NULL, "R_X86_64_64 must be refused");
  r = (struct native_reloc){R_X86_64_GOTPCREL, 0x10, 0x104};
  CHECK(native_reloc_apply(ZS_ARCH_X86_64, img, sizeof img, &r) != NULL, "GOTPCREL must be refused");
  r = (struct native_reloc){R_X86_64_PC32, 0x2ffe, 0};
  CHECK(native_reloc_apply(ZS_ARCH_X86_64, img, sizeof img, &r) != NULL, "a field past the image");
  /* aarch64: bl at 0x20 to 0x100 -> imm26 = 0x38; adrp at 0x1ffc for 0x2010 -> one page */
  img[0x23] = 0x94;
  r = (struct native_reloc){R_AARCH64_CALL26, 0x20, 0x100};
  CHECK(!native_reloc_apply(ZS_ARCH_AARCH64, img, sizeof img, &r) && unit_get32(img + 0x20) == 0x94000038, "CALL26");
  img[0x1fff] = 0x90;
  r = (struct native_reloc){R_AARCH64_ADR_PREL_PG_HI21, 0x1ffc, 0x2010};
  CHECK(!native_reloc_apply(ZS_ARCH_AARCH64, img, sizeof img, &r) && unit_get32(img + 0x1ffc) == 0xb0000000,
        "ADR_PREL_PG_HI21: %#x", unit_get32(img + 0x1ffc));
  r = (struct native_reloc){R_AARCH64_LDST64_ABS_LO12_NC, 0x40, 0x2018};
  CHECK(!native_reloc_apply(ZS_ARCH_AARCH64, img, sizeof img, &r) && unit_get32(img + 0x40) == 3u << 10,
        "LDST64_ABS_LO12_NC");
  r = (struct native_reloc){R_AARCH64_ABS64, 0x40, 0x2018};
  CHECK(native_reloc_apply(ZS_ARCH_AARCH64, img, sizeof img, &r) != NULL, "ABS64 must be refused");
}

/* a lifted loop over input through clang: lines must point at lifted statements, and the
 * listing must carry the entry's label and caged C lines */
static void units_lines_and_asm(struct arena *a, enum zs_arch arch)
{
  const struct bpf_insn p[] = {MOV64_IMM(0, 0), LDX(A_B, 2, 1, 0), ALU64_REG(OP_ADD, 0, 2), STX(A_DW, 10, 0, -8),
                               ALU64_IMM(OP_SUB, 2, 1), JMP_IMM(OP_JNE, 2, 0, -4), EXIT()};
  struct bpf_func fn = {.name = "loop", .start = 0, .end = 7, .is_entry = true};
  struct bpf_program prog = {.insns = (struct bpf_insn *)p, .insn_count = 7, .funcs = &fn, .func_count = 1};
  struct strbuf caged, listing;
  struct diag d;
  struct native_image img;
  strbuf_init(&caged, a);
  strbuf_init(&listing, a);
  diag_init(&d, stderr);
  if (lift_program(a, &prog, &caged, &d) < 0 ||
      native_compile(a, strbuf_cstr(&caged), arch, NATIVE_CC_CLANG, "clang-19", &img, &d) < 0) {
    CHECK(0, "lift + clang of a loop");
    return;
  }
  CHECK(img.line_count > 0, "no DWARF lines for arch %d", arch);
  int lifted = 0;
  for (size_t i = 0; i < img.line_count; i++) {
    CHECK(img.lines[i].offset < img.text_size, "line offset past the text");
    const char *s = caged.data;
    for (uint32_t l = 1; l < img.lines[i].c_line && s; l++)
      s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL;
    lifted += s && strncmp(s, "  /* ", 5) == 0;
  }
  CHECK(lifted > 0, "no line points at a lifted statement");
  CHECK(native_disasm(a, &img, &prog, strbuf_cstr(&caged), &listing) == 0, "native_disasm");
  const char *text = strbuf_cstr(&listing);
  CHECK(strstr(text, "zs_entry_loop:") && strstr(text, "; caged.c:") && strstr(text, "/* 1 */"),
        "listing lacks label or source lines:\n%s", text);
}

int main(void)
{
  struct arena a = {0};
  units_lift_refusals(&a);
  units_native_refusals(&a);
  units_relocs();
  units_lines_and_asm(&a, ZS_ARCH_X86_64);
  units_lines_and_asm(&a, ZS_ARCH_AARCH64);
  arena_reset(&a);
  printf("lifter-units: %d failures\n", failures);
  return failures ? 1 : 0;
}
