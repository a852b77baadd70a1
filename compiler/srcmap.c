/* Joining the stages' position records into the blob's source map. */
#include "srcmap.h"

#include <stdlib.h>
#include <string.h>

#include "bpf/bpf.h"

long *srcmap_caged_lines(struct arena *a, const char *caged_c, size_t *line_count)
{
  size_t lines = 1;
  for (const char *p = caged_c; *p; p++)
    lines += *p == '\n';
  long *pc_of = arena_alloc(a, (lines + 1) * sizeof *pc_of);
  size_t line = 1;
  for (const char *p = caged_c; *p; line++) {
    pc_of[line] = strncmp(p, "  /* ", 5) == 0 && p[5] >= '0' && p[5] <= '9' ? strtol(p + 5, NULL, 10) : -1;
    const char *nl = strchr(p, '\n');
    if (!nl)
      break;
    p = nl + 1;
  }
  *line_count = lines;
  return pc_of;
}

void srcmap_build(struct arena *a, const struct bpf_program *prog, const char *caged_c,
                  const struct native_image *image, const struct zs_srcmap_row **rows, size_t *count)
{
  size_t line_count;
  long *pc_of = srcmap_caged_lines(a, caged_c, &line_count);
  struct zs_srcmap_row *out = arena_alloc(a, (image->line_count + 1) * sizeof *out);
  size_t n = 0;
  for (size_t i = 0; i < image->line_count; i++) {
    uint32_t c_line = image->lines[i].c_line;
    long pc = c_line < line_count ? pc_of[c_line] : -1;
    if (pc < 0)
      continue;
    const struct bpf_line *l = bpf_program_line(prog, (size_t)pc);
    out[n++] = (struct zs_srcmap_row){
      .native_offset = (uint32_t)image->lines[i].offset, .bpf_insn = (uint32_t)pc, .c_line = c_line,
      .src_line = l ? l->line : 0, .src_col = l ? l->col : 0, .src_file = 0,
    };
  }
  *rows = out;
  *count = n;
}
