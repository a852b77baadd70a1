/* Codegen's internal state and the functions its files share. One struct cg
 * lives for one codegen_run; the per-entry fields are reset for each server.
 * Not part of the contract: other stages use codegen.h only. */
#ifndef ZSC_CODEGEN_CG_H
#define ZSC_CODEGEN_CG_H

#include <stdbool.h>

#include "codegen.h"
#include "base/strbuf.h"

#define CG_MAX_GROUPS 64         /* route groups per entry: bits of one local */
#define CG_MAX_DEFERRED 64       /* deferred headers handlers per entry: same */

struct cg {
  struct arena *a;
  struct diag *d;
  struct srcpos server_pos;      /* a Caddyfile token of the server, for refusals */
  struct site_config *config;
  struct strbuf *out;            /* where emit_* writes: the entry, or discard */
  struct strbuf discard;         /* unreachable code is generated (and checked) into this */
  int indent;
  int line;                      /* Caddyfile line the next output line maps to; 0: unknown */
  const char *file;
  bool open;                     /* the last statement line is not ended yet: the next */
  int open_line, open_indent;    /* statement of the same line and depth joins it */
  size_t open_width;
  /* the entry being generated */
  const char *entry;             /* "srv0" */
  const char **groups;
  size_t group_count, group_cap;
  const char **deferred;         /* code of each deferred headers handler, by bit */
  size_t deferred_count, deferred_cap;
  struct srcpos pos;             /* enclosing construct, for synthetic nodes */
  bool uses_req;                 /* some condition reads the request */
};

/* emit.c: output with #line kept in step with the Caddyfile */
struct srcpos cg_pos(struct cg *cg, const struct json *node);
void emit_stmt(struct cg *cg, struct srcpos pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void emit_plain(struct cg *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emit_flush(struct cg *cg);
void emit_cstr(struct strbuf *sb, const char *s, size_t len);
const char *cg_cstr(struct cg *cg, const char *s, size_t len);
const char *cg_lower(struct cg *cg, const char *s, size_t len);
const char *cg_canonical_header(struct cg *cg, const char *s, size_t len);
const char *emit_line_sources(struct arena *a, const char *src, const char *own_name);
void cg_refuse(struct cg *cg, const struct json *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cg_check_keys(struct cg *cg, const struct json *obj, const char *const *allowed, const char *what);
const char *cg_string(struct cg *cg, const struct json *v, const char *what);
int cg_status(struct cg *cg, const struct json *v, const char *what);

/* placeholder.c: strings with {placeholders} built into a helper buffer */
enum ph_mode { PH_KNOWN, PH_ALL };   /* Caddy's ReplaceKnown / ReplaceAll */
struct ph_part {
  int var;                       /* ZS_VAR_x id, 0 for literal text */
  const char *var_name;
  const char *text;
  size_t len;
};
struct ph_string {
  struct ph_part *parts;
  size_t count, cap;
  bool constant;                 /* only literal text */
};
int ph_parse(struct cg *cg, const struct json *node, enum ph_mode mode, struct ph_string *out);
void ph_emit(struct cg *cg, struct srcpos pos, const struct ph_string *s, const char *slot);
const char *ph_constant(struct cg *cg, const struct ph_string *s, size_t *len);

/* match.c: a route's match sets as one C condition; "" means always,
 * "0" never, NULL after refusing */
const char *match_route(struct cg *cg, const struct json *match);

/* handlers.c: 1 when the handler always ends the chain, 0 when it calls
 * next, -1 after refusing */
int handler_emit(struct cg *cg, const struct json *h);
void cg_emit_return(struct cg *cg, struct srcpos pos, const char *action);

/* headers.c: the headers handler (response ops, possibly deferred) */
int headers_emit(struct cg *cg, const struct json *h);

/* routes.c: a route list; 1 when it always ends the chain */
int routes_emit(struct cg *cg, const struct json *routes);

/* config.c: the runtime config records */
int config_server(struct cg *cg, const struct json *http, const char *name, const struct json *srv, unsigned index);
int config_file_server(struct cg *cg, const struct json *h, unsigned *id);
int config_proxy(struct cg *cg, const struct json *h, unsigned *id);

#endif
