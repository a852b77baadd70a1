/* Internal contract of the adapter (Caddy's httpcaddyfile): the adaptation
 * state, the Helper handed to every directive, config values, and the
 * functions the adapt_*.c, matchers.c, servers.c and global.c files share. */
#ifndef ZSC_FRONTEND_ADAPT_H
#define ZSC_FRONTEND_ADAPT_H

#include "base/json.h"
#include "frontend/caddyfile/parser.h"
#include "frontend/common/address.h"
#include "frontend/common/gojson.h"
#include "frontend/common/shorthand.h"
#include "frontend/common/table.h"

/* A value a directive produced: "route", "error_route", "tls.connection_policy", ... */
struct config_value {
  const char *class;
  const char *directive;       /* normalized (handle_path -> handle) */
  struct json *value;          /* route: {group,match,handle,terminal}; subroute: {routes} */
  bool is_subroute;            /* a bare list of routes to keep together */
};

struct config_values {
  struct config_value *items;
  size_t count, cap;
};

struct matcher_def {
  const char *name;            /* with the '@' */
  struct json *set;            /* matcher set object */
};

struct matcher_defs {
  struct matcher_def *items;
  size_t count, cap;
};

struct name_list {
  const char **items;
  size_t count, cap;
};

struct named_route {
  const char *name;
  struct json *route;
  struct name_list invokes;    /* named routes it invokes itself */
};

/* One adaptation: options and counters that Caddy keeps per Setup call. */
struct adapt {
  struct arena *arena;
  struct frontend_error *err;
  struct json *options;        /* global options by name, in Caddy's typed form */
  const char **order;          /* directive order (the order option edits it) */
  size_t norder, ordercap;
  int group_counter;
  int named_group_counter;
  struct named_route *named;
  size_t nnamed, namedcap;
  struct name_list invoked;    /* names `invoke`d by the block being set up */
  int log_counter;             /* log0, log1, ... for unnamed site logs */
  const struct directive *directives;   /* the directive table in use */
  size_t ndirectives;
  struct tls_pairing *pairings;  /* filled by servers_build for the tls app */
  size_t npairings, paircap;
};

struct helper {
  struct dispenser d;
  struct adapt *ad;
  struct matcher_defs *defs;
  struct server_block *block;
  int *groups;                 /* the group counter in use */
};

typedef int (*directive_fn)(struct helper *h, struct config_values *out);
typedef struct json *(*handler_fn)(struct helper *h);   /* NULL with h->ad->err set */

/* One row of directives.def: a raw directive returns config values itself; a
 * handler directive's first argument may be a matcher (RegisterHandlerDirective). */
struct directive {
  const char *name;
  directive_fn raw;
  handler_fn handler;
};

/* directives.def's rows (directive_table.c), installed by httptype_setup */
extern const struct directive directive_table[];
extern const size_t directive_table_count;

/* ---- matchers (matchers.c) ---- */
int matchers_parse_definitions(struct helper *h, struct dispenser *d, struct matcher_defs *defs);
/* First-argument matcher: 1 and *set (NULL for "*") when the token is a matcher, 0 when not. */
int matchers_from_token(struct helper *h, const struct token *t, struct json **set);
int matchers_extract_set(struct helper *h, struct json **set);    /* ExtractMatcherSet */
struct json *matchers_unmarshal(struct helper *h, const char *name, struct dispenser *d);
/* the header matcher's syntax, merged into an existing field map */
struct json *matchers_header_into(struct helper *h, struct dispenser *d, struct json *m);
/* ParseNamedResponseMatcher: "match { status ...; header ... }" into {status_code, headers} */
struct json *matchers_response(struct helper *h, struct dispenser *d);

/* ---- header operations (adapt_header.c) ---- */
/* applyHeaderOp; resp is the response ops object or NULL for request ops */
int header_apply_op(struct helper *h, struct json *ops, struct json *resp, const char *field,
                    const char *value, const char *replacement);

/* ---- directives (directives.c) ---- */
bool directive_known(struct adapt *ad, const char *name);
int directive_run(struct helper *h, const char *name, struct config_values *out);
struct json *route_new(struct helper *h, struct json *matcher_set, struct json *handler);
void values_push_route(struct helper *h, struct config_values *out, struct json *route);
void values_push(struct helper *h, struct config_values *out, const char *class, struct json *v);
int segment_as_config(struct helper *h, struct config_values *out);
struct json *segment_as_subroute(struct helper *h, bool sort);    /* handler or NULL */
struct json *subroute_build(struct helper *h, struct config_values *routes, bool sort);
struct json *subroute_handler(struct arena *a, struct json *routes);
const char *group_next(struct adapt *ad, int *counter);

/* ---- directive order, sorting and routes (sort.c) ---- */
void directive_order_init(struct adapt *ad);
int directive_order_index(struct adapt *ad, const char *name);
bool directive_is_ordered(struct adapt *ad, const char *name);
void sort_routes(struct adapt *ad, struct config_values *routes);
typedef bool (*less_fn)(void *ctx, size_t i, size_t j);
typedef void (*swap_fn)(void *ctx, size_t i, size_t j);
void go_sort_stable(void *ctx, size_t n, less_fn less, swap_fn swap);
struct json *routes_consolidate(struct arena *a, struct json *routes);

/* ---- servers and global options ---- */
/* A site block after its directives ran: its keys and the values they produced. */
struct site {
  struct server_block *block;
  struct config_values pile;
};

struct site_list {
  struct site *items;
  size_t count, cap;
};

/* What the tls app needs of a server: its listeners and its sites' parsed keys. */
struct tls_site {
  struct site *site;
  const struct address *keys;
  size_t nkeys;
};

struct tls_pairing {
  struct json *listen;
  struct tls_site *sites;
  size_t count, cap;
};

/* The values of one class in a site's pile, in order (directives.c). */
size_t site_pile_count(const struct site *s, const char *class);
struct json *servers_build(struct adapt *ad, struct site_list *sites);  /* apps.http.servers or NULL */
/* global options (global.c) */
const char *option_str(struct adapt *ad, const char *name);            /* NULL when unset */
long long option_int(struct adapt *ad, const char *name, long long fallback);
int global_evaluate(struct adapt *ad, struct server_block *block);
struct json *httptype_setup(struct adapt *ad, struct block_list *blocks);

/* one handler per directive; the table is directives.def */
#define DIRECTIVE(name, fn) int fn(struct helper *h, struct config_values *out);
#define HANDLER(name, fn) struct json *fn(struct helper *h);
#include "directives.def"
#undef DIRECTIVE
#undef HANDLER

#endif
