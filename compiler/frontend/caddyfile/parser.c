/* The Caddyfile parser (Caddy's parse.go): server blocks of addresses and
 * segments. Imports are spliced into the token array in place, so the cursor
 * walks imported tokens as if they had been written there. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "parser.h"

struct snippet {
  const char *name;
  struct token_list tokens;
};

struct import_edge {
  const char *from, *to;
};

struct parser {
  struct dispenser d;
  struct arena *arena;
  struct server_block block;
  bool eof;
  int nesting;
  struct snippet *snippets;
  size_t nsnippets, snippetcap;
  struct import_edge *edges;
  size_t nedges, edgecap;
  size_t expansions;           /* imports spliced so far (bounded, see parser_do_import) */
  size_t token_limit;          /* what imports may grow the token list to */
};

/* Bounds on what imports may expand a file to. Caddy has none, and an import
 * whose {block} feeds another import of the same snippet grows the tokens
 * without end (each splice copying them all). Real Caddyfiles stay far below
 * both: the token bound is 4x the file's own tokens, and at least 120,000. */
enum { PARSER_MAX_EXPANSIONS = 20000, PARSER_MIN_TOKEN_LIMIT = 120000 };

int parser_tokenize_file(struct arena *a, const char *file, const char *text, size_t len,
                         struct token_list *out, struct frontend_error *e);

static struct token *parser_tok(struct parser *p) { return disp_token(&p->d); }
static const char *parser_val(struct parser *p) { return disp_val(&p->d); }
static bool parser_is(struct parser *p, const char *s) { return disp_val_is(&p->d, s); }

static struct snippet *parser_find_snippet(struct parser *p, const char *name)
{
  for (size_t i = 0; i < p->nsnippets; i++)
    if (strcmp(p->snippets[i].name, name) == 0)
      return &p->snippets[i];
  return NULL;
}

/* ---- the import graph (importgraph.go): edges file or file:snippet ---- */

static bool parser_reaches(struct parser *p, const char *from, const char *to, int depth)
{
  if (depth > 64)
    return true;
  for (size_t i = 0; i < p->nedges; i++)
    if (strcmp(p->edges[i].from, from) == 0 &&
        (strcmp(p->edges[i].to, to) == 0 || parser_reaches(p, p->edges[i].to, to, depth + 1)))
      return true;
  return false;
}

static int parser_add_edge(struct parser *p, const char *from, const char *to)
{
  if (parser_reaches(p, to, from, 0))
    return fe_fail(p->d.err, disp_pos(&p->d), "a cycle of imports exists between %s and %s", from, to);
  for (size_t i = 0; i < p->nedges; i++)
    if (strcmp(p->edges[i].from, from) == 0 && strcmp(p->edges[i].to, to) == 0)
      return 0;
  struct import_edge *edge = ARENA_PUSH(p->arena, p->edges, p->nedges, p->edgecap);
  edge->from = from;
  edge->to = to;
  return 0;
}

/* ---- import ---- */

struct import_block_entry {
  const char *key;
  struct token_list tokens;
};

struct import_source {
  const char **args;
  int nargs;
  struct token_list block;     /* the tokens of the import's { } block */
  struct import_block_entry *entries;
  size_t nentries, entrycap;
};

/* Splits the import block into "KEY args..." / "KEY { ... }" entries for {blocks.KEY}. */
static int parser_import_entries(struct parser *p, struct import_source *src)
{
  struct dispenser bd;
  disp_init(&bd, p->arena, p->d.err, src->block.items, (long)src->block.count);
  while (disp_next(&bd)) {
    if (disp_val_is(&bd, "{"))
      return disp_errf(&p->d, "anonymous blocks are not supported");
    struct import_block_entry *e = ARENA_PUSH(p->arena, src->entries, src->nentries, src->entrycap);
    e->key = disp_val(&bd);
    while (disp_next_arg(&bd))
      *ARENA_PUSH(p->arena, e->tokens.items, e->tokens.count, e->tokens.cap) = *disp_token(&bd);
    for (int n = bd.nesting; disp_next_block(&bd, n);)
      *ARENA_PUSH(p->arena, e->tokens.items, e->tokens.count, e->tokens.cap) = *disp_token(&bd);
  }
  return 0;
}

static int parser_read_file(struct parser *p, const char *path, struct token_list *out)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return disp_errf(&p->d, "Could not import %s: %s", path, strerror(errno));
  struct strbuf sb;
  strbuf_init(&sb, p->arena);
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    strbuf_put(&sb, buf, n);
  fclose(f);
  bool blank = true;
  for (size_t i = 0; i < sb.len; i++)
    blank = blank && strchr(" \t\r\n\v\f", sb.data[i]);
  if (blank)
    return 0;
  char abs[PATH_MAX];
  const char *name = realpath(path, abs) ? arena_strdup(p->arena, abs) : path;
  if (parser_tokenize_file(p->arena, name, sb.data, sb.len, out, p->d.err) < 0)
    return fe_wrap(p->d.err, "Could not read tokens while importing %s: ", path);
  return 0;
}

static bool parser_skip_dotfile(const char *pattern, const char *match)
{
  const char *last = strrchr(pattern, '/');
  if ((last ? last[1] : pattern[0]) != '*')
    return false;
  const char *base = strrchr(match, '/');
  return (base ? base[1] : match[0]) == '.';
}

/* Tokens of every file matching pattern (relative to the importing file). */
static int parser_import_files(struct parser *p, const char *pattern, struct token_list *out,
                               const char ***nodes, size_t *nnodes)
{
  const char *file = disp_token(&p->d)->file;
  const char *slash = strrchr(file, '/');
  const char *glob_pattern = pattern[0] == '/' || !slash ? pattern :
                             arena_printf(p->arena, "%.*s/%s", (int)(slash - file), file, pattern);
  if (strchr(glob_pattern, '*') != strrchr(glob_pattern, '*'))
    return disp_errf(&p->d, "Glob pattern may only contain one wildcard (*), but has others: %s", glob_pattern);
  glob_t g;
  int r = glob(glob_pattern, 0, NULL, &g);
  if (r != 0) {
    if (strpbrk(glob_pattern, "*?[]"))
      return 0;
    return disp_errf(&p->d, "File to import not found: %s", pattern);
  }
  size_t cap = 0;
  for (size_t i = 0; i < g.gl_pathc && r == 0; i++) {
    const char *m = arena_strdup(p->arena, g.gl_pathv[i]);
    if (parser_skip_dotfile(glob_pattern, m))
      continue;
    r = parser_read_file(p, m, out);
    *ARENA_PUSH(p->arena, *nodes, *nnodes, cap) = m;
  }
  globfree(&g);
  return r;
}

struct import_walk {
  bool maybe_snippet, maybe_snippet_id;
  int index, nesting;
};

/* Caddy's naive snippet-definition detection inside imported tokens, whose
 * {args} are kept for when that snippet is imported itself. */
static void parser_track_snippet(struct import_walk *w, const struct token *prev, const struct token *t, bool first)
{
  if (!w->maybe_snippet && w->nesting == 0) {
    w->index = first || token_next_on_new_line(prev, t) ? 0 : w->index + 1;
    size_t n = strlen(t->text);
    if (w->index == 0 && n >= 3 && t->text[0] == '(' && t->text[n - 1] == ')')
      w->maybe_snippet_id = true;
  }
  if (strcmp(t->text, "{") == 0) {
    w->nesting++;
    if (w->index == 1 && w->maybe_snippet_id && w->nesting == 1) {
      w->maybe_snippet = true;
      w->maybe_snippet_id = false;
    }
  } else if (strcmp(t->text, "}") == 0) {
    w->nesting--;
    if (w->nesting == 0 && w->maybe_snippet)
      w->maybe_snippet = false;
  }
}

static const struct token_list *parser_block_tokens_for(struct import_source *src, const char *text)
{
  if (strcmp(text, "{block}") == 0)
    return &src->block;
  size_t n = strlen(text);
  if (n < 9 || strncmp(text, "{blocks.", 8) != 0 || text[n - 1] != '}')
    return NULL;
  static const struct token_list empty;
  for (size_t i = 0; i < src->nentries; i++)
    if (strlen(src->entries[i].key) == n - 9 && strncmp(src->entries[i].key, text + 8, n - 9) == 0)
      return &src->entries[i].tokens;
  return &empty;
}

static void parser_push_tokens(struct arena *a, struct token_list *out, const struct token *t, size_t n)
{
  for (size_t i = 0; i < n; i++)
    *ARENA_PUSH(a, out->items, out->count, out->cap) = t[i];
}

/* Applies {block}, {blocks.X} and {args} to imported tokens, appending the import chain. */
static void parser_substitute(struct parser *p, struct import_source *src, const struct token_list *in,
                              int nesting, struct token_list *out)
{
  struct import_walk w = {.nesting = nesting};
  const char *here = arena_printf(p->arena, "%s:%d", parser_tok(p)->file, parser_tok(p)->line);
  for (size_t i = 0; i < in->count; i++) {
    struct token t = in->items[i];
    const char **chain = arena_alloc(p->arena, sizeof *chain * (size_t)(t.nimports + 1));
    for (int k = 0; k < t.nimports; k++)
      chain[k] = t.imports[k];
    chain[t.nimports] = t.snippet ? arena_printf(p->arena, "%s (import %s)", here, t.snippet) :
                                    arena_printf(p->arena, "%s (import)", here);
    t.imports = chain;
    t.nimports++;
    if (nesting == 0 || w.maybe_snippet)
      parser_track_snippet(&w, out->count ? &out->items[out->count - 1] : &t, &t, i == 0);
    const struct token_list *block = parser_block_tokens_for(src, t.text);
    int start, end;
    if (block && !w.maybe_snippet)
      parser_push_tokens(p->arena, out, block->items, block->count);
    else if (w.maybe_snippet)  /* a snippet defined in the imported file keeps its {block} */
      parser_push_tokens(p->arena, out, &t, 1);
    else if (importargs_variadic(t.text, src->nargs, &start, &end))
      for (int k = start; k < end; k++) {
        t.text = src->args[k];
        parser_push_tokens(p->arena, out, &t, 1);
      }
    else {
      t.text = importargs_replace(p->arena, t.text, src->args, src->nargs);
      parser_push_tokens(p->arena, out, &t, 1);
    }
  }
}

/* import <pattern|snippet> [args...] [{ block }]: replaces itself with the
 * imported tokens; the cursor ends on the token before the import. */
static int parser_do_import(struct parser *p, int nesting)
{
  long at = p->d.cursor;        /* the "import" token */
  if (!disp_next_arg(&p->d))
    return disp_arg_err(&p->d);
  const char *pattern = parser_val(p);
  if (!*pattern)
    return disp_errf(&p->d, "Import requires a non-empty filepath");
  struct import_source src = {0};
  src.args = disp_remaining_args(&p->d, &src.nargs);
  for (int n = p->d.nesting; disp_next_block(&p->d, n);)
    *ARENA_PUSH(p->arena, src.block.items, src.block.count, src.block.cap) = *parser_tok(p);
  if (src.block.count && parser_import_entries(p, &src) < 0)
    return -1;
  struct token_list imported = {0};
  const char **nodes = NULL;
  size_t nnodes = 0, cap = 0;
  struct snippet *snip = parser_find_snippet(p, pattern);
  if (snip) {
    imported = snip->tokens;
    if (imported.count)
      *ARENA_PUSH(p->arena, nodes, nnodes, cap) =
          arena_printf(p->arena, "%s:%s", imported.items[0].file, imported.items[0].snippet);
  } else if (parser_import_files(p, pattern, &imported, &nodes, &nnodes) < 0)
    return -1;
  const char *node = parser_tok(p)->snippet ? arena_printf(p->arena, "%s:%s", parser_tok(p)->file, parser_tok(p)->snippet)
                                            : parser_tok(p)->file;
  for (size_t i = 0; i < nnodes; i++)
    if (parser_add_edge(p, node, nodes[i]) < 0)
      return -1;
  if (++p->expansions > PARSER_MAX_EXPANSIONS)
    return disp_errf(&p->d, "imports expand more than %d times: an import that feeds itself through {block}?",
                     PARSER_MAX_EXPANSIONS);
  struct token_list spliced = {0};
  parser_push_tokens(p->arena, &spliced, p->d.tokens, (size_t)at);
  parser_substitute(p, &src, &imported, nesting, &spliced);
  parser_push_tokens(p->arena, &spliced, p->d.tokens + p->d.cursor + 1, (size_t)(p->d.count - p->d.cursor - 1));
  if (spliced.count > p->token_limit)
    return disp_errf(&p->d, "imports expand the Caddyfile to more than %zu tokens", p->token_limit);
  p->d.tokens = spliced.items;
  p->d.count = (long)spliced.count;
  p->d.cursor = at;
  return 0;
}

/* ---- blocks ---- */

static void parser_add_key(struct parser *p, struct token t)
{
  *ARENA_PUSH(p->arena, p->block.keys, p->block.nkeys, p->block.keycap) = t;
}

/* addresses := address { [","] address } ( "{" | EOL ) ; import allowed at line start */
static int parser_addresses(struct parser *p)
{
  bool expecting_another = false;
  for (;;) {
    const char *value = parser_val(p);
    /* an import that matched nothing may leave no token here: Caddy's empty Token{} */
    struct token tok = parser_tok(p) ? *parser_tok(p) : (struct token){.text = ""};
    if (value[0] == '@')
      return disp_errf(&p->d, "request matchers may not be defined globally, they must be in a site block; found %s", value);
    if (token_is(&tok, "import") && disp_is_new_line(&p->d)) {
      if (parser_do_import(p, 0) < 0)
        return -1;
      continue;
    }
    if (token_is(&tok, "{")) {
      if (expecting_another)
        return disp_errf(&p->d, "Expected another address but had '%s' - check for extra comma", value);
      p->block.has_braces = true;
      break;
    }
    size_t n = strlen(value);
    if (n && value[n - 1] == '{' && tok.quote == 0)
      return disp_errf(&p->d, "Site addresses cannot end with a curly brace: '%s' - put a space between the token and the brace", value);
    if (n) {
      expecting_another = value[n - 1] == ',';
      if (expecting_another)
        n--;
      if (memchr(value, ',', n))
        return disp_errf(&p->d, "Site addresses cannot contain a comma ',': '%s' - put a space after the comma to separate site addresses", value);
      if (n) {
        tok.text = arena_strndup(p->arena, value, n);
        parser_add_key(p, tok);
      }
    }
    bool has_next = disp_next(&p->d);
    if (expecting_another && !has_next)
      return disp_errf(&p->d, "unexpected EOF");
    if (!has_next) {
      p->eof = true;
      break;
    }
    if (!expecting_another && disp_is_new_line(&p->d))
      break;
  }
  return 0;
}

/* block := "{" tokens... "}" ; kept for snippets (without braces) and named routes (with) */
static int parser_block_tokens(struct parser *p, bool keep_braces, struct token_list *out)
{
  if (!parser_is(p, "{"))
    return disp_syntax_err(&p->d, "{");
  int nesting = 1;
  if (keep_braces)
    *ARENA_PUSH(p->arena, out->items, out->count, out->cap) = *parser_tok(p);
  while (disp_next(&p->d)) {
    if (parser_is(p, "}") && --nesting == 0) {
      if (keep_braces)
        *ARENA_PUSH(p->arena, out->items, out->count, out->cap) = *parser_tok(p);
      break;
    }
    if (parser_is(p, "{"))
      nesting++;
    *ARENA_PUSH(p->arena, out->items, out->count, out->cap) = *parser_tok(p);
  }
  if (nesting != 0)
    return disp_syntax_err(&p->d, "}");
  return 0;
}

static bool parser_wrapped(const char *s, const char *open)
{
  size_t n = strlen(s), o = strlen(open);
  return n > o && strncmp(s, open, o) == 0 && s[n - 1] == ')';
}

static int parser_named_route(struct parser *p)
{
  struct token name = p->block.keys[0];
  name.text = arena_strndup(p->arena, name.text + 2, strlen(name.text) - 3);
  p->block.keys[0] = name;
  p->block.is_named_route = true;
  struct segment seg = {0};
  *ARENA_PUSH(p->arena, seg.tokens, seg.count, seg.cap) = name;
  struct token_list body = {0};
  if (parser_block_tokens(p, true, &body) < 0)
    return -1;
  parser_push_tokens(p->arena, (struct token_list *)&seg, body.items, body.count);
  *ARENA_PUSH(p->arena, p->block.segments, p->block.nsegs, p->block.segcap) = seg;
  return 0;
}

static int parser_snippet(struct parser *p)
{
  const char *key = p->block.keys[0].text;
  const char *name = arena_strndup(p->arena, key + 1, strlen(key) - 2);
  if (parser_find_snippet(p, name))
    return disp_errf(&p->d, "redeclaration of previously declared snippet %s", name);
  struct token_list body = {0};
  if (parser_block_tokens(p, false, &body) < 0)
    return -1;
  for (size_t i = 0; i < body.count; i++)
    body.items[i].snippet = name;
  struct snippet *s = ARENA_PUSH(p->arena, p->snippets, p->nsnippets, p->snippetcap);
  s->name = name;
  s->tokens = body;
  p->block.nkeys = 0;
  return 0;
}

/* directive := name args... [ "{" lines "}" ] EOL */
static int parser_directive(struct parser *p)
{
  struct segment seg = {0};
  *ARENA_PUSH(p->arena, seg.tokens, seg.count, seg.cap) = *parser_tok(p);
  while (disp_next(&p->d)) {
    struct token *t = parser_tok(p);
    if (token_is(t, "{")) {
      p->nesting++;
      if (!disp_is_next_on_new_line(&p->d))
        return disp_errf(&p->d, "Unexpected next token after '{' on same line");
      if (disp_is_new_line(&p->d))
        return disp_errf(&p->d, "Unexpected '{' on a new line; did you mean to place the '{' on the previous line?");
    } else if (token_is(t, "{}")) {
      if (disp_is_next_on_new_line(&p->d))
        return disp_errf(&p->d, "Unexpected '{}' at end of line");
    } else if (disp_is_new_line(&p->d) && p->nesting == 0) {
      p->d.cursor--;
      break;
    } else if (token_is(t, "}") && p->nesting > 0) {
      p->nesting--;
    } else if (token_is(t, "}")) {
      return disp_errf(&p->d, "Unexpected '}' because no matching opening brace");
    } else if (token_is(t, "import") && disp_is_new_line(&p->d)) {
      if (parser_do_import(p, 1) < 0)
        return -1;
      p->d.cursor--;
      continue;
    }
    *ARENA_PUSH(p->arena, seg.tokens, seg.count, seg.cap) = *parser_tok(p);
  }
  *ARENA_PUSH(p->arena, p->block.segments, p->block.nsegs, p->block.segcap) = seg;
  if (p->nesting > 0)
    return disp_errf(&p->d, "unexpected EOF");
  return 0;
}

/* directives := { import | directive } until "}" or EOF */
static int parser_directives(struct parser *p)
{
  while (disp_next(&p->d)) {
    if (parser_is(p, "}"))
      break;
    if (parser_is(p, "import")) {
      if (parser_do_import(p, 1) < 0)
        return -1;
      p->d.cursor--;
      continue;
    }
    if (parser_directive(p) < 0)
      return -1;
  }
  return 0;
}

/* server_block := addresses ( snippet | named_route | [ "{" ] directives [ "}" ] ) */
static int parser_one(struct parser *p)
{
  memset(&p->block, 0, sizeof p->block);
  if (parser_addresses(p) < 0)
    return -1;
  if (p->eof)
    return 0;
  if (p->block.nkeys == 1 && parser_wrapped(p->block.keys[0].text, "&("))
    return parser_named_route(p);
  if (p->block.nkeys == 1 && parser_wrapped(p->block.keys[0].text, "(") && !strpbrk(p->block.keys[0].text, "{}"))
    return parser_snippet(p);
  bool braces = parser_is(p, "{");
  if (!braces)
    p->d.cursor--;
  if (parser_directives(p) < 0)
    return -1;
  if (braces && !parser_is(p, "}"))
    return disp_syntax_err(&p->d, "}");
  return 0;
}

int parser_tokenize_file(struct arena *a, const char *file, const char *text, size_t len,
                         struct token_list *out, struct frontend_error *e)
{
  size_t n;
  char *expanded = env_expand(a, text, len, &n);
  struct lexer_error lerr = {0};
  if (lexer_tokenize(a, expanded, n, file, out, &lerr) < 0)
    return fe_fail(e, lerr.pos, "%s", lerr.msg);
  return 0;
}

int parser_parse_file(struct arena *a, const char *file, const char *text, size_t len,
                      struct block_list *out, struct frontend_error *e)
{
  struct parser p = {.arena = a};
  struct token_list toks = {0};
  if (parser_tokenize_file(a, file, text, len, &toks, e) < 0)
    return -1;
  disp_init(&p.d, a, e, toks.items, (long)toks.count);
  p.token_limit = toks.count * 4 > PARSER_MIN_TOKEN_LIMIT ? toks.count * 4 : PARSER_MIN_TOKEN_LIMIT;
  while (disp_next(&p.d)) {
    if (parser_one(&p) < 0)
      return -1;
    if (p.block.nkeys > 0 || p.block.nsegs > 0)
      *ARENA_PUSH(a, out->items, out->count, out->cap) = p.block;
    if (p.nesting > 0)
      return disp_errf(&p.d, "unexpected EOF");
  }
  return 0;
}
