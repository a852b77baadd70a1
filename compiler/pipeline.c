/* The stage sequence of zsc: Caddyfile -> IR -> lowered records -> eBPF C ->
 * eBPF -> caged C -> native code. Reads as the list of passes; printing and the blob are the
 * callers' business (main.c, explore/). */
#include "pipeline.h"

#include "base/file.h"

#include <stdio.h>
#include <string.h>

#include "base/tmpdir.h"
#include "bpf/bpf.h"
#include "bpf/lift.h"
#include "codegen/stdlib_embed.h"
#include "frontend/frontend.h"

/* eBPF C -> linked, verified eBPF (with the stdlib-bpf object) */
static int pipeline_build_bpf(struct arena *a, const struct options *opt, const char *c_source,
                              struct bpf_program *prog, bool *linked, struct diag *d)
{
  char *inc = tmpdir_create(a, "bpf-include", d);
  if (!inc)
    return -1;
  uint8_t *elf = NULL;
  size_t elf_size = 0;
  const char *dirs[] = {inc};
  struct bpf_compile_options copt = {.clang = opt->clang, .source_name = PIPELINE_BPF_SOURCE_NAME,
                                     .include_dirs = dirs, .include_count = 1};
  int rc = stdlib_embed_write_headers(inc) < 0 ? -1 : bpf_compile(a, c_source, strlen(c_source), &copt, &elf, &elf_size, d);
  tmpdir_remove(inc);
  struct bpf_object *objs[2];
  if (rc < 0 || bpf_read(a, "site.bpf.o", elf, elf_size, &objs[0], d) < 0 ||
      bpf_read(a, "stdlib-bpf.o", zs_stdlib_bpf_obj, zs_stdlib_bpf_obj_len, &objs[1], d) < 0 ||
      bpf_link(a, objs, 2, prog, d) < 0)
    return -1;
  *linked = true;
  return bpf_verify(prog, d);
}

const char *pipeline_read_file(struct arena *a, const char *path, struct diag *d)
{
  char *text;
  size_t len;
  int rc = file_read_all(a, path, &text, &len);
  if (rc < 0) {
    diag_error(d, (struct srcpos){path, 0, 0}, "cannot read the file: %s", strerror(-rc));
    return NULL;
  }
  return text;
}

/* true when the caller asked to stop once `stage` is produced */
static bool pipeline_done(enum emit_stage last, enum emit_stage stage)
{
  return last != EMIT_NONE && last <= stage;
}

int pipeline_run(struct arena *a, const struct options *opt, enum emit_stage last, struct pipeline *p,
                 struct diag *d)
{
  memset(p, 0, sizeof *p);
  strbuf_init(&p->caged, a);
  if (!(p->ir = frontend_load(a, opt->input, d)))
    return -1;
  p->done = EMIT_JSON;
  if (pipeline_done(last, EMIT_JSON))
    return 0;

  if (lower_run(a, p->ir, opt->input, &p->lowered, d) < 0)
    return -1;
  p->done = EMIT_LOWERED;
  if (pipeline_done(last, EMIT_LOWERED))
    return 0;

  if (codegen_run(a, &p->lowered, &p->cg, d) < 0)
    return -1;
  if (opt->bpf_c && !(p->cg.c_source = pipeline_read_file(a, opt->bpf_c, d)))
    return -1;
  p->done = EMIT_C;
  if (pipeline_done(last, EMIT_C))
    return 0;

  bool linked = false;
  int rc = pipeline_build_bpf(a, opt, p->cg.c_source, &p->prog, &linked, d);
  p->done = linked ? EMIT_BPF : p->done;
  if (rc < 0 || pipeline_done(last, EMIT_BPF))
    return rc;

  if (lift_program(a, &p->prog, &p->caged, d) < 0)
    return -1;
  p->done = EMIT_CAGED_C;
  if (pipeline_done(last, EMIT_CAGED_C))
    return 0;

  if (native_compile(a, strbuf_cstr(&p->caged), opt->arch, opt->cc, opt->clang, &p->image, d) < 0)
    return -1;
  p->done = EMIT_ASM;
  return 0;
}
