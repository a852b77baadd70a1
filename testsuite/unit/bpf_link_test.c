/* compile -> read -> link -> verify -> disasm on two objects compiled by
 * clang -target bpf: calls across objects, rodata strings from both, pointer
 * tables in rodata, line info through #line, only reachable functions linked;
 * and the link errors. */
#include <string.h>

#include "abi/cage.h"
#include "bpf/insn.h"
#include "bpf_test_util.h"

static const char main_c[] =
  "#line 1 \"Caddyfile\"\n"
  "extern int ext_count(const char *s, int n);\n"
  "static __attribute__((noinline)) int local_twice(int x) { return x * 2 + 1; }\n"
  "static const char *const names[] = { \"alpha\", \"beta\" };\n"
  "static long (*const zs_buf_lit)(long, const char *, long) = (void *)3;\n"
  "int zs_entry_srv0(unsigned long r1)\n"
  "{\n"
  "  int s = 0;\n"
  "  for (int i = 0; i < (int)r1; i++) s += local_twice(i);\n"
  "  zs_buf_lit(0, \"hello\", 5);\n"
  "  return ext_count(names[r1 & 1], s) + local_twice(s);\n"
  "}\n";

static const char lib_c[] =
  "static long (*const zs_buf_lit)(long, const char *, long) = (void *)3;\n"
  "int ext_count(const char *s, int n)\n"
  "{\n"
  "  zs_buf_lit(1, \"from-lib\", 8);\n"
  "  int c = 0;\n"
  "  for (int i = 0; i < n && s[i]; i++) c++;\n"
  "  return c;\n"
  "}\n";

static struct bpf_object *compile_read(struct arena *a, const char *name, const char *src, struct diag *d)
{
  uint8_t *elf;
  size_t size;
  struct bpf_compile_options opt = { .source_name = name };
  if (bpf_compile(a, src, strlen(src), &opt, &elf, &size, d) < 0)
    return NULL;
  struct bpf_object *obj = NULL;
  return bpf_read(a, name, elf, size, &obj, d) == 0 ? obj : NULL;
}

static const struct bpf_func *find_func(const struct bpf_program *p, const char *name)
{
  for (size_t i = 0; i < p->func_count; i++)
    if (!strcmp(p->funcs[i].name, name))
      return &p->funcs[i];
  return NULL;
}

static const char *rodata_at(const struct bpf_program *p, uint64_t addr)
{
  if (addr < ZS_CAGE_RODATA_OFF || addr >= ZS_CAGE_RODATA_OFF + p->rodata_size)
    return NULL;
  return (const char *)p->rodata + (addr - ZS_CAGE_RODATA_OFF);
}

/* every ld_imm64 of rodata, as the strings they point at */
static int count_strings(const struct bpf_program *p, const char *want)
{
  int n = 0;
  for (size_t pc = 0; pc + 1 < p->insn_count; pc++) {
    if (!bpf_insn_is_ld_imm64(&p->insns[pc]))
      continue;
    uint64_t v = (uint32_t)p->insns[pc].imm | (uint64_t)(uint32_t)p->insns[pc + 1].imm << 32;
    const char *s = rodata_at(p, v);
    n += s && !strcmp(s, want);
    pc++;
  }
  return n;
}

static void check_calls(const struct bpf_program *p)
{
  const struct bpf_func *entry = find_func(p, "zs_entry_srv0"), *ext = find_func(p, "ext_count"),
                        *local = find_func(p, "local_twice");
  CHECK(entry && ext && local);
  if (!entry || !ext || !local)
    return;
  CHECK(entry->is_entry && !ext->is_entry && !local->is_entry);
  int to_ext = 0, to_local = 0;
  for (uint32_t pc = entry->start; pc < entry->end; pc++) {
    const struct bpf_insn *in = &p->insns[pc];
    if (!bpf_insn_is_local_call(in))
      continue;
    uint32_t target = pc + 1 + (uint32_t)in->imm;
    to_ext += target == ext->start;
    to_local += target == local->start;
  }
  CHECK(to_ext == 1);
  CHECK(to_local == 2);
}

/* the names[] table in rodata holds cage addresses of "alpha" and "beta" */
static void check_rodata_table(const struct bpf_program *p)
{
  int found = 0;
  for (size_t off = 0; off + 16 <= p->rodata_size; off += 8) {
    uint64_t a0, a1;
    memcpy(&a0, p->rodata + off, 8);
    memcpy(&a1, p->rodata + off + 8, 8);
    const char *s0 = rodata_at(p, a0), *s1 = rodata_at(p, a1);
    found += s0 && s1 && !strcmp(s0, "alpha") && !strcmp(s1, "beta");
  }
  CHECK(found == 1);
}

static void check_lines(const struct bpf_program *p)
{
  const struct bpf_func *entry = find_func(p, "zs_entry_srv0");
  int caddyfile_lines = 0;
  for (size_t i = 0; i < p->line_count; i++) {
    CHECK(i == 0 || p->lines[i - 1].insn <= p->lines[i].insn);
    CHECK(p->lines[i].insn < p->insn_count);
    if (p->lines[i].file && !strcmp(p->lines[i].file, "Caddyfile") && entry &&
        p->lines[i].insn >= entry->start && p->lines[i].insn < entry->end)
      caddyfile_lines++;
  }
  CHECK(caddyfile_lines > 0);
  const struct bpf_line *l = entry ? bpf_program_line(p, entry->start) : NULL;
  CHECK(l && l->line >= 5 && l->line <= 11);
}

static void check_listing(struct arena *a, const struct bpf_program *p)
{
  struct strbuf sb;
  strbuf_init(&sb, a);
  bpf_disasm(p, &sb);
  const char *text = strbuf_cstr(&sb);
  CHECK(strstr(text, "\nzs_entry_srv0:  ; entry"));
  CHECK(strstr(text, "\next_count:"));
  CHECK(strstr(text, "; Caddyfile:"));
  CHECK(strstr(text, "helper buf_lit"));
  CHECK(strstr(text, "; -> ext_count"));
  CHECK(strstr(text, "\"hello\""));
  CHECK(strstr(text, "exit"));
  CHECK(strstr(text, "; rodata: "));
  CHECK(strstr(text, "<unknown") == NULL);
  if (getenv("BPF_TEST_SHOW"))
    fputs(text, stdout);
}

static void test_link_two_objects(struct arena *a)
{
  struct test_diag t;
  test_diag_open(&t);
  struct bpf_object *objs[2] = { compile_read(a, "site.bpf.c", main_c, &t.d),
                                 compile_read(a, "lib.bpf.c", lib_c, &t.d) };
  struct bpf_program p;
  int linked = objs[0] && objs[1] ? bpf_link(a, objs, 2, &p, &t.d) : -1;
  int verified = linked == 0 ? bpf_verify(&p, &t.d) : -1;
  const char *msgs = test_diag_close(&t);
  CHECK(linked == 0);
  CHECK(verified == 0);
  if (linked == 0) {
    CHECK(p.func_count == 3);
    check_calls(&p);
    CHECK(count_strings(&p, "hello") == 1);
    CHECK(count_strings(&p, "from-lib") == 1);
    check_rodata_table(&p);
    check_lines(&p);
    if (verified == 0) {
      const struct bpf_func *entry = find_func(&p, "zs_entry_srv0");
      CHECK(entry && entry->max_chain_stack >= entry->stack_size);
      CHECK(entry && entry->stack_size <= ZS_MAX_FRAME_STACK);
      check_listing(a, &p);
    }
  }
  if (test_failures)
    fprintf(stderr, "diagnostics:\n%s", msgs);
  test_diag_free(&t);
}

/* A stdlib-like object: three public functions, lib_a reaching two static
 * ones through a chain. clang lays out lib_b and lib_c first, between the
 * program and lib_a, so keeping lib_a means moving it; and it calls static
 * functions of its own section with no relocation at all, so the call graph
 * must come from the code, not from the relocations. */
static const char reach_lib_c[] =
  "#line 1 \"lib.c\"\n"
  "__attribute__((noinline)) int lib_b(int x) { return x * 3 + 7; }\n"
  "__attribute__((noinline)) static int lib_deep(int x) { return x ^ 0x55; }\n"
  "__attribute__((noinline)) int lib_c(int x) { return lib_b(x) - 1; }\n"
  "__attribute__((noinline)) static int lib_inner(int x) { return lib_deep(x + 1) * 2; }\n"
  "__attribute__((noinline)) int lib_a(int x) { return lib_inner(x) + lib_inner(x >> 1); }\n";

/* the program calls lib_a only; reach_all_c also calls the other two */
static const char reach_main_c[] =
  "extern int lib_a(int);\n"
  "int zs_entry_one(unsigned long r1) { return lib_a((int)r1); }\n";
static const char reach_all_c[] =
  "extern int lib_a(int), lib_b(int), lib_c(int);\n"
  "int zs_entry_one(unsigned long r1) { return lib_a((int)r1); }\n"
  "int zs_entry_all(unsigned long r1) { return lib_b((int)r1) + lib_c((int)r1); }\n";

static int link_pair(struct arena *a, const char *main_src, struct bpf_program *p, struct test_diag *t)
{
  struct bpf_object *objs[2] = { compile_read(a, "site.bpf.c", main_src, &t->d),
                                 compile_read(a, "lib.bpf.c", reach_lib_c, &t->d) };
  if (!objs[0] || !objs[1] || bpf_link(a, objs, 2, p, &t->d) < 0)
    return -1;
  return bpf_verify(p, &t->d);
}

/* the function a call at pc lands on, by name */
static const char *call_target(const struct bpf_program *p, uint32_t pc)
{
  const struct bpf_func *f = bpf_program_func(p, pc + 1 + (size_t)(int64_t)p->insns[pc].imm);
  return f && f->start == pc + 1 + (uint32_t)p->insns[pc].imm ? f->name : "(bad target)";
}

/* f in p and g in q: the same instructions, and calls landing on the same names */
static bool same_code(const struct bpf_program *p, const struct bpf_func *f, const struct bpf_program *q,
                      const struct bpf_func *g)
{
  if (f->end - f->start != g->end - g->start)
    return false;
  for (uint32_t i = 0; i < f->end - f->start; i++) {
    const struct bpf_insn *x = &p->insns[f->start + i], *y = &q->insns[g->start + i];
    if (bpf_insn_is_local_call(x) && bpf_insn_is_local_call(y)) {
      if (strcmp(call_target(p, f->start + i), call_target(q, g->start + i)))
        return false;
    } else if (memcmp(x, y, sizeof *x)) {
      return false;
    }
  }
  return true;
}

/* the kept program tiles: functions back to back, lines inside, all calls on a function start */
static void check_compact(const struct bpf_program *p)
{
  uint32_t at = 0;
  for (size_t i = 0; i < p->func_count; i++) {
    CHECK(p->funcs[i].start == at);
    at = p->funcs[i].end;
  }
  CHECK(at == p->insn_count);
  for (size_t i = 0; i < p->line_count; i++)
    CHECK(p->lines[i].insn < p->insn_count && (i == 0 || p->lines[i - 1].insn <= p->lines[i].insn));
  for (uint32_t pc = 0; pc < p->insn_count; pc++)
    if (bpf_insn_is_local_call(&p->insns[pc]))
      CHECK(strcmp(call_target(p, pc), "(bad target)"));
}

/* the program's code in full, the library's by name, one line each */
static void check_own_listing(struct arena *a, const struct bpf_program *p)
{
  struct strbuf sb;
  strbuf_init(&sb, a);
  bpf_disasm_own(p, &sb);
  const char *text = strbuf_cstr(&sb);
  CHECK(strstr(text, "\nzs_entry_one:  ; entry"));
  CHECK(strstr(text, "; -> lib_a\n"));
  CHECK(strstr(text, "\n; library functions reached, listed by name only:\n;   lib_a\n;   lib_inner\n;   lib_deep\n"));
  CHECK(!strstr(text, "\nlib_a:") && !strstr(text, "\nlib_deep:"));
  CHECK(!strstr(text, "lib.c:"));
}

static void test_link_reachable_only(struct arena *a)
{
  struct test_diag t;
  test_diag_open(&t);
  struct bpf_program one, all;
  int rc_one = link_pair(a, reach_main_c, &one, &t), rc_all = link_pair(a, reach_all_c, &all, &t);
  const char *msgs = test_diag_close(&t);
  CHECK(rc_one == 0 && rc_all == 0);
  if (rc_one == 0 && rc_all == 0) {
    static const char *const kept[] = { "zs_entry_one", "lib_a", "lib_inner", "lib_deep" };
    CHECK(one.func_count == 4);
    CHECK(all.func_count == 7);
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
      const struct bpf_func *f = find_func(&one, kept[i]), *g = find_func(&all, kept[i]);
      CHECK(f && g && same_code(&one, f, &all, g));
    }
    CHECK(!find_func(&one, "lib_b") && !find_func(&one, "lib_c"));
    CHECK(find_func(&all, "lib_b") && find_func(&all, "lib_c"));
    check_compact(&one);
    const struct bpf_func *deep = find_func(&one, "lib_deep");
    const struct bpf_line *l = deep ? bpf_program_line(&one, deep->start) : NULL;
    CHECK(l && l->file && !strcmp(l->file, "lib.c") && l->line == 2);
    check_own_listing(a, &one);
  }
  if (test_failures)
    fprintf(stderr, "diagnostics:\n%s", msgs);
  test_diag_free(&t);
}

static void test_undefined_symbol(struct arena *a)
{
  struct test_diag t;
  test_diag_open(&t);
  struct bpf_object *obj = compile_read(a, "site.bpf.c", main_c, &t.d);
  struct bpf_program p;
  int rc = obj ? bpf_link(a, &obj, 1, &p, &t.d) : 0;
  const char *msgs = test_diag_close(&t);
  CHECK(obj && rc == -1);
  CHECK(strstr(msgs, "undefined symbol 'ext_count'"));
  test_diag_free(&t);
}

static void test_duplicate_symbol(struct arena *a)
{
  struct test_diag t;
  test_diag_open(&t);
  struct bpf_object *objs[3] = { compile_read(a, "site.bpf.c", main_c, &t.d),
                                 compile_read(a, "lib.bpf.c", lib_c, &t.d),
                                 compile_read(a, "lib2.bpf.c", lib_c, &t.d) };
  struct bpf_program p;
  int rc = objs[0] && objs[1] && objs[2] ? bpf_link(a, objs, 3, &p, &t.d) : 0;
  const char *msgs = test_diag_close(&t);
  CHECK(rc == -1);
  CHECK(strstr(msgs, "'ext_count' is defined in more than one object"));
  test_diag_free(&t);
}

static void test_refusals(struct arena *a)
{
  static const char *const cases[][2] = {
    { "int counter; int zs_entry_a(void) { return ++counter; }", "writable global data" },
    { "int counter = 5; int zs_entry_a(void) { return ++counter; }", "writable global data" },
    { "#line 7 \"Caddyfile\"\nint zs_entry_a(void) { return undeclared_thing; }", "Caddyfile:7:" },
    { "__attribute__((section(\".maps\"))) struct { int type; } m;\n"
      "int zs_entry_a(void) { return m.type; }", "eBPF maps are not supported" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct test_diag t;
    test_diag_open(&t);
    struct bpf_object *obj = compile_read(a, "bad.bpf.c", cases[i][0], &t.d);
    const char *msgs = test_diag_close(&t);
    CHECK(obj == NULL);
    CHECK(t.d.errors > 0);
    if (!strstr(msgs, cases[i][1])) {
      fprintf(stderr, "case %zu: expected '%s' in:\n%s", i, cases[i][1], msgs);
      test_failures++;
    }
    test_diag_free(&t);
  }
}

int main(void)
{
  struct arena a = { 0 };
  test_link_two_objects(&a);
  test_link_reachable_only(&a);
  test_undefined_symbol(&a);
  test_duplicate_symbol(&a);
  test_refusals(&a);
  arena_reset(&a);
  return test_result("bpf_link_test");
}
