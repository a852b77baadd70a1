/* zsb_list SITE.zsb: the blob listing (compiler/zsb/dump.c) on stdout, for the
 * golden config stage, which keeps its config rows. Exit 1 when the blob is
 * unreadable or fails zsb_check. */
#include <stdio.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "zsb/zsb.h"

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: zsb_list SITE.zsb\n");
    return 2;
  }
  struct arena a = {0};
  struct strbuf out;
  strbuf_init(&out, &a);
  int rc = zsb_dump(argv[1], &out);
  fputs(strbuf_cstr(&out), stdout);
  arena_reset(&a);
  return rc < 0 ? 1 : 0;
}
