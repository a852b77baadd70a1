/* Codegen's internal state and the functions its files share. One struct cg
 * lives for one codegen_run; the per-entry fields are reset for each server.
 * Not part of the contract: other stages use codegen.h only. Codegen refuses
 * nothing: lowering (lower/) refuses what zsc cannot compile before it runs. */
#ifndef ZSC_CODEGEN_CG_H
#define ZSC_CODEGEN_CG_H

#include <stdbool.h>

#include "codegen.h"
#include "base/strbuf.h"
#include "lower/lower.h"

#define CG_MAX_GROUPS 64         /* route groups per entry: bits of one local */
#define CG_MAX_DEFERRED 64       /* deferred headers handlers per entry: same */

struct cg {
  struct arena *a;
  struct diag *d;
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
  struct strbuf fns;             /* functions conditions call (the file matcher's), before the entries */
  unsigned fn_count;
  const char *match_error_var;   /* set while the condition of a route with match_error is built */
  bool uses_req;                 /* some condition reads the request */
  bool uses_plugin;              /* the entry calls an ebpf program (its `plugin` local) */
  size_t user_vars_len;          /* bytes of zs_user_vars, the {vars.NAME} names (codegen.c) */
  bool uses_proto, uses_grpc;    /* the program needs zs_proto_at, zs_content_type_grpc (codegen.c) */
  bool uses_var_num, uses_var_eq; /* ... zs_var_num, zs_var_eq (the expression matcher) */
};

/* emit.c: output with #line kept in step with the Caddyfile */
void emit_stmt(struct cg *cg, struct srcpos pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void emit_plain(struct cg *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emit_flush(struct cg *cg);
void emit_cstr(struct strbuf *sb, const char *s, size_t len);
const char *cg_cstr(struct cg *cg, const char *s, size_t len);
const char *emit_line_sources(struct arena *a, const char *src, const char *own_name);

/* placeholder.c: a lowered string built into a helper buffer */
void ph_emit(struct cg *cg, struct srcpos pos, const struct lowered_text *s, const char *slot);

/* match.c: a route's match sets as one C condition; "" means always, "0" never */
const char *match_route(struct cg *cg, const struct lowered_route *route);

/* handlers.c: 1 when the handler always ends the chain, 0 when it calls next */
int handler_emit(struct cg *cg, const struct lowered_handler *h);
void cg_emit_return(struct cg *cg, struct srcpos pos, const char *action);

/* the codegen functions of handlers.def and matchers.def */
#define LOWER_HANDLER(kind, module, directive, lower_fn, codegen_fn, action) \
  int codegen_fn(struct cg *cg, const struct lowered_handler *h);
#include "lower/handlers.def"
#undef LOWER_HANDLER
#define LOWER_MATCHER(kind, module, caddyfile, lower_fn, codegen_fn) \
  const char *codegen_fn(struct cg *cg, const struct lowered_matcher *m);
#include "lower/matchers.def"
#undef LOWER_MATCHER

/* routes.c: a route list; 1 when it always ends the chain */
int routes_emit(struct cg *cg, const struct lowered_route *routes, size_t count);

/* config.c: the runtime config records */
void config_server(struct cg *cg, const struct lowered_server *srv);
void config_tls(struct cg *cg, const struct lowered_config *cfg);
void config_loggers(struct cg *cg, const struct lowered_config *cfg);
void config_regexes(struct cg *cg, const struct lowered_config *cfg);
unsigned config_file_server(struct cg *cg, const struct lowered_file_server *fs);
/* mime.c: the Content-Type table, from the compiling machine's MIME database */
void config_mime(struct cg *cg);
unsigned config_proxy(struct cg *cg, const struct lowered_reverse_proxy *rp);
unsigned config_encoder(struct cg *cg, const struct lowered_encode *e);
/* headers.c: one side's header ops; target is "", " | ZS_HDR_UP" or " | ZS_HDR_DOWN" */
void cg_header_ops(struct cg *cg, const struct lowered_headers *h, const char *target, unsigned first_replace);

#endif
