/* `zsc adapt [--pretty] FILE`: prints the IR as Caddy JSON (tab-indented
 * with --pretty, compact otherwise, like `caddy adapt`) and a newline. */
#include <stdio.h>
#include <string.h>

#include "frontend.h"

int frontend_adapt_main(int argc, char **argv)
{
  bool pretty = false;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--pretty"))
      pretty = true;
    else if (!strcmp(argv[i], "adapt") && !path && i == 1)
      continue;
    else
      path = argv[i];
  }
  if (!path) {
    fprintf(stderr, "usage: zsc adapt [--pretty] FILE\n");
    return 1;
  }
  struct arena a = {0};
  struct diag d;
  diag_init(&d, stderr);
  d.no_caret = 1;
  struct json *ir = frontend_load(&a, path, &d);
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
