/* --emit=asm: the native image through LLVM's disassembler (llvm-c), with
 * function labels and the caged C line each run of instructions comes from.
 * A listing for people; nothing parses it. */
#include "base/disasm_llvm.h"
#include <string.h>

#include "base/strbuf.h"
#include "bpf/program.h"
#include "native/native.h"

struct asm_listing {
  const struct native_image *img;
  const char **c_lines;        /* caged C lines, 1-based */
  size_t c_line_count;
  size_t line_cursor;          /* into img->lines */
  uint32_t last_c_line;
  struct strbuf *out;
};

static const char **asm_split_lines(struct arena *a, const char *text, size_t *count)
{
  size_t n = 2;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  const char **lines = arena_alloc(a, n * sizeof *lines);
  size_t i = 1;
  for (const char *p = text; *p && i < n; i++) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    lines[i] = arena_strndup(a, p, len);
    p += len + (e != NULL);
  }
  *count = i;
  return lines;
}

static void asm_put_label(struct asm_listing *l, uint64_t offset)
{
  for (size_t i = 0; i < l->img->symbol_count; i++)
    if (l->img->symbols[i].offset == offset)
      strbuf_printf(l->out, "\n%s:\n", l->img->symbols[i].name);
}

/* the caged C line of offset, printed when it differs from the previous one */
static void asm_put_source(struct asm_listing *l, uint64_t offset)
{
  const struct native_image *img = l->img;
  while (l->line_cursor + 1 < img->line_count && img->lines[l->line_cursor + 1].offset <= offset)
    l->line_cursor++;
  if (l->line_cursor >= img->line_count || img->lines[l->line_cursor].offset > offset)
    return;
  uint32_t c_line = img->lines[l->line_cursor].c_line;
  if (c_line == l->last_c_line || c_line >= l->c_line_count || !l->c_lines[c_line])
    return;
  l->last_c_line = c_line;
  const char *text = l->c_lines[c_line];
  while (*text == ' ')
    text++;
  strbuf_printf(l->out, "                                  ; caged.c:%u  %s\n", c_line, text);
}

static struct disasm_llvm *asm_open(enum zs_arch arch)
{
  return disasm_llvm_open(arch == ZS_ARCH_AARCH64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu", NULL);
}

int native_disasm(struct arena *a, const struct native_image *img, const struct bpf_program *prog,
                  const char *caged_c, struct strbuf *out)
{
  (void)prog;                  /* the caged C comments already carry insn and source line */
  struct disasm_llvm *dc = asm_open(img->arch);
  if (!dc)
    return -1;
  struct asm_listing l = {.img = img, .out = out};
  l.c_lines = asm_split_lines(a, caged_c ? caged_c : "", &l.c_line_count);
  char text[256];
  for (uint64_t pc = 0; pc < img->text_size;) {
    asm_put_label(&l, pc);
    asm_put_source(&l, pc);
    size_t n = disasm_llvm_insn(dc, img->code + pc, img->text_size - pc, pc, text, sizeof text);
    if (n == 0) {
      strbuf_printf(out, "  %6llx:  .byte 0x%02x\n", (unsigned long long)pc, img->code[pc]);
      n = 1;
    } else {
      strbuf_printf(out, "  %6llx: %s\n", (unsigned long long)pc, text);
    }
    pc += n;
  }
  if (img->code_size > img->text_size)
    strbuf_printf(out, "\n; read-only data: %zu bytes at %#zx\n", img->code_size - img->text_size, img->text_size);
  disasm_llvm_close(dc);
  return 0;
}
