/* The `zsc fmt` verb, as `caddy fmt` behaves: print the formatted file (or the
 * diff), or rewrite it in place, and fail when the file was not formatted, so
 * CI can run it as a check. */
#include "fmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/file.h"

struct fmt_args {
  const char *path;            /* "-" reads stdin */
  bool overwrite, diff;
};

static int fmt_usage(const char *problem)
{
  if (problem)
    fprintf(stderr, "zsc fmt: %s\n", problem);
  fputs("usage: zsc fmt [--overwrite|-w] [--diff|-d] [FILE|-]   (FILE defaults to Caddyfile)\n", stderr);
  return 2;
}

/* 0, or the exit status of a bad command line */
static int fmt_parse_args(int argc, char **argv, struct fmt_args *args)
{
  *args = (struct fmt_args){0};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "--overwrite") || !strcmp(arg, "-w"))
      args->overwrite = true;
    else if (!strcmp(arg, "--diff") || !strcmp(arg, "-d"))
      args->diff = true;
    else if ((!strcmp(arg, "--config") || !strcmp(arg, "-c")) && i + 1 < argc && !args->path)
      args->path = argv[++i];
    else if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
      return fmt_usage(NULL);
    else if (arg[0] == '-' && arg[1])
      return fmt_usage("unknown option");
    else if (args->path)
      return fmt_usage("fmt does not support multiple files");
    else
      args->path = arg;
  }
  if (!args->path)
    args->path = "Caddyfile";
  return 0;
}

static int fmt_read_stdin(struct arena *a, struct strbuf *in)
{
  char chunk[65536];
  size_t n;
  strbuf_init(in, a);
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
    strbuf_put(in, chunk, n);
  return ferror(stdin) ? -1 : 0;
}

/* The text with every CRLF made LF: Caddy's "is it formatted" check compares
 * that with its formatting, so a CRLF file counts as formatted if only its
 * line ends differ. */
static void fmt_normalize_crlf(const char *text, size_t len, struct strbuf *out)
{
  for (size_t i = 0; i < len; i++)
    if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
      strbuf_putc(out, text[i]);
}

/* Where the file first differs from its formatting, reported as Caddy reports
 * it (its line; the column is ours). True when it differs. */
static bool fmt_check_formatted(struct arena *a, const char *path, const char *text, size_t len)
{
  struct strbuf body, formatted;
  strbuf_init(&body, a);
  strbuf_init(&formatted, a);
  fmt_normalize_crlf(text, len, &body);
  fmt_format(a, body.data ? body.data : "", body.len, &formatted);
  if (formatted.len == body.len && memcmp(formatted.data, body.data ? body.data : "", body.len) == 0)
    return false;
  int line = 1, col = 1;
  for (size_t i = 0; i < body.len && i < formatted.len && body.data[i] == formatted.data[i]; i++) {
    if (body.data[i] == '\n')
      line++, col = 1;
    else
      col++;
  }
  struct diag d;
  diag_init(&d, stderr);
  diag_error(&d, (struct srcpos){path, line, col},
             "Caddyfile input is not formatted; use 'zsc fmt --overwrite' to update it in place");
  return true;
}

static int fmt_file(struct arena *a, const struct fmt_args *args)
{
  char *text;
  size_t len;
  int rc = file_read_all(a, args->path, &text, &len);
  if (rc < 0) {
    fprintf(stderr, "zsc fmt: reading input file: %s: %s\n", args->path, strerror(-rc));
    return 1;
  }
  struct strbuf out;
  strbuf_init(&out, a);
  fmt_format(a, text, len, &out);
  if (args->overwrite) {
    if ((rc = file_write_all(args->path, out.data, out.len)) < 0) {
      fprintf(stderr, "zsc fmt: overwriting formatted file: %s: %s\n", args->path, strerror(-rc));
      return 1;
    }
    return 0;
  }
  if (args->diff) {
    struct strbuf listing;
    strbuf_init(&listing, a);
    fmt_diff(a, text, len, out.data, out.len, &listing);
    fwrite(listing.data, 1, listing.len, stdout);
  } else {
    fwrite(out.data, 1, out.len, stdout);
  }
  fflush(stdout);
  return fmt_check_formatted(a, args->path, text, len) ? 1 : 0;
}

int fmt_main(int argc, char **argv)
{
  struct fmt_args args;
  int rc = fmt_parse_args(argc, argv, &args);
  if (rc)
    return rc;
  struct arena a = {0};
  if (strcmp(args.path, "-") == 0) {   /* stdin: always printed, never checked */
    struct strbuf in, out;
    rc = fmt_read_stdin(&a, &in);
    if (rc == 0) {
      strbuf_init(&out, &a);
      fmt_format(&a, in.data ? in.data : "", in.len, &out);
      fwrite(out.data, 1, out.len, stdout);
    } else {
      fputs("zsc fmt: reading stdin failed\n", stderr);
    }
    rc = rc ? 1 : 0;
  } else {
    rc = fmt_file(&a, &args);
  }
  arena_reset(&a);
  return rc;
}
