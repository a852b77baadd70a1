/* Native offset -> caged C line, from the object's DWARF .debug_line (v4 or
 * v5, as clang writes it). Only the line program's rows are read: the caged
 * C is one file, so file tables are skipped via header_length. The object is
 * relocatable, so DW_LNE_set_address operands are taken from .rela.debug_line
 * (symbol + addend, in image offsets). Missing or odd data just means no lines. */
#include <stdlib.h>
#include <string.h>

#include "native/native_parts.h"

struct lines_reader {
  const uint8_t *p, *end;
  int bad;
};

struct lines_state {
  struct arena *arena;
  struct native_image *out;
  size_t cap;
  const GElf_Rela *relocs;     /* of .debug_line, sorted by offset not needed: few */
  size_t reloc_count;
  const int64_t *sym_value;    /* image offset per symbol index, -1 if none */
  size_t sym_count;
  const uint8_t *section;      /* start of .debug_line, for reloc offsets */
};

static uint64_t lines_fixed(struct lines_reader *r, unsigned n)
{
  if ((size_t)(r->end - r->p) < n) {
    r->bad = 1;
    r->p = r->end;
    return 0;
  }
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)r->p[i] << (8 * i);
  r->p += n;
  return v;
}

static uint64_t lines_uleb(struct lines_reader *r)
{
  uint64_t v = 0;
  for (unsigned shift = 0; r->p < r->end; shift += 7) {
    uint8_t b = *r->p++;
    if (shift < 64)
      v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return v;
  }
  r->bad = 1;
  return v;
}

static int64_t lines_sleb(struct lines_reader *r)
{
  int64_t v = 0;
  unsigned shift = 0;
  uint8_t b = 0x80;
  while (r->p < r->end && (b & 0x80)) {
    b = *r->p++;
    if (shift < 64)
      v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
    shift += 7;
  }
  if (shift < 64 && (b & 0x40))
    v |= -(int64_t)((uint64_t)1 << shift);
  return v;
}

static void lines_emit(struct lines_state *st, uint64_t address, int64_t line)
{
  if (line <= 0 || address >= st->out->code_size)
    return;
  struct native_line *l = ARENA_PUSH(st->arena, st->out->lines, st->out->line_count, st->cap);
  l->offset = address;
  l->c_line = (uint32_t)line;
}

/* the relocated value of the address operand at r->p, or its raw bytes */
static uint64_t lines_address(struct lines_state *st, struct lines_reader *r, unsigned size)
{
  uint64_t at = (uint64_t)(r->p - st->section);
  uint64_t raw = lines_fixed(r, size);
  for (size_t i = 0; i < st->reloc_count; i++) {
    if (st->relocs[i].r_offset != at)
      continue;
    size_t sym = GELF_R_SYM(st->relocs[i].r_info);
    int64_t base = sym < st->sym_count ? st->sym_value[sym] : -1;
    return base < 0 ? ~0ull : (uint64_t)(base + st->relocs[i].r_addend);
  }
  return raw;
}

struct lines_header {
  unsigned min_insn, line_range, opcode_base, address_size;
  int line_base;
  const uint8_t *opcode_lengths;
};

static void lines_extended(struct lines_state *st, struct lines_reader *r, const struct lines_header *h,
                           uint64_t *address, int64_t *line)
{
  uint64_t len = lines_uleb(r);
  const uint8_t *next = r->p + len;
  if (len == 0 || next > r->end) {
    r->bad = 1;
    return;
  }
  uint8_t sub = *r->p++;
  if (sub == 1) {              /* end_sequence */
    *address = 0;
    *line = 1;
  } else if (sub == 2) {
    *address = lines_address(st, r, len - 1 < 8 ? (unsigned)(len - 1) : h->address_size);
  }
  r->p = next;
}

static void lines_standard(struct lines_reader *r, const struct lines_header *h, uint8_t op,
                           uint64_t *address, int64_t *line)
{
  switch (op) {
  case 2: *address += lines_uleb(r) * h->min_insn; break;
  case 3: *line += lines_sleb(r); break;
  case 8: *address += (uint64_t)((255 - h->opcode_base) / h->line_range) * h->min_insn; break;
  case 9: *address += lines_fixed(r, 2); break;
  default:
    for (unsigned i = 0; i < h->opcode_lengths[op - 1]; i++)
      lines_uleb(r);
  }
}

static void lines_program(struct lines_state *st, struct lines_reader *r, const struct lines_header *h)
{
  uint64_t address = 0;
  int64_t line = 1;
  while (r->p < r->end && !r->bad) {
    uint8_t op = *r->p++;
    if (op >= h->opcode_base) {
      unsigned adj = op - h->opcode_base;
      address += (uint64_t)(adj / h->line_range) * h->min_insn;
      line += h->line_base + (int)(adj % h->line_range);
      lines_emit(st, address, line);
    } else if (op == 0) {
      lines_extended(st, r, h, &address, &line);
    } else if (op == 1) {
      lines_emit(st, address, line);
    } else {
      lines_standard(r, h, op, &address, &line);
    }
  }
}

/* one unit: the header up to the program, then the program */
static const uint8_t *lines_unit(struct lines_state *st, const uint8_t *p, const uint8_t *end)
{
  struct lines_reader r = {p, end, 0};
  uint64_t length = lines_fixed(&r, 4);
  unsigned offset_size = length == 0xffffffffu ? 8 : 4;
  if (offset_size == 8)
    length = lines_fixed(&r, 8);
  if (r.bad || length > (uint64_t)(end - r.p))
    return end;
  const uint8_t *unit_end = r.p + length;
  r.end = unit_end;
  unsigned version = (unsigned)lines_fixed(&r, 2);
  struct lines_header h = {.address_size = 8};
  if (version >= 5) {
    h.address_size = (unsigned)lines_fixed(&r, 1);
    lines_fixed(&r, 1);
  }
  uint64_t header_length = lines_fixed(&r, offset_size);
  const uint8_t *program = r.p + header_length;
  h.min_insn = (unsigned)lines_fixed(&r, 1);
  if (version >= 4)
    lines_fixed(&r, 1);
  lines_fixed(&r, 1);
  h.line_base = (int8_t)lines_fixed(&r, 1);
  h.line_range = (unsigned)lines_fixed(&r, 1);
  h.opcode_base = (unsigned)lines_fixed(&r, 1);
  h.opcode_lengths = r.p;
  if (r.bad || version < 2 || version > 5 || h.line_range == 0 || h.opcode_base == 0 || program > unit_end ||
      (size_t)(unit_end - r.p) < h.opcode_base - 1)
    return unit_end;
  r.p = program;
  lines_program(st, &r, &h);
  return unit_end;
}

static int lines_by_offset(const void *x, const void *y)
{
  const struct native_line *a = x, *b = y;
  if (a->offset != b->offset)
    return a->offset < b->offset ? -1 : 1;
  return 0;
}

static Elf_Scn *lines_find(Elf *elf, const char *name, Elf_Scn **rela, size_t *symtab)
{
  size_t shstrndx;
  Elf_Scn *scn = NULL, *found = NULL;
  *rela = NULL;
  if (elf_getshdrstrndx(elf, &shstrndx) < 0)
    return NULL;
  while ((scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
    if (n && strcmp(n, name) == 0)
      found = scn;
    if (sh.sh_type == SHT_SYMTAB)
      *symtab = elf_ndxscn(scn);
  }
  for (scn = NULL; found && (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    if (sh.sh_type == SHT_RELA && sh.sh_info == elf_ndxscn(found))
      *rela = scn;
  }
  return found;
}

/* image offsets of every symbol, and the relocations of .debug_line */
static void lines_load_relocs(struct lines_state *st, Elf *elf, Elf_Scn *rela, size_t symtab,
                              const struct native_layout *layout)
{
  Elf_Scn *symscn = symtab ? elf_getscn(elf, symtab) : NULL;
  GElf_Shdr sh;
  if (!rela || !symscn || !gelf_getshdr(symscn, &sh) || !sh.sh_entsize)
    return;
  Elf_Data *syms = elf_getdata(symscn, NULL);
  st->sym_count = sh.sh_size / sh.sh_entsize;
  int64_t *values = arena_alloc(st->arena, (st->sym_count + 1) * sizeof *values);
  for (size_t i = 0; i < st->sym_count; i++) {
    GElf_Sym sym;
    values[i] = -1;
    if (gelf_getsym(syms, (int)i, &sym) && sym.st_shndx < layout->section_count &&
        layout->section_offset[sym.st_shndx] >= 0)
      values[i] = layout->section_offset[sym.st_shndx] + (int64_t)sym.st_value;
  }
  st->sym_value = values;
  GElf_Shdr rsh;
  gelf_getshdr(rela, &rsh);
  Elf_Data *data = elf_getdata(rela, NULL);
  st->reloc_count = rsh.sh_entsize ? rsh.sh_size / rsh.sh_entsize : 0;
  GElf_Rela *relocs = arena_alloc(st->arena, (st->reloc_count + 1) * sizeof *relocs);
  for (size_t i = 0; i < st->reloc_count; i++)
    gelf_getrela(data, (int)i, &relocs[i]);
  st->relocs = relocs;
}

void native_lines_read(struct arena *a, Elf *elf, const struct native_layout *layout, struct native_image *out)
{
  Elf_Scn *rela;
  size_t symtab = 0;
  Elf_Scn *scn = lines_find(elf, ".debug_line", &rela, &symtab);
  Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
  out->lines = NULL;
  out->line_count = 0;
  if (!data || !data->d_buf || !data->d_size)
    return;
  struct lines_state st = {.arena = a, .out = out, .section = data->d_buf};
  lines_load_relocs(&st, elf, rela, symtab, layout);
  const uint8_t *p = data->d_buf, *end = p + data->d_size;
  while (p < end)
    p = lines_unit(&st, p, end);
  qsort(out->lines, out->line_count, sizeof *out->lines, lines_by_offset);
}
