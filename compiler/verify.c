/* zsc verify SITE.zsb [--key PUB.pem]: checks a blob the way zsrt would
 * before serving it (structure, checksum, every config table, through
 * zsb_check), then runs the eBPF verifier again over its ZS_SEC_BPF section,
 * so a blob can be audited without its Caddyfile; with --key, also its
 * detached Ed25519 signature (sign.c). */
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/file.h"
#include "bpf/bpf.h"
#include "bpf/insn.h"
#include "sign.h"
#include "zsb/zsb.h"

static int verify_usage(void)
{
  fprintf(stderr, "usage: zsc verify SITE.zsb [--key PUB.pem]\n");
  return 2;
}

static int verify_func_cmp(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* the highest instruction reachable from start without leaving [start, end):
 * clang lays a function's blocks out contiguously, so what follows it (up to
 * the next known start) is another function nobody calls */
static uint32_t verify_reach_end(const struct bpf_program *p, uint32_t start, uint32_t end, uint8_t *seen,
                                 uint32_t *stack)
{
  /* each instruction is marked before it pushes, so at most 2 per instruction */
  uint32_t top = 0, last = start;
  memset(seen + start, 0, end - start);
  stack[top++] = start;
  while (top > 0) {
    uint32_t pc = stack[--top];
    if (pc < start || pc >= end || seen[pc])
      continue;
    seen[pc] = 1;
    const struct bpf_insn *in = &p->insns[pc];
    uint32_t width = bpf_insn_is_ld_imm64(in) ? 2 : 1;
    last = pc + width - 1 > last ? pc + width - 1 : last;
    unsigned cls = bpf_insn_class(in), op = bpf_insn_op(in);
    int jump = (cls == BPF_CLASS_JMP || cls == BPF_CLASS_JMP32) && op != BPF_JMP_CALL && op != BPF_JMP_EXIT;
    if (in->code == BPF_OPCODE_EXIT)
      continue;
    if (jump) {
      int64_t off = in->code == BPF_OPCODE_GOTOL ? in->imm : in->off;
      stack[top++] = (uint32_t)((int64_t)pc + 1 + off);
    }
    if (in->code != BPF_OPCODE_JA && in->code != BPF_OPCODE_GOTOL)
      stack[top++] = pc + width;
  }
  return last + 1;
}

/* function boundaries are not stored: every entry's first instruction and
 * every local call's target starts one, as does code after a function's
 * reachable end (a library function nobody calls) */
static size_t verify_starts(const uint8_t *blob, const struct bpf_program *p, uint32_t *starts)
{
  const struct zs_blob_header *h = (const void *)blob;
  const struct zs_section *es = zsb_find_section(h, ZS_SEC_ENTRIES);
  size_t entries = es ? es->size / sizeof(struct zs_entry) : 0;
  size_t n = 0;
  for (size_t i = 0; i < entries; i++)
    starts[n++] = ((const struct zs_entry *)(blob + es->offset))[i].bpf_insn;
  for (size_t pc = 0; pc < p->insn_count; pc++) {
    int64_t t = (int64_t)pc + 1 + p->insns[pc].imm;
    if (bpf_insn_is_local_call(&p->insns[pc]) && t >= 0 && (size_t)t < p->insn_count)
      starts[n++] = (uint32_t)t;
  }
  starts[n++] = 0;
  return n;
}

static size_t verify_sort_unique(uint32_t *v, size_t n)
{
  qsort(v, n, sizeof *v, verify_func_cmp);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (m == 0 || v[i] != v[m - 1])
      v[m++] = v[i];
  return m;
}

static int verify_rebuild_funcs(struct arena *a, const uint8_t *blob, struct bpf_program *p)
{
  const struct zs_blob_header *h = (const void *)blob;
  const struct zs_section *es = zsb_find_section(h, ZS_SEC_ENTRIES);
  size_t entries = es ? es->size / sizeof(struct zs_entry) : 0;
  uint32_t *starts = arena_alloc(a, sizeof *starts * (2 * p->insn_count + entries + 2));
  uint8_t *seen = arena_alloc(a, p->insn_count + 1);
  uint32_t *stack = arena_alloc(a, sizeof *stack * (2 * p->insn_count + 2));
  size_t n = verify_sort_unique(starts, verify_starts(blob, p, starts));
  if (n > 0 && starts[n - 1] >= p->insn_count)
    return -1;
  for (size_t i = 0; i < n; i++) {   /* n grows as dead functions are found */
    uint32_t end = i + 1 < n ? starts[i + 1] : (uint32_t)p->insn_count;
    uint32_t reach = verify_reach_end(p, starts[i], end, seen, stack);
    if (reach < end) {
      starts[n++] = reach;
      n = verify_sort_unique(starts, n);
    }
  }
  p->funcs = arena_alloc(a, sizeof *p->funcs * n);
  for (size_t i = 0; i < n; i++) {
    struct bpf_func *f = &p->funcs[p->func_count++];
    f->start = starts[i];
    f->end = i + 1 < n ? starts[i + 1] : (uint32_t)p->insn_count;
    f->name = "function";
    for (size_t e = 0; e < entries; e++)
      f->is_entry |= ((const struct zs_entry *)(blob + es->offset))[e].bpf_insn == starts[i];
  }
  return 0;
}

static int verify_bpf(struct arena *a, const uint8_t *blob, struct diag *d)
{
  const struct zs_blob_header *h = (const void *)blob;
  const struct zs_section *bs = zsb_find_section(h, ZS_SEC_BPF);
  if (!bs)
    return 1;   /* nothing to verify: the blob carries no bytecode */
  struct bpf_program p = { 0 };
  p.insn_count = bs->size / sizeof(struct bpf_insn);
  p.insns = arena_alloc(a, bs->size + 1);
  memcpy(p.insns, blob + bs->offset, bs->size);
  const struct zs_section *rs = zsb_find_section(h, ZS_SEC_RODATA);
  if (rs) {
    p.rodata = arena_alloc(a, rs->size + 1);
    memcpy(p.rodata, blob + rs->offset, rs->size);
    p.rodata_size = rs->size;
  }
  if (verify_rebuild_funcs(a, blob, &p) < 0) {
    diag_error(d, (struct srcpos){ 0 }, "bpf section: an entry or call target is outside the program");
    return -1;
  }
  return bpf_verify(&p, d);
}

int verify_main(int argc, char **argv)
{
  const char *path, *key;
  if (sign_parse_args(argc, argv, &key, &path) < 0 || !path)
    return verify_usage();
  struct arena a = { 0 };
  struct diag d;
  diag_init(&d, stderr);
  char *data;
  size_t size;
  char err[512];
  int rc = 1;
  if (file_read_all(&a, path, &data, &size) < 0)
    fprintf(stderr, "%s: error: cannot read the blob\n", path);
  else if (zsb_check((const uint8_t *)data, size, err, sizeof err) < 0)
    fprintf(stderr, "%s: error: %s\n", path, err);
  else if (key && sign_verify_file(path, (const uint8_t *)data, size, key, err, sizeof err) < 0)
    fprintf(stderr, "%s: error: %s\n", path, err);
  else {
    int bpf = verify_bpf(&a, (const uint8_t *)data, &d);
    if (bpf >= 0 && !d.errors) {
      printf("%s: ok (structure, checksum, config%s%s)\n", path, bpf == 0 ? ", eBPF verified" : ", no eBPF section",
             key ? ", signature" : "");
      rc = 0;
    }
  }
  arena_reset(&a);
  return rc;
}
