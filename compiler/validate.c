/* zsc validate: runs the pipeline through the eBPF verifier (front end,
 * lowering and codegen, clang -target bpf, link, verify) and reports, writing
 * nothing. Lifting and native code are left out: they take verified eBPF and
 * refuse nothing a Caddyfile can say. */
#include "validate.h"

#include <stdio.h>
#include <string.h>

#include "options.h"
#include "pipeline.h"

static int validate_usage(const char *problem)
{
  if (problem)
    fprintf(stderr, "zsc validate: %s\n", problem);
  fputs("usage: zsc validate CADDYFILE [--clang=PATH]\n", stderr);
  return 2;
}

int validate_main(int argc, char **argv)
{
  struct options opt = {.arch = ZS_ARCH_X86_64, .cc = NATIVE_CC_CLANG};
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--clang=", 8))
      opt.clang = argv[i] + 8;
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
      return validate_usage(NULL);
    else if (argv[i][0] == '-' && argv[i][1])
      return validate_usage("unknown option");
    else if (opt.input)
      return validate_usage("more than one input file");
    else
      opt.input = argv[i];
  }
  if (!opt.input)
    return validate_usage("no input file");
  struct arena arena = {0};
  struct diag d;
  diag_init(&d, stderr);
  struct pipeline p;
  int rc = pipeline_run(&arena, &opt, EMIT_BPF, &p, &d) < 0 || d.errors ? 1 : 0;
  if (rc == 0)
    printf("%s: valid configuration\n", opt.input);
  arena_reset(&arena);
  return rc;
}
