/* The front end: a Caddyfile (or Caddy JSON) to the IR, Caddy's JSON config
 * model as a struct json tree whose nodes point back at Caddyfile tokens.
 * Also the --emit dumps of the parsed blocks and of the IR. */
#ifndef ZSC_FRONTEND_H
#define ZSC_FRONTEND_H

#include "base/arena.h"
#include "base/diag.h"
#include "base/json.h"
#include "base/strbuf.h"

/* Reads path; Caddy JSON is parsed as is, anything else is adapted as a
 * Caddyfile. NULL after reporting errors through d. */
struct json *frontend_load(struct arena *a, const char *path, struct diag *d);

/* Like frontend_load, but an error is Caddy's message whole, with the places
 * Caddy names and no position of zsc's own (zsc adapt --caddy-errors). */
struct json *frontend_load_caddy(struct arena *a, const char *path, struct diag *d);

/* Like frontend_load on text already in memory; file names the source. */
struct json *frontend_load_text(struct arena *a, const char *file, const char *text, size_t len, struct diag *d);

/* The parsed server blocks, segments and tokens with line:col (golden format). */
int frontend_emit_ast(struct arena *a, const char *path, struct strbuf *out, struct diag *d);

/* The IR as indented JSON, "// FILE:LINE:COL" after values that have a position. */
void frontend_emit_ir(const struct json *ir, struct strbuf *out);

/* `zsc adapt [--pretty|--compact] [--caddy-errors] FILE`: 0 on success, 1 with the error on stderr. */
int frontend_adapt_main(int argc, char **argv);

#endif
