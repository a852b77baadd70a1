/* Fuzz target: the Caddyfile parser (env expansion, server blocks, snippets,
 * {args}, {block}, import cycles) without any directive knowledge. */
#include "fuzz.h"
#include "frontend/caddyfile/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (fuzz_import_may_escape(data, size))
    return 0;
  struct arena a = {0};
  struct block_list blocks = {0};
  struct frontend_error err = {.arena = &a};
  int rc = parser_parse_file(&a, "Caddyfile", (const char *)data, size, &blocks, &err);
  if (rc < 0 && !err.msg)
    abort();                   /* a failure must say why */
  for (size_t i = 0; rc == 0 && i < blocks.count; i++)
    for (size_t s = 0; s < blocks.items[i].nsegs; s++)
      if (blocks.items[i].segments[s].count == 0)
        abort();               /* a segment is a directive and its tokens: never empty */
  arena_reset(&a);
  return 0;
}
