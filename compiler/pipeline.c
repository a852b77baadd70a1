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
#include "base/strbuf.h"
#include "frontend/frontend.h"

/* one ebpf program as an object ready to link: a .o as it is, a .c compiled
 * with the site's flags and the SDK headers (and its own folder) on the
 * include path; clang's messages name the file as lowering resolved it */
static struct bpf_object *pipeline_build_plugin(struct arena *a, const struct options *opt, const char *inc,
                                                const struct lowered_plugin *pl, unsigned index, struct diag *d)
{
  char *text;
  size_t len;
  int rc = file_read_all(a, pl->path, &text, &len);
  if (rc < 0) {
    diag_error(d, pl->pos, "ebpf: cannot read %s: %s", pl->path, strerror(-rc));
    return NULL;
  }
  uint8_t *elf = (uint8_t *)text;
  if (!pl->object) {
    const char *slash = strrchr(pl->path, '/');
    const char *dirs[] = {inc, slash ? arena_printf(a, "%.*s", (int)(slash - pl->path), pl->path) : "."};
    struct bpf_compile_options copt = {.clang = opt->clang, .source_name = "plugin.bpf.c", .include_dirs = dirs,
                                       .include_count = 2};
    struct strbuf src;
    strbuf_init(&src, a);
    strbuf_puts(&src, "#line 1 \"");
    for (const char *c = pl->path; *c; c++)
      strbuf_printf(&src, *c == '"' || *c == '\\' || (unsigned char)*c < 0x20 ? "\\%03o" : "%c", (unsigned char)*c);
    strbuf_printf(&src, "\"\n%.*s", (int)len, text);
    if (bpf_compile(a, strbuf_cstr(&src), strlen(strbuf_cstr(&src)), &copt, &elf, &len, d) < 0)
      return NULL;
  }
  struct bpf_object *obj;
  if (bpf_read(a, pl->path, elf, len, &obj, d) < 0 ||
      bpf_object_as_plugin(obj, arena_printf(a, "zs_plugin_%u", index), d) < 0)
    return NULL;
  return obj;
}

/* eBPF C -> linked, verified eBPF (with the ebpf programs and the stdlib-bpf object) */
static int pipeline_build_bpf(struct arena *a, const struct options *opt, const struct lowered_config *cfg,
                              const char *c_source, struct bpf_program *prog, bool *linked, struct diag *d)
{
  char *inc = tmpdir_create(a, "bpf-include", d);
  if (!inc)
    return -1;
  uint8_t *elf = NULL;
  size_t elf_size = 0, count = 0;
  const char *dirs[] = {inc};
  struct bpf_compile_options copt = {.clang = opt->clang, .source_name = PIPELINE_BPF_SOURCE_NAME,
                                     .include_dirs = dirs, .include_count = 1};
  struct bpf_object **objs = arena_alloc(a, (cfg->plugin_count + 2) * sizeof *objs);
  int rc = stdlib_embed_write_headers(inc) < 0 ? -1 : bpf_compile(a, c_source, strlen(c_source), &copt, &elf, &elf_size, d);
  if (rc == 0)
    rc = bpf_read(a, "site.bpf.o", elf, elf_size, &objs[count++], d);
  for (size_t i = 0; rc == 0 && i < cfg->plugin_count; i++)
    rc = (objs[count++] = pipeline_build_plugin(a, opt, inc, &cfg->plugins[i], (unsigned)i, d)) ? 0 : -1;
  tmpdir_remove(inc);
  if (rc < 0 || bpf_read(a, "stdlib-bpf.o", zs_stdlib_bpf_obj, zs_stdlib_bpf_obj_len, &objs[count++], d) < 0 ||
      bpf_link(a, objs, count, prog, d) < 0)
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
  int rc = pipeline_build_bpf(a, opt, &p->lowered, p->cg.c_source, &p->prog, &linked, d);
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
