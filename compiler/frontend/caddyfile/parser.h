/* Caddyfile parser: tokens to server blocks and segments, with import
 * splicing, snippets, named routes, {args[...]}, {block}, {blocks.X} and
 * import-cycle detection (Caddy's parse.go). No directive knowledge here. */
#ifndef ZSC_FRONTEND_PARSER_H
#define ZSC_FRONTEND_PARSER_H

#include "dispenser.h"

struct segment {
  struct token *tokens;
  size_t count, cap;
};

struct server_block {
  struct token *keys;
  size_t nkeys, keycap;
  struct segment *segments;
  size_t nsegs, segcap;
  bool has_braces, is_named_route;
};

struct block_list {
  struct server_block *items;
  size_t count, cap;
};

/* Parses a Caddyfile's bytes (env expansion included). -1 with e set on error. */
int parser_parse_file(struct arena *a, const char *file, const char *text, size_t len,
                      struct block_list *out, struct frontend_error *e);

/* {args[i]} / {args.i} inside text, and the variadic {args[i:j]} forms (importargs.c). */
const char *importargs_replace(struct arena *a, const char *text, const char **args, int nargs);
bool importargs_variadic(const char *text, int nargs, int *start, int *end);

#endif
