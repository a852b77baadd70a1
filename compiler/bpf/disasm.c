/* The --emit=bpf listing of a linked program, also its golden-test format:
 * function labels, the source line each run of instructions comes from, one
 * line per instruction (index, bytes, LLVM's BPF assembly, call and rodata
 * annotations), and a rodata dump; library functions in full or by name.
 * Text only; it changes nothing. */
#include "bpf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/disasm_llvm.h"

#include "abi/cage.h"
#include "insn.h"

struct disasm_ctx {
  const struct bpf_program *prog;
  struct strbuf *out;
  struct disasm_llvm *llvm;     /* NULL: LLVM is not available, bytes only */
  const struct bpf_line *last_line;
  const char *cached_file;     /* source read back when BTF has no line text */
  const char *cached_text;
};

static const char *disasm_helper_name(int32_t id)
{
  switch (id) {
#define ZS_HELPER(hid, name, args, doc) case hid: return #name;
#include "abi/helpers.def"
#undef ZS_HELPER
  default: return NULL;
  }
}

/* line n of file, from a copy read once per file; NULL when unreadable */
static const char *disasm_file_line(struct disasm_ctx *c, const char *file, uint32_t n, size_t *len)
{
  if (!c->cached_file || strcmp(c->cached_file, file)) {
    c->cached_file = file;
    c->cached_text = NULL;
    FILE *f = fopen(file, "rb");
    if (f) {
      struct strbuf sb;
      strbuf_init(&sb, c->out->arena);
      char chunk[4096];
      size_t got;
      while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_put(&sb, chunk, got);
      fclose(f);
      c->cached_text = strbuf_cstr(&sb);
    }
  }
  const char *p = c->cached_text;
  for (uint32_t i = 1; p && i < n; i++) {
    p = strchr(p, '\n');
    p = p ? p + 1 : NULL;
  }
  if (!p)
    return NULL;
  *len = strcspn(p, "\r\n");
  return p;
}

static void disasm_source_line(struct disasm_ctx *c, const struct bpf_line *l)
{
  const char *text = l->text;
  size_t len = text ? strlen(text) : 0;
  if (!text && l->file && l->line)
    text = disasm_file_line(c, l->file, l->line, &len);
  while (text && len && isspace((unsigned char)*text)) {
    text++;
    len--;
  }
  strbuf_printf(c->out, "; %s:%u:", l->file ? l->file : "?", l->line);
  if (text && len)
    strbuf_printf(c->out, " %.*s", (int)len, text);
  strbuf_putc(c->out, '\n');
}

static bool disasm_same_file(const struct bpf_line *x, const struct bpf_line *y)
{
  return x->file == y->file || (x->file && y->file && !strcmp(x->file, y->file));
}

static void disasm_label(struct disasm_ctx *c, const struct bpf_func *f)
{
  strbuf_printf(c->out, "\n%s:%s  ; insns %u..%u, stack %u, chain %u\n", f->name,
                f->is_entry ? "  ; entry" : "", f->start, f->end - 1, f->stack_size, f->max_chain_stack);
  c->last_line = NULL;
}

/* a printable NUL-terminated string at a rodata offset, quoted, or nothing */
static void disasm_rodata_string(struct disasm_ctx *c, uint64_t off)
{
  const struct bpf_program *p = c->prog;
  size_t n = 0;
  while (off + n < p->rodata_size && p->rodata[off + n] && isprint(p->rodata[off + n]) && n < 40)
    n++;
  if (off + n < p->rodata_size && (p->rodata[off + n] == 0 || n == 40) && n > 0)
    strbuf_printf(c->out, " \"%.*s\"%s", (int)n, (const char *)p->rodata + off, n == 40 ? "..." : "");
}

static void disasm_annotate(struct disasm_ctx *c, size_t pc, const struct bpf_insn *in)
{
  const struct bpf_program *p = c->prog;
  if (in->code == BPF_OPCODE_CALL && in->src == BPF_PSEUDO_HELPER) {
    const char *name = disasm_helper_name(in->imm);
    strbuf_printf(c->out, "  ; helper %s", name ? name : "(unknown)");
  } else if (bpf_insn_is_local_call(in)) {
    const struct bpf_func *f = bpf_program_func(p, pc + 1 + (size_t)(int64_t)in->imm);
    strbuf_printf(c->out, "  ; -> %s", f ? f->name : "(bad target)");
  } else if (bpf_insn_is_ld_imm64(in) && pc + 1 < p->insn_count) {
    uint64_t v = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;
    if (v >= ZS_CAGE_RODATA_OFF && v < ZS_CAGE_RODATA_OFF + p->rodata_size) {
      strbuf_printf(c->out, "  ; rodata+0x%llx", (unsigned long long)(v - ZS_CAGE_RODATA_OFF));
      disasm_rodata_string(c, v - ZS_CAGE_RODATA_OFF);
    }
  } else if (bpf_insn_is_jump(in)) {
    strbuf_printf(c->out, "  ; -> %lld", bpf_insn_jump_target(in, (long long)pc));
  }
}

/* one instruction (two slots for ld_imm64); returns the slots consumed */
static size_t disasm_insn(struct disasm_ctx *c, size_t pc)
{
  const struct bpf_program *p = c->prog;
  size_t slots = bpf_insn_is_ld_imm64(&p->insns[pc]) && pc + 1 < p->insn_count ? 2 : 1;
  uint8_t bytes[16];
  memcpy(bytes, &p->insns[pc], slots * 8);
  strbuf_printf(c->out, "%6zu:", pc);
  for (size_t i = 0; i < slots * 8; i++)
    strbuf_printf(c->out, " %02x", bytes[i]);
  char text[256] = "";
  size_t used = c->llvm ? disasm_llvm_insn(c->llvm, bytes, slots * 8, pc * 8, text, sizeof text) : 0;
  if (!used)
    snprintf(text, sizeof text, "<unknown opcode 0x%02x>", bytes[0]);
  const char *asm_text = text;
  while (*asm_text == ' ' || *asm_text == '\t')
    asm_text++;
  strbuf_puts(c->out, "  ");
  for (const char *s = asm_text; *s; s++)
    strbuf_putc(c->out, *s == '\t' ? ' ' : *s);
  disasm_annotate(c, pc, &p->insns[pc]);
  strbuf_putc(c->out, '\n');
  return slots;
}

static void disasm_rodata(struct disasm_ctx *c)
{
  const struct bpf_program *p = c->prog;
  strbuf_printf(c->out, "\n; rodata: %zu bytes at 0x%08x\n", p->rodata_size, ZS_CAGE_RODATA_OFF);
  for (size_t row = 0; row < p->rodata_size; row += 16) {
    size_t n = p->rodata_size - row < 16 ? p->rodata_size - row : 16;
    strbuf_printf(c->out, "  %08zx:", ZS_CAGE_RODATA_OFF + row);
    for (size_t i = 0; i < 16; i++)
      i < n ? strbuf_printf(c->out, " %02x", p->rodata[row + i]) : strbuf_puts(c->out, "   ");
    strbuf_puts(c->out, "  ");
    for (size_t i = 0; i < n; i++)
      strbuf_putc(c->out, isprint(p->rodata[row + i]) ? (char)p->rodata[row + i] : '.');
    strbuf_putc(c->out, '\n');
  }
}

/* one line per library function, so a program reaching one more or one fewer
 * changes one line, and an edit inside the library changes none */
static void disasm_library_names(struct disasm_ctx *c)
{
  const struct bpf_program *p = c->prog;
  bool any = false;
  for (size_t i = 0; i < p->func_count; i++) {
    if (!p->funcs[i].object)
      continue;
    if (!any)
      strbuf_puts(c->out, "\n; library functions reached, listed by name only:\n");
    any = true;
    strbuf_printf(c->out, ";   %s\n", p->funcs[i].name);
  }
}

static void disasm_program(const struct bpf_program *prog, bool library_code, struct strbuf *out)
{
  struct disasm_ctx c = { .prog = prog, .out = out, .llvm = disasm_llvm_open("bpfel", "v4") };
  strbuf_printf(out, "; eBPF: %zu instructions, %zu functions, %zu bytes of rodata\n",
                prog->insn_count, prog->func_count, prog->rodata_size);
  const struct bpf_func *f = NULL;
  for (size_t pc = 0; pc < prog->insn_count;) {
    const struct bpf_func *now = bpf_program_func(prog, pc);
    if (now && now->object && !library_code) {
      pc = now->end;
      continue;
    }
    if (now && now != f)
      disasm_label(&c, now);
    f = now;
    const struct bpf_line *l = bpf_program_line(prog, pc);
    if (l && (!c.last_line || l->line != c.last_line->line || !disasm_same_file(l, c.last_line)))
      disasm_source_line(&c, l);
    c.last_line = l ? l : c.last_line;
    pc += disasm_insn(&c, pc);
  }
  if (!library_code)
    disasm_library_names(&c);
  disasm_rodata(&c);
  disasm_llvm_close(c.llvm);
}

void bpf_disasm(const struct bpf_program *prog, struct strbuf *out)
{
  disasm_program(prog, true, out);
}

void bpf_disasm_own(const struct bpf_program *prog, struct strbuf *out)
{
  disasm_program(prog, false, out);
}
