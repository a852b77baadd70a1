/* `zsc explore`: its command line, one run of the whole pipeline with the
 * diagnostics kept for the page (and still printed), and the page written to
 * a file (explore.html by default) or to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/explore.h"
#include "frontend/frontend.h"

struct explore_args {
  struct options opt;          /* input, --cc, --target, --clang, --bpf-c */
  const char *output;          /* -o: the page */
  bool to_stdout;
};

static int explore_usage(const char *problem)
{
  if (problem)
    fprintf(stderr, "zsc explore: %s\n", problem);
  fputs("usage: zsc explore CADDYFILE [-o PAGE.html | --stdout] [--cc=clang|tcc] [--target=x86_64|aarch64]\n"
        "                   [--clang=PATH] [--bpf-c=FILE]\n"
        "  writes one self-contained HTML page (explore.html unless -o says otherwise) with\n"
        "  the Caddyfile and every stage's output side by side, lines linked across stages\n",
        stderr);
  return 2;
}

/* argv[0] is "explore"; 0, or the exit code after printing the problem */
static int explore_parse_args(int argc, char **argv, struct explore_args *args)
{
  memset(args, 0, sizeof *args);
  args->opt.arch = ZS_ARCH_X86_64;
  args->opt.cc = NATIVE_CC_CLANG;
  args->output = "explore.html";
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    int rc = 0;
    if (strcmp(arg, "-o") == 0 && i + 1 < argc) args->output = argv[++i];
    else if (strcmp(arg, "--stdout") == 0) args->to_stdout = true;
    else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return explore_usage(NULL);
    else if (strncmp(arg, "--emit", 6) == 0) return explore_usage("explore shows every stage: no --emit");
    /* the asm column links to lines of the whole caged C, so the stdlib stays listed */
    else if (strncmp(arg, "--stdlib", 8) == 0) return explore_usage("explore shows the stdlib code: no --stdlib");
    else if (arg[0] == '-' && arg[1]) rc = options_parse_flag(arg, &args->opt);
    else if (!args->opt.input) args->opt.input = arg;
    else return explore_usage("more than one input file");
    if (rc)
      return rc;
  }
  if (!args->opt.input)
    return explore_usage("no input file");
  if (args->opt.cc == NATIVE_CC_TCC && args->opt.arch != ZS_ARCH_X86_64)
    return explore_usage("tcc builds x86_64 code only");
  return 0;
}

/* the --emit=ast text, or NULL; its errors are the front end's again, so
 * they are dropped here and reported once by the pipeline */
static const char *explore_ast(struct arena *a, const char *path)
{
  char *text = NULL;
  size_t len = 0;
  FILE *sink = open_memstream(&text, &len);
  if (!sink)
    return NULL;
  struct diag d;
  diag_init(&d, sink);
  struct strbuf sb;
  strbuf_init(&sb, a);
  int rc = frontend_emit_ast(a, path, &sb, &d);
  fclose(sink);
  free(text);
  return rc < 0 ? NULL : strbuf_cstr(&sb);
}

static const char *explore_describe(struct arena *a, const struct options *opt, bool for_asm)
{
  const char *arch = opt->arch == ZS_ARCH_AARCH64 ? "aarch64" : "x86_64";
  const char *cc = opt->cc == NATIVE_CC_TCC ? "libtcc" : "clang";
  if (for_asm)
    return arena_printf(a, "%s asm (%s)", arch, cc);
  return arena_printf(a, "target %s, native code by %s", arch, cc);
}

/* runs every stage with diag writing into a memory stream; the page shows
 * what came out, however far the stages got */
static int explore_run(struct arena *a, const struct options *opt, struct explore_stages *st, struct pipeline *run)
{
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (!mem)
    return perror("zsc explore"), -1;
  struct diag d;
  diag_init(&d, mem);
  memset(run, 0, sizeof *run);
  *st = (struct explore_stages){.path = opt->input, .run = run, .asm_title = explore_describe(a, opt, true),
                                .subtitle = explore_describe(a, opt, false)};
  st->source = pipeline_read_file(a, opt->input, &d);
  st->ast = st->source ? explore_ast(a, opt->input) : NULL;
  int rc = st->source ? pipeline_run(a, opt, EMIT_NONE, run, &d) : -1;
  fclose(mem);
  st->diagnostics = arena_strndup(a, text, len);
  free(text);
  fputs(st->diagnostics, stderr);
  return rc < 0 || d.errors ? -1 : 0;
}

static int explore_write(const struct explore_args *args, const struct strbuf *html)
{
  if (args->to_stdout)
    return fwrite(html->data, 1, html->len, stdout) == html->len ? 0 : -1;
  FILE *f = fopen(args->output, "wb");
  if (!f) {
    fprintf(stderr, "zsc explore: cannot write %s\n", args->output);
    return -1;
  }
  bool ok = fwrite(html->data, 1, html->len, f) == html->len;
  if (fclose(f) != 0 || !ok) {
    fprintf(stderr, "zsc explore: cannot write %s\n", args->output);
    return -1;
  }
  printf("wrote %s\n", args->output);
  return 0;
}

int explore_main(int argc, char **argv)
{
  struct explore_args args;
  int rc = explore_parse_args(argc, argv, &args);
  if (rc)
    return rc;
  struct arena arena = {0};
  struct explore_stages st;
  struct pipeline run;
  struct explore_page page;
  struct strbuf html;
  int ran = explore_run(&arena, &args.opt, &st, &run);
  explore_page_build(&arena, &st, &page);
  strbuf_init(&html, &arena);
  explore_html_write(&page, &html);
  rc = explore_write(&args, &html) < 0 || ran < 0 ? 1 : 0;
  arena_reset(&arena);
  return rc;
}
