/* Lookups on a linked program: which function and which source line an
 * instruction belongs to. Used by the verifier's messages and the listings. */
#include "bpf.h"

const struct bpf_func *bpf_program_func(const struct bpf_program *prog, size_t pc)
{
  size_t lo = 0, hi = prog->func_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (prog->funcs[mid].end <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < prog->func_count && prog->funcs[lo].start <= pc && pc < prog->funcs[lo].end)
    return &prog->funcs[lo];
  return NULL;
}

const struct bpf_line *bpf_program_line(const struct bpf_program *prog, size_t pc)
{
  size_t lo = 0, hi = prog->line_count;
  while (lo < hi) {   /* first line after pc */
    size_t mid = lo + (hi - lo) / 2;
    if (prog->lines[mid].insn <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  const struct bpf_line *l = &prog->lines[lo - 1];
  const struct bpf_func *f = bpf_program_func(prog, pc);
  if (f && l->insn < f->start)
    return NULL;   /* the line belongs to the previous function */
  return l;
}
