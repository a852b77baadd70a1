/* `zsc adapt [--pretty|--compact] [--caddy-errors] FILE`: prints the IR as
 * Caddy JSON and a newline, tab-indented as Go's json.Indent (the default, or
 * --pretty), or compact as `caddy adapt` without --pretty. An error is a
 * diagnostic with its caret, or with --caddy-errors Caddy's message whole. */
#include <stdio.h>
#include <string.h>

#include "frontend.h"

int frontend_adapt_main(int argc, char **argv)
{
  bool pretty = true, caddy_errors = false;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--pretty") || !strcmp(argv[i], "--compact"))
      pretty = argv[i][2] == 'p';
    else if (!strcmp(argv[i], "--caddy-errors"))
      caddy_errors = true;
    else if (!strcmp(argv[i], "adapt") && !path && i == 1)
      continue;
    else
      path = argv[i];
  }
  if (!path) {
    fprintf(stderr, "usage: zsc adapt [--pretty|--compact] [--caddy-errors] FILE\n");
    return 1;
  }
  struct arena a = {0};
  struct diag d;
  diag_init(&d, stderr);
  struct json *ir = caddy_errors ? frontend_load_caddy(&a, path, &d) : frontend_load(&a, path, &d);
  if (!ir) {
    arena_reset(&a);
    return 1;
  }
  struct strbuf out;
  strbuf_init(&out, &a);
  json_write(&out, ir, pretty);
  fwrite(out.data, 1, out.len, stdout);
  fputc('\n', stdout);
  arena_reset(&a);
  return 0;
}
