/* Parsing zsc's command line (the compile form; `zsc adapt` has its own). */
#include "options.h"

#include <stdio.h>
#include <string.h>

static const char *const emit_names[] = {
  [EMIT_AST] = "ast", [EMIT_IR] = "ir", [EMIT_JSON] = "json", [EMIT_LOWERED] = "lowered", [EMIT_C] = "c",
  [EMIT_BPF] = "bpf", [EMIT_CAGED_C] = "caged-c", [EMIT_ASM] = "asm",
};

static int options_usage(const char *problem)
{
  if (problem)
    fprintf(stderr, "zsc: %s\n", problem);
  fputs("usage: zsc CADDYFILE -o OUT.zsb [--cc=clang|tcc] [--target=x86_64|aarch64] [--clang=PATH]\n"
        "       zsc --emit=ast|ir|json|lowered|c|bpf|caged-c|asm CADDYFILE [--cc=..] [--target=..] [--stdlib=code|names]\n"
        "       zsc adapt CADDYFILE\n"
        "       zsc validate CADDYFILE\n"
        "       zsc fmt [--overwrite] [--diff] [CADDYFILE|-]\n"
        "       zsc explore CADDYFILE [-o PAGE.html | --stdout] [--cc=..] [--target=..]\n"
        "       (--bpf-c=FILE builds FILE instead of the generated eBPF C, with the config of CADDYFILE)\n",
        stderr);
  return 2;
}

static int options_value(const char *arg, const char *name, const char **value)
{
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0 || arg[n] != '=')
    return 0;
  *value = arg + n + 1;
  return 1;
}

int options_parse_flag(const char *arg, struct options *opt)
{
  const char *v;
  if (options_value(arg, "--emit", &v)) {
    for (size_t i = 1; i < sizeof emit_names / sizeof *emit_names; i++)
      if (strcmp(v, emit_names[i]) == 0)
        return opt->emit = (enum emit_stage)i, 0;
    return options_usage("unknown --emit stage");
  }
  if (options_value(arg, "--cc", &v)) {
    if (strcmp(v, "clang") == 0) opt->cc = NATIVE_CC_CLANG;
    else if (strcmp(v, "tcc") == 0) opt->cc = NATIVE_CC_TCC;
    else return options_usage("--cc must be clang or tcc");
    return 0;
  }
  if (options_value(arg, "--target", &v)) {
    if (strcmp(v, "x86_64") == 0) opt->arch = ZS_ARCH_X86_64;
    else if (strcmp(v, "aarch64") == 0) opt->arch = ZS_ARCH_AARCH64;
    else return options_usage("--target must be x86_64 or aarch64");
    return 0;
  }
  if (options_value(arg, "--stdlib", &v)) {
    if (strcmp(v, "code") == 0) opt->stdlib_names = false;
    else if (strcmp(v, "names") == 0) opt->stdlib_names = true;
    else return options_usage("--stdlib must be code or names");
    return 0;
  }
  if (options_value(arg, "--clang", &opt->clang) || options_value(arg, "--bpf-c", &opt->bpf_c))
    return 0;
  return options_usage("unknown option");
}

int options_parse(int argc, char **argv, struct options *opt)
{
  memset(opt, 0, sizeof *opt);
  opt->arch = ZS_ARCH_X86_64;
  opt->cc = NATIVE_CC_CLANG;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    int rc = 0;
    if (strcmp(arg, "-o") == 0 && i + 1 < argc) opt->output = argv[++i];
    else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return options_usage(NULL);
    else if (arg[0] == '-' && arg[1]) rc = options_parse_flag(arg, opt);
    else if (!opt->input) opt->input = arg;
    else return options_usage("more than one input file");
    if (rc)
      return rc;
  }
  if (!opt->input)
    return options_usage("no input file");
  if (opt->emit == EMIT_NONE && !opt->output)
    return options_usage("no output: give -o OUT.zsb or --emit=STAGE");
  if (opt->cc == NATIVE_CC_TCC && opt->arch != ZS_ARCH_X86_64)
    return options_usage("tcc builds x86_64 code only");
  return 0;
}
