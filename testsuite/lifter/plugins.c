/* Random programs through the ebpf directive's path: each seeded random
 * program (random.c) is written out as an eBPF object whose entry is
 * zs_handle, read, made a plugin, linked beside a site object that calls it,
 * and verified, exactly as zsc does with a user's .o; the linked program is
 * lifted, compiled for x86_64 and run in a cage, and must agree with the
 * reference interpreter. Then each program is mutated (one instruction
 * changed at random) and verified again: what the verifier accepts must
 * still agree, so nothing it lets through escapes the cage or diverges.
 *   lifter-plugins [--seed=N] [--count=N]   (PLUGINS_DEBUG=1 names each mutant) */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/helpers.h"
#include "base/strbuf.h"
#include "bpf/bpf.h"
#include "bpf/lift.h"
#include "cases.h"
#include "native/native.h"

/* the test helpers (run.h) pass the verifier as these helpers.def ids */
static const int32_t plugins_helper_ids[RUN_HELPER_COUNT] = {ZS_HELPER_time_now, ZS_HELPER_random_bytes,
                                                            ZS_HELPER_sha256};

struct elf_out {
  uint8_t *buf;
  size_t len, cap;
  struct arena *a;
};

static size_t elf_put(struct elf_out *o, const void *p, size_t n, size_t align)
{
  while (o->len % align)
    o->len++;
  if (o->len + n > o->cap) {
    size_t cap = (o->len + n) * 2 + 256;
    uint8_t *b = arena_alloc(o->a, cap);
    if (o->len)
      memcpy(b, o->buf, o->len);   /* the first growth has no buffer yet */
    o->buf = b;
    o->cap = cap;
  }
  memset(o->buf + o->len, 0, n);
  if (p)
    memcpy(o->buf + o->len, p, n);
  o->len += n;
  return o->len - n;
}

struct elf_sym_in {
  const char *name;
  uint32_t value, size;        /* bytes in .text */
  int global, defined;
};

/* An ET_REL EM_BPF object: .text, optionally .rel.text (one call
 * relocation at text offset 0 against symbol rel_sym), .symtab, .strtab. */
static int elf_build(struct arena *a, const struct bpf_insn *insns, size_t n, const struct elf_sym_in *syms,
                     size_t nsyms, int rel_sym, uint8_t **out, size_t *out_len)
{
  struct elf_out o = {.a = a};
  Elf64_Ehdr eh = {0};
  elf_put(&o, NULL, sizeof eh, 1);
  size_t text = elf_put(&o, insns, n * sizeof *insns, 8);
  char strtab[4096] = "";
  size_t strlen_at = 1;
  Elf64_Sym symtab[16] = {{0}};
  size_t locals = 1;
  for (int pass = 0; pass < 2; pass++)   /* locals first, as ELF wants */
    for (size_t i = 0; i < nsyms; i++) {
      if (syms[i].global != pass)
        continue;
      Elf64_Sym *s = &symtab[locals++];
      s->st_name = (uint32_t)strlen_at;
      strcpy(strtab + strlen_at, syms[i].name);
      strlen_at += strlen(syms[i].name) + 1;
      s->st_info = ELF64_ST_INFO(syms[i].global ? STB_GLOBAL : STB_LOCAL, syms[i].defined ? STT_FUNC : STT_NOTYPE);
      s->st_shndx = syms[i].defined ? 1 : SHN_UNDEF;
      s->st_value = syms[i].value;
      s->st_size = syms[i].size;
    }
  size_t first_global = 1;
  for (size_t i = 0; i < nsyms; i++)
    first_global += !syms[i].global;
  Elf64_Rel rel = {.r_offset = 0, .r_info = ELF64_R_INFO((uint64_t)(rel_sym + 1), 10)};
  size_t rel_at = rel_sym >= 0 ? elf_put(&o, &rel, sizeof rel, 8) : 0;
  size_t sym_at = elf_put(&o, symtab, locals * sizeof *symtab, 8);
  size_t str_at = elf_put(&o, strtab, strlen_at, 1);
  static const char shstr[] = "\0.text\0.rel.text\0.symtab\0.strtab\0.shstrtab";
  size_t shstr_at = elf_put(&o, shstr, sizeof shstr, 1);
  Elf64_Shdr sh[6] = {{0}};
  sh[1] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                       .sh_offset = text, .sh_size = n * sizeof *insns, .sh_addralign = 8};
  sh[2] = (Elf64_Shdr){.sh_name = 7, .sh_type = SHT_REL, .sh_offset = rel_at, .sh_size = rel_sym >= 0 ? sizeof rel : 0,
                       .sh_link = 3, .sh_info = 1, .sh_addralign = 8, .sh_entsize = sizeof rel};
  sh[3] = (Elf64_Shdr){.sh_name = 17, .sh_type = SHT_SYMTAB, .sh_offset = sym_at, .sh_size = locals * sizeof *symtab,
                       .sh_link = 4, .sh_info = (uint32_t)first_global, .sh_addralign = 8, .sh_entsize = sizeof *symtab};
  sh[4] = (Elf64_Shdr){.sh_name = 25, .sh_type = SHT_STRTAB, .sh_offset = str_at, .sh_size = strlen_at, .sh_addralign = 1};
  sh[5] = (Elf64_Shdr){.sh_name = 33, .sh_type = SHT_STRTAB, .sh_offset = shstr_at, .sh_size = sizeof shstr,
                       .sh_addralign = 1};
  size_t sh_at = elf_put(&o, sh, sizeof sh, 8);
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_REL;
  eh.e_machine = EM_BPF;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof eh;
  eh.e_shoff = sh_at;
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = 6;
  eh.e_shstrndx = 5;
  memcpy(o.buf, &eh, sizeof eh);
  *out = o.buf;
  *out_len = o.len;
  return 0;
}

/* The generator leaves unused fields random (the lifter ignores them); zsc's
 * verifier, like the kernel's, wants them zero. This sets every field an
 * instruction does not use to what the verifier accepts, keeping its meaning. */
static void plugins_canonical(struct bpf_insn *in)
{
  unsigned cls = in->code & 7, op = in->code & 0xf0, x = in->code & 8;
  if (cls == 4 || cls == 7) {
    int width = cls == 7 ? 64 : 32;
    if (op == 0x80) {                          /* neg */
      in->code &= (uint8_t)~8, in->src = 0, in->imm = 0, in->off = 0;
    } else if (op == 0xd0) {                   /* end / bswap */
      if (cls == 7)
        in->code &= (uint8_t)~8;
      in->src = 0, in->off = 0;
      in->imm = in->imm == 16 || in->imm == 32 || in->imm == 64 ? in->imm : 64;
    } else {
      if (x)
        in->imm = 0;
      else
        in->src = 0;
      if (!x && (op == 0x60 || op == 0x70 || op == 0xc0))
        in->imm &= width - 1;
      if (!x && (op == 0x30 || op == 0x90) && in->imm == 0)
        in->imm = 1;
      int off_ok = op == 0x30 || op == 0x90 ? in->off == 0 || in->off == 1
                   : op == 0xb0 && x ? in->off == 0 || in->off == 8 || in->off == 16 || (cls == 7 && in->off == 32)
                                     : in->off == 0;
      if (!off_ok)
        in->off = 0;
    }
  } else if ((cls == 5 || cls == 6) && op != 0x80 && op != 0x90 && op != 0x00) {
    if (x)
      in->imm = 0;
    else
      in->src = 0;
  }
}

/* a case as a user's object: zs_handle and its callee, helper ids mapped */
static int plugins_object(struct arena *a, const struct test_case *c, unsigned index, int canonical,
                          struct bpf_object **obj, struct diag *d)
{
  struct bpf_insn *insns = arena_alloc(a, c->insn_count * sizeof *insns);
  memcpy(insns, c->insns, c->insn_count * sizeof *insns);
  for (size_t i = 0; canonical && i < c->insn_count; i++)
    plugins_canonical(&insns[i]);
  for (size_t i = 0; i < c->insn_count; i++)
    if (insns[i].code == 0x85 && insns[i].src == 0 && insns[i].imm >= 0 && insns[i].imm < RUN_HELPER_COUNT)
      insns[i].imm = plugins_helper_ids[insns[i].imm];
  uint32_t callee = c->func_count > 1 ? c->func_start[1] : (uint32_t)c->insn_count;
  struct elf_sym_in syms[2] = {{"helper_fn", callee * 8, (uint32_t)(c->insn_count - callee) * 8, 0, 1},
                               {"zs_handle", 0, callee * 8, 1, 1}};
  uint8_t *elf;
  size_t len;
  elf_build(a, insns, c->insn_count, c->func_count > 1 ? syms : syms + 1, c->func_count > 1 ? 2 : 1, -1, &elf, &len);
  if (bpf_read(a, "random.o", elf, len, obj, d) < 0)
    return -1;
  return bpf_object_as_plugin(*obj, arena_printf(a, "zs_plugin_%u", index), d);
}

/* the site: zs_entry_<index> calls zs_plugin_<index> and returns its r0 */
static int plugins_site(struct arena *a, unsigned index, struct bpf_object **obj, struct diag *d)
{
  static const struct bpf_insn body[2] = {{.code = 0x85, .src = 1, .imm = -1}, {.code = 0x95}};
  struct elf_sym_in syms[2] = {{arena_printf(a, "zs_entry_%u", index), 0, 16, 1, 1},
                               {arena_printf(a, "zs_plugin_%u", index), 0, 0, 1, 0}};
  uint8_t *elf;
  size_t len;
  elf_build(a, body, 2, syms, 2, 1, &elf, &len);
  return bpf_read(a, "site.o", elf, len, obj, d);
}

/* the helper ids back to the test helpers, which the cage here provides */
static void plugins_unmap(struct bpf_program *prog)
{
  for (size_t i = 0; i < prog->insn_count; i++)
    for (int k = 0; k < RUN_HELPER_COUNT; k++)
      if (prog->insns[i].code == 0x85 && prog->insns[i].src == 0 && prog->insns[i].imm == plugins_helper_ids[k]) {
        prog->insns[i].imm = k;
        break;
      }
}

/* links and verifies the cases as one site with a plugin each */
static int plugins_link(struct arena *a, const struct test_case *const *cases, size_t n, int canonical,
                        struct bpf_program *prog, struct diag *d)
{
  struct bpf_object **objs = arena_alloc(a, 2 * n * sizeof *objs);
  for (size_t i = 0; i < n; i++)
    if (plugins_site(a, (unsigned)i, &objs[i], d) < 0 || plugins_object(a, cases[i], (unsigned)i, canonical, &objs[n + i], d) < 0)
      return -1;
  if (bpf_link(a, objs, 2 * n, prog, d) < 0 || bpf_verify(prog, d) < 0)
    return -1;
  plugins_unmap(prog);
  return 0;
}

struct plugins_tally {
  const char *what;
  int mutants, dead;
};

static int plugins_check(void *ctx, const struct bpf_func *fn, const struct run_result *ref,
                         const struct run_result *got)
{
  struct plugins_tally *t = ctx;
  /* a load whose value is unused may be deleted by the native compiler
   * (design-notes.md, "Dead accesses"): the interpreter faults, the native
   * code completes; in a mutant that is no escape, only counted */
  if (t->mutants && ref->trap == ZS_TRAP_FAULT && got->trap == 0) {
    t->dead++;
    return 0;
  }
  if (got->trap == ref->trap && (ref->trap || (got->r0 == ref->r0 && got->snapped == ref->snapped &&
                                                got->snap_hash == ref->snap_hash)))
    return 0;
  fprintf(stderr, "FAIL %s %s: interpreter trap %u r0 %#llx, native trap %u r0 %#llx\n", t->what, fn->name,
          ref->trap, (unsigned long long)ref->r0, got->trap, (unsigned long long)got->r0);
  return 1;
}

static int plugins_run(struct arena *a, const struct bpf_program *prog, const char *what)
{
  struct diag d;
  diag_init(&d, stderr);
  struct strbuf caged;
  strbuf_init(&caged, a);
  struct native_image img;
  struct run_env env;
  if (lift_program(a, prog, &caged, &d) < 0 ||
      native_compile(a, strbuf_cstr(&caged), ZS_ARCH_X86_64, NATIVE_CC_CLANG, NULL, &img, &d) < 0 ||
      run_env_init(&env, img.code, img.code_size, prog->rodata, prog->rodata_size) < 0)
    return fprintf(stderr, "FAIL %s: not lifted, compiled or run\n", what), 1;
  struct plugins_tally t = {.what = what, .mutants = strcmp(what, "mutants") == 0};
  int entries, failures = case_run_entries(a, prog, &img, &env, plugins_check, &t, &entries);
  run_env_destroy(&env);
  printf("lifter-plugins %s: %d entries, %d failures, %d dead faulting loads\n", what, entries, failures, t.dead);
  return failures || entries == 0;
}

static uint64_t plugins_next(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* one instruction of a copy changed: an opcode, a register, an offset or an immediate */
static struct test_case *plugins_mutate(struct arena *a, const struct test_case *c, uint64_t *rng)
{
  struct test_case *m = arena_alloc(a, sizeof *m);
  *m = *c;
  struct bpf_insn *insns = arena_alloc(a, c->insn_count * sizeof *insns);
  memcpy(insns, c->insns, c->insn_count * sizeof *insns);
  for (size_t i = 0; i < c->insn_count; i++)
    plugins_canonical(&insns[i]);
  struct bpf_insn *in = &insns[plugins_next(rng) % c->insn_count];
  switch (plugins_next(rng) % 5) {
  case 0: in->code = (uint8_t)plugins_next(rng); break;
  case 1: in->dst = (uint8_t)(plugins_next(rng) % 16); break;
  case 2: in->src = (uint8_t)(plugins_next(rng) % 16); break;
  case 3: in->off = (int16_t)plugins_next(rng); break;
  default: in->imm = (int32_t)plugins_next(rng); break;
  }
  if (getenv("PLUGINS_DEBUG"))
    fprintf(stderr, "mutant of %s at %ld: %02x %u %u %d %d\n", c->name, (long)(in - insns), in->code, in->dst, in->src, in->off, in->imm);
  m->insns = insns;
  return m;
}

int main(int argc, char **argv)
{
  uint64_t seed = 7;
  unsigned count = 60;
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--seed=", 7)) seed = strtoull(argv[i] + 7, NULL, 0);
    else if (!strncmp(argv[i], "--count=", 8)) count = (unsigned)strtoul(argv[i] + 8, NULL, 0);
    else {
      fprintf(stderr, "usage: lifter-plugins [--seed=N] [--count=N]\n");
      return 2;
    }
  }
  struct arena a = {0};
  struct diag d;
  diag_init(&d, stderr);
  struct case_set set = {0};
  random_add_all(&a, &set, seed, count);
  const struct test_case **cases = arena_alloc(&a, (set.count + 1) * sizeof *cases);
  for (size_t i = 0; i < set.count; i++)
    cases[i] = &set.cases[i];
  struct bpf_program prog;
  if (plugins_link(&a, cases, set.count, 1, &prog, &d) < 0)
    return fprintf(stderr, "FAIL: zsc's path refused valid random programs\n"), 1;
  int rc = plugins_run(&a, &prog, "random");
  /* mutants: each verified alone; the accepted ones run together */
  FILE *quiet = fopen("/dev/null", "w");
  struct diag dq;
  diag_init(&dq, quiet ? quiet : stderr);
  uint64_t rng = seed * 0x9e3779b97f4a7c15ull | 1;
  const struct test_case **kept = arena_alloc(&a, (4 * set.count + 1) * sizeof *kept);
  size_t nkept = 0, refused = 0;
  for (size_t i = 0; i < 4 * set.count; i++) {
    const struct test_case *m = plugins_mutate(&a, cases[i % set.count], &rng);
    struct bpf_program one;
    if (plugins_link(&a, &m, 1, 0, &one, &dq) < 0) {
      refused++;
      continue;
    }
    int foreign = 0;   /* a mutated call to a real helper: not in this test's cage */
    for (size_t k = 0; k < one.insn_count; k++)
      foreign |= one.insns[k].code == 0x85 && one.insns[k].src == 0 && one.insns[k].imm >= RUN_HELPER_COUNT;
    if (!foreign && getenv("PLUGINS_DEBUG"))
      fprintf(stderr, "kept %zu\n", nkept);
    if (!foreign)
      kept[nkept++] = m;
  }
  if (quiet)
    fclose(quiet);
  printf("lifter-plugins mutants: %zu refused by the verifier, %zu accepted and run\n", refused, nkept);
  if (nkept && plugins_link(&a, kept, nkept, 0, &prog, &d) < 0)
    rc = fprintf(stderr, "FAIL: accepted mutants refused together\n") > 0;
  else if (nkept)
    rc |= plugins_run(&a, &prog, "mutants");
  arena_reset(&a);
  return rc ? 1 : 0;
}
