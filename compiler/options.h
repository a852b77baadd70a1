/* zsc's command line: what to read, which stage to stop at, how to build. */
#ifndef ZSC_OPTIONS_H
#define ZSC_OPTIONS_H

#include <stdbool.h>

#include "abi/blob.h"
#include "native/native.h"

enum emit_stage {
  EMIT_NONE, EMIT_AST, EMIT_IR, EMIT_JSON, EMIT_LOWERED, EMIT_C, EMIT_BPF, EMIT_CAGED_C, EMIT_ASM,
};

struct options {
  const char *input;           /* the Caddyfile or Caddy JSON */
  const char *output;          /* -o: the blob */
  const char *clang;           /* --clang=PATH */
  const char *bpf_c;           /* --bpf-c=FILE: eBPF C to build instead of the generated one */
  enum emit_stage emit;
  bool stdlib_names;           /* --stdlib=names: the bpf and caged-c listings name the
                                  stdlib-bpf functions instead of printing them */
  enum zs_arch arch;
  enum native_cc cc;
};

/* 0, or prints the problem and usage to stderr and returns 2 (exit code) */
int options_parse(int argc, char **argv, struct options *opt);

/* One --NAME=VALUE flag of the compile form into opt (also used by `zsc
 * explore`): 0, or prints the problem and usage and returns 2. */
int options_parse_flag(const char *arg, struct options *opt);

#endif
