/* Where each shown line comes from: for every stage's text, one struct
 * explore_link per line, read off what the stages recorded (the #line map of
 * the eBPF C, BPF line info, the lifter's per-statement comments, the native
 * line table) and off the listings' own line shapes. */
#include <stdlib.h>
#include <string.h>

#include "bpf/bpf.h"
#include "explore_parts.h"
#include "pipeline.h"
#include "srcmap.h"

void explore_linker_init(struct explore_linker *lk, struct arena *a, const char *src_file,
                         const char *const *c_lines, size_t c_count)
{
  memset(lk, 0, sizeof *lk);
  lk->arena = a;
  lk->src_file = src_file;
  lk->cmap = explore_cmap_build(a, src_file, PIPELINE_BPF_SOURCE_NAME, c_lines, c_count);
}

void explore_linker_set_code(struct explore_linker *lk, const struct bpf_program *prog, const char *caged_c,
                             const struct native_image *image)
{
  lk->prog = prog;
  lk->image = image;
  if (caged_c)
    lk->pc_of_caged = srcmap_caged_lines(lk->arena, caged_c, &lk->caged_count);
}

static struct explore_link *links_alloc(struct explore_linker *lk, size_t count)
{
  struct explore_link *links = arena_alloc(lk->arena, (count + 1) * sizeof *links);
  for (size_t i = 0; i < count; i++)
    links[i].pc = -1;
  return links;
}

struct explore_link *explore_link_source(struct explore_linker *lk, size_t count)
{
  struct explore_link *links = links_alloc(lk, count);
  for (size_t i = 0; i < count; i++)
    links[i].src = (int32_t)i + 1;
  return links;
}

struct explore_link *explore_link_c(struct explore_linker *lk, size_t count)
{
  struct explore_link *links = links_alloc(lk, count);
  for (size_t i = 0; i < count; i++)
    explore_cmap_at(lk->cmap, i + 1, &links[i]);
  return links;
}

/* an eBPF instruction: its line info leads to the C line and the Caddyfile */
static void links_of_pc(const struct explore_linker *lk, long pc, struct explore_link *out)
{
  if (!lk->prog || pc < 0 || (size_t)pc >= lk->prog->insn_count)
    return;
  out->pc = (int32_t)pc;
  const struct bpf_line *l = bpf_program_line(lk->prog, (size_t)pc);
  if (l && l->file)
    explore_cmap_find(lk->cmap, l->file, l->line, out);
}

/* `  <pc>: <bytes>  <asm>` in the --emit=bpf listing: the pc, or -1 */
static long links_bpf_pc(const char *line)
{
  const char *s = line + strspn(line, " ");
  if (s == line || *s < '0' || *s > '9')
    return -1;
  char *end;
  long pc = strtol(s, &end, 10);
  return *end == ':' ? pc : -1;
}

struct explore_link *explore_link_bpf(struct explore_linker *lk, const char *const *lines, size_t count)
{
  struct explore_link *links = links_alloc(lk, count);
  for (size_t i = 0; i < count && strncmp(lines[i], "; rodata", 8) != 0; i++)
    links_of_pc(lk, links_bpf_pc(lines[i]), &links[i]);
  /* a "; file:line: text" comment stands for the instructions below it */
  for (size_t i = count; i-- > 1;)
    if (lines[i - 1][0] == ';' && links[i].pc >= 0 && strncmp(lines[i - 1], "; rodata", 8) != 0)
      links[i - 1] = links[i];
  return links;
}

static void links_of_caged(const struct explore_linker *lk, size_t caged_line, struct explore_link *out)
{
  if (!lk->pc_of_caged || caged_line < 1 || caged_line > lk->caged_count)
    return;
  out->caged_line = (int32_t)caged_line;
  links_of_pc(lk, lk->pc_of_caged[caged_line], out);
}

struct explore_link *explore_link_caged(struct explore_linker *lk, size_t count)
{
  struct explore_link *links = links_alloc(lk, count);
  for (size_t i = 0; i < count; i++)
    links_of_caged(lk, i + 1, &links[i]);
  return links;
}

/* the caged C line the native code at offset comes from (the last line
 * table entry at or before it, as the listing itself reads it), or 0 */
static size_t links_native_line(const struct native_image *img, uint64_t offset)
{
  size_t lo = 0, hi = img->line_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (img->lines[mid].offset <= offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo ? img->lines[lo - 1].c_line : 0;
}

/* the caged C line of one --emit=asm line: `  <hex offset>:\t<insn>` or
 * `  ; caged.c:<line>  <text>`; 0 for labels and anything else */
static size_t links_asm_caged_line(const struct native_image *img, const char *line)
{
  const char *s = line + strspn(line, " ");
  if (s == line)
    return 0;
  if (strncmp(s, "; caged.c:", 10) == 0)
    return strtoul(s + 10, NULL, 10);
  char *end;
  unsigned long long offset = strtoull(s, &end, 16);
  if (end == s || *end != ':' || !img)
    return 0;
  return links_native_line(img, offset);
}

struct explore_link *explore_link_asm(struct explore_linker *lk, const char *const *lines, size_t count)
{
  struct explore_link *links = links_alloc(lk, count);
  for (size_t i = 0; i < count; i++)
    links_of_caged(lk, links_asm_caged_line(lk->image, lines[i]), &links[i]);
  return links;
}
