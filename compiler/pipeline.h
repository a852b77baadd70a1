/* The compile pipeline as one sequence of stage calls, shared by `zsc` (which
 * prints one stage or writes the blob) and `zsc explore` (which shows them all).
 * It keeps every stage's output; it prints nothing itself. */
#ifndef ZSC_PIPELINE_H
#define ZSC_PIPELINE_H

#include "base/arena.h"
#include "base/diag.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "bpf/program.h"
#include "codegen/codegen.h"
#include "lower/lower.h"
#include "native/native.h"
#include "options.h"

/* the name clang and the BPF line info give the generated eBPF C */
#define PIPELINE_BPF_SOURCE_NAME CODEGEN_SOURCE_NAME

/* everything the stages produce, in pipeline order */
struct pipeline {
  struct json *ir;               /* frontend: Caddy's JSON config model */
  struct lowered_config lowered; /* lower: typed records; what zsc cannot compile is refused */
  struct codegen_output cg;      /* codegen: eBPF C and the runtime config */
  struct bpf_program prog;       /* bpf: linked and verified */
  struct strbuf caged;           /* lifter: caged C */
  struct native_image image;     /* native: relocated code */
  enum emit_stage done;          /* the last stage whose output is whole: EMIT_JSON,
                                    EMIT_LOWERED, EMIT_C, EMIT_BPF (once linked, even if the verifier
                                    then refuses it), EMIT_CAGED_C or EMIT_ASM */
};

/* Runs the stages of opt->input up to and including the one that produces
 * `last` (EMIT_IR and EMIT_JSON stop after the front end, EMIT_NONE runs them
 * all). Returns 0, or -1 after reporting to d. EMIT_AST is not a stage here. */
int pipeline_run(struct arena *a, const struct options *opt, enum emit_stage last, struct pipeline *p,
                 struct diag *d);

/* A whole file as text in the arena, or NULL after reporting. */
const char *pipeline_read_file(struct arena *a, const char *path, struct diag *d);

#endif
