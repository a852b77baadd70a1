/* The ebpf directive: a user's eBPF program as a handler (zsc's own, no Caddy
 * module). The adapter only records what was written; lower/ resolves the
 * file and compiles nothing; the pipeline builds the program. */
#include <string.h>

#include "adapt.h"

/* ebpf [<matcher>] <file.c|file.o> [<args>...] { <name> <value> ... } */
struct json *adapt_ebpf(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = jobj(a);
  disp_next(&h->d);
  jset(a, r, "handler", jstr(a, "ebpf", disp_pos(&h->d)));
  if (!disp_next_arg(&h->d)) {
    disp_arg_err(&h->d);
    return NULL;
  }
  jset(a, r, "program", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  struct json *args = jarr(a);
  while (disp_next_arg(&h->d))
    jpush(a, args, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  if (args->count > 0)
    jset(a, r, "args", args);
  struct json *named = jobj(a);
  while (disp_next_block(&h->d, 0)) {
    const char *name = disp_val(&h->d);
    if (json_object_get(named, name)) {
      disp_errf(&h->d, "argument '%s' given twice", name);
      return NULL;
    }
    if (!disp_next_arg(&h->d) || disp_count_remaining_args(&h->d) > 0) {
      disp_arg_err(&h->d);
      return NULL;
    }
    jset(a, named, name, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  }
  if (named->count > 0)
    jset(a, r, "named_args", named);
  return r;
}
