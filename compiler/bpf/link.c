/* The linker: several eBPF objects (the generated program, stdlib-bpf) into one
 * struct bpf_program: code and rodata laid out, symbols resolved across
 * objects, relocations applied, line info moved to final indices, and the
 * functions no entry reaches dropped. It checks what relocations need;
 * instruction-level checks are verify.c's. */
#include "object.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "abi/cage.h"
#include "insn.h"

struct link_ctx {
  struct arena *a;
  struct bpf_object *const *objs;
  size_t count;
  struct bpf_program *prog;
  struct diag *d;
  size_t func_cap, line_cap;
};

/* what a symbol reference resolves to */
struct link_target {
  const struct bpf_object *obj;
  const struct bpf_section *section;
  const struct bpf_symbol *symbol;
};

static int link_fail(struct link_ctx *c, const struct bpf_object *obj, const char *fmt, const char *arg)
{
  diag_error(c->d, (struct srcpos){ .file = obj->name }, fmt, arg);
  return -1;
}

static void link_layout(struct link_ctx *c)
{
  size_t insns = 0, rodata = 0;
  for (size_t o = 0; o < c->count; o++)
    for (size_t i = 1; i < c->objs[o]->section_count; i++) {
      struct bpf_section *s = &c->objs[o]->sections[i];
      if (s->role == BPF_SECTION_CODE) {
        s->base = insns;
        insns += s->size / sizeof(struct bpf_insn);
      } else if (s->role == BPF_SECTION_RODATA) {
        rodata = (rodata + s->align - 1) / s->align * s->align;
        s->base = rodata;
        rodata += s->size;
      }
    }
  c->prog->insns = arena_alloc(c->a, (insns + 1) * sizeof *c->prog->insns);
  c->prog->insn_count = insns;
  c->prog->rodata = arena_alloc(c->a, rodata + 1);
  c->prog->rodata_size = rodata;
}

static void link_copy_sections(struct link_ctx *c)
{
  for (size_t o = 0; o < c->count; o++)
    for (size_t i = 1; i < c->objs[o]->section_count; i++) {
      const struct bpf_section *s = &c->objs[o]->sections[i];
      if (s->role == BPF_SECTION_CODE)
        memcpy(&c->prog->insns[s->base], s->data, s->size);
      else if (s->role == BPF_SECTION_RODATA)
        memcpy(c->prog->rodata + s->base, s->data, s->size);
    }
}

static int link_compare_funcs(const void *x, const void *y)
{
  const struct bpf_func *f = x, *g = y;
  return f->start < g->start ? -1 : f->start > g->start;
}

static void link_add_func(struct link_ctx *c, size_t object, const struct bpf_section *s,
                          const struct bpf_symbol *sym)
{
  struct bpf_program *p = c->prog;
  struct bpf_func *f = ARENA_PUSH(c->a, p->funcs, p->func_count, c->func_cap);
  f->name = sym->name;
  f->start = (uint32_t)(s->base + sym->value / sizeof(struct bpf_insn));
  f->end = sym->size ? (uint32_t)(f->start + sym->size / sizeof(struct bpf_insn))
                     : (uint32_t)(s->base + s->size / sizeof(struct bpf_insn));
  f->is_entry = sym->bind == STB_GLOBAL && !strncmp(sym->name, "zs_entry_", 9);
  f->object = c->objs[object]->plugin ? 0 : (uint32_t)object;
}

/* every STT_FUNC in a code section; sorted; they must tile the program */
static int link_collect_funcs(struct link_ctx *c)
{
  for (size_t o = 0; o < c->count; o++) {
    const struct bpf_object *obj = c->objs[o];
    for (size_t i = 1; i < obj->symbol_count; i++) {
      const struct bpf_symbol *sym = &obj->symbols[i];
      if (sym->type == STT_FUNC && sym->section && sym->section < obj->section_count &&
          obj->sections[sym->section].role == BPF_SECTION_CODE)
        link_add_func(c, o, &obj->sections[sym->section], sym);
    }
  }
  struct bpf_program *p = c->prog;
  qsort(p->funcs, p->func_count, sizeof *p->funcs, link_compare_funcs);
  uint32_t at = 0;
  for (size_t i = 0; i < p->func_count; i++) {
    struct bpf_func *f = &p->funcs[i];
    if (i + 1 < p->func_count && f->end > p->funcs[i + 1].start)
      f->end = p->funcs[i + 1].start;   /* size-less symbol: up to the next function */
    if (f->start != at || f->end <= f->start) {
      diag_error(c->d, (struct srcpos){ 0 }, "instructions %u..%u belong to no function (before %s)",
                 at, f->start, f->name);
      return -1;
    }
    at = f->end;
  }
  if (at != p->insn_count) {
    diag_error(c->d, (struct srcpos){ 0 }, "instructions %u.. belong to no function", at);
    return -1;
  }
  return 0;
}

static const struct bpf_symbol *link_find_global(struct link_ctx *c, const char *name,
                                                 const struct bpf_object **owner)
{
  const struct bpf_symbol *weak = NULL;
  for (size_t o = 0; o < c->count; o++)
    for (size_t i = 1; i < c->objs[o]->symbol_count; i++) {
      const struct bpf_symbol *s = &c->objs[o]->symbols[i];
      if (!s->section || (s->bind != STB_GLOBAL && s->bind != STB_WEAK) || strcmp(s->name, name))
        continue;
      if (s->bind == STB_GLOBAL || !weak) {
        *owner = c->objs[o];
        weak = s;
        if (s->bind == STB_GLOBAL)
          return s;
      }
    }
  return weak;
}

/* two objects must not both define the same global */
static int link_check_duplicates(struct link_ctx *c)
{
  for (size_t o = 0; o < c->count; o++)
    for (size_t i = 1; i < c->objs[o]->symbol_count; i++) {
      const struct bpf_symbol *s = &c->objs[o]->symbols[i];
      if (!s->section || s->bind != STB_GLOBAL)
        continue;
      for (size_t p = o + 1; p < c->count; p++)
        for (size_t j = 1; j < c->objs[p]->symbol_count; j++) {
          const struct bpf_symbol *t = &c->objs[p]->symbols[j];
          if (t->section && t->bind == STB_GLOBAL && !strcmp(s->name, t->name))
            return link_fail(c, c->objs[p], "symbol '%s' is defined in more than one object", s->name);
        }
    }
  return 0;
}

static int link_resolve(struct link_ctx *c, const struct bpf_object *obj, uint32_t index,
                        struct link_target *t)
{
  if (index == 0 || index >= obj->symbol_count)
    return link_fail(c, obj, "relocation against a bad symbol index%s", "");
  const struct bpf_symbol *sym = &obj->symbols[index];
  t->obj = obj;
  if (!sym->section) {
    sym = link_find_global(c, sym->name, &t->obj);
    if (!sym)
      return link_fail(c, obj, "undefined symbol '%s'", obj->symbols[index].name);
  }
  if (sym->section >= t->obj->section_count)
    return link_fail(c, obj, "symbol '%s' in a bad section", sym->name);
  t->symbol = sym;
  t->section = &t->obj->sections[sym->section];
  return 0;
}

/* rodata address of a target, or -1 when it is not rodata */
static int64_t link_rodata_addr(const struct link_target *t, int64_t addend)
{
  if (t->section->role != BPF_SECTION_RODATA)
    return -1;
  return (int64_t)ZS_CAGE_RODATA_OFF + (int64_t)(t->section->base + t->symbol->value) + addend;
}

static int link_ld_imm64(struct link_ctx *c, const struct bpf_object *obj, const struct bpf_reloc *r,
                         size_t pc, const struct link_target *t)
{
  struct bpf_insn *in = &c->prog->insns[pc];
  if (!bpf_insn_is_ld_imm64(in) || pc + 1 >= c->prog->insn_count)
    return link_fail(c, obj, "64-bit relocation against '%s' not on a ld_imm64", t->symbol->name);
  if (t->section->role == BPF_SECTION_CODE)
    return link_fail(c, obj, "address of function '%s' taken: function pointers are not supported",
                     t->symbol->name);
  int64_t addr = link_rodata_addr(t, r->has_addend ? r->addend : in->imm);
  if (addr < 0)
    return link_fail(c, obj, "ld_imm64 of '%s', which is not read-only data", t->symbol->name);
  in[0].imm = (int32_t)(uint32_t)addr;
  in[1].imm = (int32_t)(uint32_t)((uint64_t)addr >> 32);
  in[0].src = 0;
  return 0;
}

static int link_call(struct link_ctx *c, const struct bpf_object *obj, size_t pc, const struct link_target *t)
{
  struct bpf_insn *in = &c->prog->insns[pc];
  if (!bpf_insn_is_local_call(in))
    return link_fail(c, obj, "call relocation against '%s' not on a bpf-to-bpf call", t->symbol->name);
  if (t->section->role != BPF_SECTION_CODE)
    return link_fail(c, obj, "call to '%s', which is not code", t->symbol->name);
  int64_t in_section = (int64_t)(t->symbol->value / sizeof *in) + in->imm + 1;
  if (in_section < 0 || (uint64_t)in_section >= t->section->size / sizeof *in)
    return link_fail(c, obj, "call to '%s' lands outside its section", t->symbol->name);
  int64_t target = (int64_t)t->section->base + in_section;
  in->imm = (int32_t)(target - (int64_t)(pc + 1));
  return 0;
}

static int link_code_reloc(struct link_ctx *c, const struct bpf_object *obj, const struct bpf_reloc *r)
{
  const struct bpf_section *s = &obj->sections[r->section];
  if (r->offset % sizeof(struct bpf_insn) || r->offset >= s->size)
    return link_fail(c, obj, "misplaced relocation in %s", s->name);
  struct link_target t;
  if (link_resolve(c, obj, r->symbol, &t) < 0)
    return -1;
  size_t pc = s->base + r->offset / sizeof(struct bpf_insn);
  if (r->type == BPF_RELOC_64_64)
    return link_ld_imm64(c, obj, r, pc, &t);
  if (r->type == BPF_RELOC_64_32)
    return link_call(c, obj, pc, &t);
  diag_error(c->d, (struct srcpos){ .file = obj->name }, "unknown relocation type %u in %s", r->type, s->name);
  return -1;
}

/* pointers inside rodata (tables of strings): REL keeps the addend in the bytes */
static int link_rodata_reloc(struct link_ctx *c, const struct bpf_object *obj, const struct bpf_reloc *r)
{
  const struct bpf_section *s = &obj->sections[r->section];
  size_t width = r->type == BPF_RELOC_ABS64 ? 8 : r->type == BPF_RELOC_ABS32 ? 4 : 0;
  if (!width) {
    diag_error(c->d, (struct srcpos){ .file = obj->name }, "unknown relocation type %u in %s", r->type, s->name);
    return -1;
  }
  if (r->offset + width > s->size)
    return link_fail(c, obj, "misplaced relocation in %s", s->name);
  struct link_target t;
  if (link_resolve(c, obj, r->symbol, &t) < 0)
    return -1;
  uint8_t *at = c->prog->rodata + s->base + r->offset;
  uint64_t stored = 0;
  memcpy(&stored, at, width);
  int64_t addr = link_rodata_addr(&t, r->has_addend ? r->addend : (int64_t)stored);
  if (addr < 0)
    return link_fail(c, obj, "read-only data points at '%s', which is not read-only data", t.symbol->name);
  memcpy(at, &addr, width);
  return 0;
}

static int link_relocate(struct link_ctx *c)
{
  int rc = 0;
  for (size_t o = 0; o < c->count; o++) {
    const struct bpf_object *obj = c->objs[o];
    for (size_t i = 0; i < obj->reloc_count; i++) {
      const struct bpf_reloc *r = &obj->relocs[i];
      enum bpf_section_role role = obj->sections[r->section].role;
      if (role == BPF_SECTION_CODE && link_code_reloc(c, obj, r) < 0)
        rc = -1;
      else if (role == BPF_SECTION_RODATA && link_rodata_reloc(c, obj, r) < 0)
        rc = -1;
    }
  }
  return rc;
}

/* undefined symbols nothing references are still refused: they would be a
 * call or load the object expects to work */
static int link_check_undefined(struct link_ctx *c)
{
  int rc = 0;
  for (size_t o = 0; o < c->count; o++)
    for (size_t i = 1; i < c->objs[o]->symbol_count; i++) {
      const struct bpf_symbol *s = &c->objs[o]->symbols[i];
      const struct bpf_object *owner;
      if (!s->section && *s->name && s->type != STT_FILE && !link_find_global(c, s->name, &owner))
        rc = link_fail(c, c->objs[o], "undefined symbol '%s'", s->name);
    }
  return rc;
}

static int link_compare_lines(const void *x, const void *y)
{
  const struct bpf_line *l = x, *m = y;
  if (l->insn != m->insn)
    return l->insn < m->insn ? -1 : 1;
  return l->line < m->line ? -1 : l->line > m->line;
}

static void link_lines(struct link_ctx *c)
{
  struct bpf_program *p = c->prog;
  for (size_t o = 0; o < c->count; o++) {
    const struct bpf_object *obj = c->objs[o];
    for (size_t i = 0; i < obj->line_count; i++) {
      const struct bpf_line_rec *r = &obj->lines[i];
      const struct bpf_section *s = &obj->sections[r->section];
      if (s->role != BPF_SECTION_CODE || r->insn_off >= s->size)
        continue;
      struct bpf_line *l = ARENA_PUSH(c->a, p->lines, p->line_count, c->line_cap);
      *l = (struct bpf_line){ .insn = (uint32_t)(s->base + r->insn_off / sizeof(struct bpf_insn)),
                              .file = r->file, .line = r->line, .col = r->col, .text = r->text };
    }
  }
  if (p->line_count)
    qsort(p->lines, p->line_count, sizeof *p->lines, link_compare_lines);
}

/* Marks the entries and every function a bpf-to-bpf call reaches from them,
 * transitively. Calls are the only edges: an ld_imm64 or a rodata pointer
 * against code is refused above, so no function's address escapes. Returns -1
 * when a call lands outside every function (the verifier reports it). */
static int link_mark_reachable(struct link_ctx *c, bool *keep)
{
  const struct bpf_program *p = c->prog;
  size_t *work = arena_alloc(c->a, (p->func_count + 1) * sizeof *work), pending = 0;
  for (size_t i = 0; i < p->func_count; i++)
    if (p->funcs[i].is_entry) {
      keep[i] = true;
      work[pending++] = i;
    }
  while (pending) {
    const struct bpf_func *f = &p->funcs[work[--pending]];
    for (uint32_t pc = f->start; pc < f->end; pc += bpf_insn_is_ld_imm64(&p->insns[pc]) ? 2 : 1) {
      const struct bpf_insn *in = &p->insns[pc];
      if (!bpf_insn_is_local_call(in))
        continue;
      int64_t target = (int64_t)pc + 1 + in->imm;
      const struct bpf_func *callee = target < 0 ? NULL : bpf_program_func(p, (size_t)target);
      if (!callee)
        return -1;
      size_t index = (size_t)(callee - p->funcs);
      if (!keep[index]) {
        keep[index] = true;
        work[pending++] = index;
      }
    }
  }
  return 0;
}

/* where instruction pc of a kept function lands once the dropped ones are gone */
static uint32_t link_moved_pc(const struct bpf_program *p, const uint32_t *moved_start, uint32_t pc)
{
  const struct bpf_func *f = bpf_program_func(p, pc);
  return moved_start[f - p->funcs] + (pc - f->start);
}

/* calls are relative: recompute each kept call for the new layout, before any
 * instruction moves (functions move whole, so jumps inside them stay right) */
static void link_retarget_calls(struct bpf_program *p, const bool *keep, const uint32_t *moved_start)
{
  for (size_t i = 0; i < p->func_count; i++)
    for (uint32_t pc = p->funcs[i].start; keep[i] && pc < p->funcs[i].end;
         pc += bpf_insn_is_ld_imm64(&p->insns[pc]) ? 2 : 1) {
      struct bpf_insn *in = &p->insns[pc];
      if (bpf_insn_is_local_call(in)) {
        uint32_t target = link_moved_pc(p, moved_start, (uint32_t)((int64_t)pc + 1 + in->imm));
        in->imm = (int32_t)((int64_t)target - (int64_t)(link_moved_pc(p, moved_start, pc) + 1));
      }
    }
}

static void link_move_lines(struct bpf_program *p, const bool *keep, const uint32_t *moved_start)
{
  size_t kept = 0;
  for (size_t i = 0; i < p->line_count; i++) {
    const struct bpf_func *f = bpf_program_func(p, p->lines[i].insn);
    if (f && keep[f - p->funcs]) {
      p->lines[kept] = p->lines[i];
      p->lines[kept++].insn = link_moved_pc(p, moved_start, p->lines[i].insn);
    }
  }
  p->line_count = kept;
}

/* Links only what the program runs: the stdlib is linked whole, and most of it
 * is never called. Reachable functions keep their order and their code; only
 * call offsets and instruction indices change. Rodata stays as laid out. A
 * program without entries (a library on its own) is kept whole. */
static void link_drop_unreachable(struct link_ctx *c)
{
  struct bpf_program *p = c->prog;
  bool *keep = arena_alloc(c->a, p->func_count + 1);
  if (link_mark_reachable(c, keep) < 0)
    return;   /* a bad call: leave the program as linked for the verifier to name it */
  uint32_t *moved_start = arena_alloc(c->a, (p->func_count + 1) * sizeof *moved_start), at = 0;
  for (size_t i = 0; i < p->func_count; i++) {
    moved_start[i] = at;
    at += keep[i] ? p->funcs[i].end - p->funcs[i].start : 0;
  }
  if (at == 0 || at == p->insn_count)
    return;   /* no entry, or nothing to drop */
  link_retarget_calls(p, keep, moved_start);
  link_move_lines(p, keep, moved_start);
  size_t kept = 0;
  for (size_t i = 0; i < p->func_count; i++) {
    struct bpf_func f = p->funcs[i];
    if (!keep[i])
      continue;
    memmove(&p->insns[moved_start[i]], &p->insns[f.start], (f.end - f.start) * sizeof *p->insns);
    f.end = moved_start[i] + (f.end - f.start);
    f.start = moved_start[i];
    p->funcs[kept++] = f;
  }
  p->func_count = kept;
  p->insn_count = at;
}

int bpf_link(struct arena *a, struct bpf_object *const *objs, size_t count,
             struct bpf_program *out, struct diag *d)
{
  memset(out, 0, sizeof *out);
  struct link_ctx c = { .a = a, .objs = objs, .count = count, .prog = out, .d = d };
  link_layout(&c);
  if (out->rodata_size > ZS_CAGE_RODATA_MAX) {
    diag_error(d, (struct srcpos){ 0 }, "read-only data is %zu bytes, more than the cage's %u",
               out->rodata_size, ZS_CAGE_RODATA_MAX);
    return -1;
  }
  link_copy_sections(&c);
  if (link_check_duplicates(&c) < 0 || link_check_undefined(&c) < 0 || link_collect_funcs(&c) < 0)
    return -1;
  if (link_relocate(&c) < 0)
    return -1;
  link_lines(&c);
  link_drop_unreachable(&c);
  return 0;
}
