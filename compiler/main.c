/* zsc: the Caddyfile compiler. main() reads as the pipeline, stage by stage;
 * --emit=STAGE stops after a stage and prints what it produced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "base/tmpdir.h"
#include "bpf/bpf.h"
#include "bpf/lift.h"
#include "codegen/codegen.h"
#include "codegen/stdlib_embed.h"
#include "frontend/frontend.h"
#include "native/native.h"
#include "options.h"
#include "srcmap.h"
#include "zsb/zsb.h"

/* everything the stages produce, kept for the blob */
struct build {
  struct json *ir;
  struct codegen_output cg;
  struct bpf_program prog;
  struct strbuf caged;
  struct native_image image;
};

static int emit_text(const char *text)
{
  fputs(text, stdout);
  return 0;
}

/* eBPF C -> linked, verified eBPF (with the stdlib-bpf object) */
static int build_bpf(struct arena *a, const struct options *opt, const char *c_source, struct bpf_program *prog,
                     struct diag *d)
{
  char *inc = tmpdir_create(a, "bpf-include", d);
  if (!inc)
    return -1;
  uint8_t *elf = NULL;
  size_t elf_size = 0;
  const char *dirs[] = {inc};
  struct bpf_compile_options copt = {.clang = opt->clang, .source_name = "site.bpf.c",
                                     .include_dirs = dirs, .include_count = 1};
  int rc = stdlib_embed_write_headers(inc) < 0 ? -1 : bpf_compile(a, c_source, strlen(c_source), &copt, &elf, &elf_size, d);
  tmpdir_remove(inc);
  struct bpf_object *objs[2];
  if (rc < 0 || bpf_read(a, "site.bpf.o", elf, elf_size, &objs[0], d) < 0 ||
      bpf_read(a, "stdlib-bpf.o", zs_stdlib_bpf_obj, zs_stdlib_bpf_obj_len, &objs[1], d) < 0 ||
      bpf_link(a, objs, 2, prog, d) < 0)
    return -1;
  return bpf_verify(prog, d);
}

static const char *read_file_text(struct arena *a, const char *path, struct diag *d)
{
  FILE *f = fopen(path, "rb");
  struct strbuf sb;
  strbuf_init(&sb, a);
  if (!f) {
    diag_error(d, (struct srcpos){path, 0, 0}, "cannot read the file");
    return NULL;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    strbuf_put(&sb, buf, n);
  fclose(f);
  return strbuf_cstr(&sb);
}

static int write_blob(struct arena *a, const struct options *opt, struct build *b, struct diag *d)
{
  const char *text = read_file_text(a, opt->input, d);
  if (!text)
    return -1;
  struct zsb_source src = {opt->input, text, strlen(text)};
  struct zsb_input in = {.arch = opt->arch, .image = &b->image, .bpf = &b->prog, .config = &b->cg.config,
                         .sources = &src, .source_count = 1};
  srcmap_build(a, &b->prog, strbuf_cstr(&b->caged), &b->image, &in.srcmap, &in.srcmap_count);
  return zsb_write(opt->output, &in, d);
}

static int compile(struct arena *a, const struct options *opt, struct diag *d)
{
  struct build b = {0};
  struct strbuf out;
  strbuf_init(&out, a);
  if (opt->emit == EMIT_AST)
    return frontend_emit_ast(a, opt->input, &out, d) < 0 ? -1 : emit_text(strbuf_cstr(&out));

  if (!(b.ir = frontend_load(a, opt->input, d)))
    return -1;
  if (opt->emit == EMIT_IR)
    return frontend_emit_ir(b.ir, &out), emit_text(strbuf_cstr(&out));
  if (opt->emit == EMIT_JSON)
    return json_write(&out, b.ir, true), strbuf_putc(&out, '\n'), emit_text(strbuf_cstr(&out));

  if (codegen_run(a, b.ir, &b.cg, d) < 0)
    return -1;
  if (opt->bpf_c && !(b.cg.c_source = read_file_text(a, opt->bpf_c, d)))
    return -1;
  if (opt->emit == EMIT_C)
    return emit_text(b.cg.c_source);

  if (build_bpf(a, opt, b.cg.c_source, &b.prog, d) < 0)
    return -1;
  if (opt->emit == EMIT_BPF)
    return bpf_disasm(&b.prog, &out), emit_text(strbuf_cstr(&out));

  strbuf_init(&b.caged, a);
  if (lift_program(a, &b.prog, &b.caged, d) < 0)
    return -1;
  if (opt->emit == EMIT_CAGED_C)
    return emit_text(strbuf_cstr(&b.caged));

  if (native_compile(a, strbuf_cstr(&b.caged), opt->arch, opt->cc, opt->clang, &b.image, d) < 0)
    return -1;
  if (opt->emit == EMIT_ASM)
    return native_disasm(a, &b.image, &b.prog, strbuf_cstr(&b.caged), &out), emit_text(strbuf_cstr(&out));

  return write_blob(a, opt, &b, d);
}

int main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "adapt") == 0)
    return frontend_adapt_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "--version") == 0)
    return puts("zsc " ZSC_VERSION), 0;
  struct options opt;
  int rc = options_parse(argc, argv, &opt);
  if (rc)
    return rc;
  struct arena arena = {0};
  struct diag d;
  diag_init(&d, stderr);
  rc = compile(&arena, &opt, &d) < 0 || d.errors ? 1 : 0;
  arena_reset(&arena);
  return rc;
}
