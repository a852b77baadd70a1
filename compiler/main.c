/* zsc: the Caddyfile compiler. The stages run in pipeline.c; --emit=STAGE
 * stops after a stage and prints what it produced, otherwise the blob is
 * written. `zsc adapt` and `zsc explore` are subcommands of their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "bpf/bpf.h"
#include "bpf/lift.h"
#include "explore/explore.h"
#include "fmt/fmt.h"
#include "frontend/frontend.h"
#include "hash_password.h"
#include "native/native.h"
#include "options.h"
#include "pipeline.h"
#include "sign.h"
#include "srcmap.h"
#include "verify.h"
#include "validate.h"
#include "zsb/zsb.h"

static int emit_text(const char *text)
{
  fputs(text, stdout);
  return 0;
}

static int write_blob(struct arena *a, const struct options *opt, struct pipeline *p, struct diag *d)
{
  const char *text = pipeline_read_file(a, opt->input, d);
  if (!text)
    return -1;
  struct zsb_source src = {opt->input, text, strlen(text)};
  struct zsb_input in = {.arch = opt->arch, .image = &p->image, .bpf = &p->prog, .config = &p->cg.config,
                         .sources = &src, .source_count = 1};
  srcmap_build(a, &p->prog, strbuf_cstr(&p->caged), &p->image, &in.srcmap, &in.srcmap_count);
  return zsb_write(opt->output, &in, d);
}

/* Runs the pipeline (pipeline.c: frontend, lower, codegen, bpf, lift, native) as far
 * as --emit asks, then prints that stage's output or writes the blob. */
static int compile(struct arena *a, const struct options *opt, struct diag *d)
{
  struct pipeline p;
  struct strbuf out;
  strbuf_init(&out, a);
  if (opt->emit == EMIT_AST)
    return frontend_emit_ast(a, opt->input, &out, d) < 0 ? -1 : emit_text(strbuf_cstr(&out));
  if (pipeline_run(a, opt, opt->emit, &p, d) < 0)
    return -1;
  switch (opt->emit) {
  case EMIT_IR: frontend_emit_ir(p.ir, &out); break;
  case EMIT_JSON: json_write(&out, p.ir, true); strbuf_putc(&out, '\n'); break;
  case EMIT_LOWERED: lower_dump(&p.lowered, &out); break;
  case EMIT_C: return emit_text(p.cg.c_source);
  case EMIT_BPF: (opt->stdlib_names ? bpf_disasm_own : bpf_disasm)(&p.prog, &out); break;
  case EMIT_CAGED_C:
    if (!opt->stdlib_names)
      return emit_text(strbuf_cstr(&p.caged));
    if (lift_program_own(a, &p.prog, &out, d) < 0)
      return -1;
    break;
  case EMIT_ASM: native_disasm(a, &p.image, &p.prog, strbuf_cstr(&p.caged), &out); break;
  default: return write_blob(a, opt, &p, d);
  }
  return emit_text(strbuf_cstr(&out));
}

int main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "adapt") == 0)
    return frontend_adapt_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "explore") == 0)
    return explore_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "verify") == 0)
    return verify_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "sign") == 0)
    return sign_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "hash-password") == 0)
    return hash_password_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "fmt") == 0)
    return fmt_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "validate") == 0)
    return validate_main(argc - 1, argv + 1);
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
