/* Lowering's internal state and the functions its files share: positions,
 * refusals named as the user wrote them, per-handler key tables. Not part of
 * the contract: other stages use lower.h only. */
#ifndef ZSC_LOWER_PARTS_H
#define ZSC_LOWER_PARTS_H

#include "abi/blob.h"
#include "lower.h"

#define LOWER_MAX_GROUPS 64      /* route groups per server: bits of one local in codegen */
#define LOWER_MAX_DEFERRED 64    /* deferred headers handlers per server: same */

struct lower_source {
  const char *path, *text;     /* text NULL when unreadable */
};

/* an automation policy of the tls app, for automatic HTTPS's choice of issuer */
/* an ACME issuer as lowered, with what autohttps.c checks against the ports */
struct lower_acme_issuer {
  struct lowered_acme_issuer rec;
  const struct json *node, *http_port_node, *alpn_port_node, *alpn_off_node;
  unsigned http_port, alpn_port;   /* challenges' alternate_port; 0: none */
};

struct lower_auto_policy {
  const struct json *node, *lifetime_node;
  const char **subjects;
  size_t subject_count;
  bool internal;               /* its first issuer is the local CA */
  bool has_issuers;
  struct lower_acme_issuer *acme;   /* its issuers when they are ACME issuers, in order */
  size_t acme_count;
  long acme_row;               /* its first row in cfg->acme_issuers once a name uses it; -1 before */
  const struct json *key_type_node;
  unsigned lifetime;           /* the internal issuer's, seconds; 0: 12 h */
  unsigned key_type;           /* enum zs_key_type; 0: p256, Caddy's default */
};

struct lower {
  struct arena *a;
  struct diag *d;
  const char *input;           /* the file given to zsc: the position of last resort */
  struct srcpos pos;           /* enclosing construct, for synthetic nodes (code positions) */
  struct srcpos server_pos;    /* a token of the server, for what has no position at all */
  struct srcpos origin;        /* the directive token of the enclosing handler, line 0 if none */
  const char *directive;       /* its handlers.def directive: the name when the token is unreadable */
  struct srcpos *refused;      /* directive tokens already refused: one message each */
  size_t refused_count, refused_cap;
  struct lower_source *sources;
  size_t source_count, source_cap;
  const char **groups;         /* route group names of the server being lowered */
  size_t group_count, group_cap;
  size_t deferred_count;
  const char *proxy_dial;      /* the upstream whose header ops are being lowered, else NULL */
  struct srcpos query_rewrite; /* a rewrite of the query in the server being lowered, line 0 if none */
  bool has_browse;             /* it has a file_server browse (which reads the query as the client sent it) */
  bool has_proxy;              /* it has a reverse_proxy (which sends the query as the client did) */
  const struct json *proxy;    /* the first reverse_proxy of the server, NULL if none */
  const struct json *errors_node; /* its errors member (handle_errors), NULL if none */
  bool in_errors;              /* lowering error routes: {http.error.*} is known */
  bool ebpf_seen;              /* this server's routes so far run an ebpf program */
  const struct json *error_message;   /* the first {http.error.message} there, NULL if none */
  const struct json *file_status_node; /* the route being lowered: a file matcher's first "=404", or NULL */
  struct lowered_config *cfg;  /* the config being built (its regexes) */
  const char **user_vars;      /* the {vars.NAME} names read so far, each once (lowered_config.user_vars) */
  size_t user_var_count, user_var_cap;
  struct lowered_plugin *plugins;   /* the ebpf programs named so far (lowered_config.plugins) */
  size_t plugin_count, plugin_cap;
  struct lower_auto_policy *auto_policies;
  size_t auto_policy_count;
  int errors;
};

/* a handler's (or a handler object's) members: each key its lower function */
typedef int (*lower_key_fn)(struct lower *l, const struct json *v, void *record);

struct lower_key {
  const char *key;             /* the JSON member */
  const char *caddyfile;       /* the subdirectives users write for it, space separated, or NULL */
  lower_key_fn fn;             /* NULL: accepted as it is; lower_key_refused: refused */
};

int lower_key_refused(struct lower *l, const struct json *v, void *record);
int lower_keys(struct lower *l, const struct json *obj, const struct lower_key *table, const char *what,
               void *record);
int lower_object_keys(struct lower *l, const struct json *v, const struct lower_key *table, const char *what,
                      void *record);
int lower_object_keys_at(struct lower *l, const struct json *v, const struct lower_key *table, const char *what,
                         void *record);

/* names.c: positions and words of the source, refusals */
struct srcpos lower_pos(struct lower *l, const struct json *node);
const struct json *lower_positioned(const struct json *node);
const char *lower_word_at(struct lower *l, struct srcpos pos);
const char *lower_line_word(struct lower *l, struct srcpos at, struct srcpos *word_pos);
const char *lower_directive_name(struct lower *l, struct srcpos origin, const char *fallback);
void lower_refuse(struct lower *l, const struct json *node, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
void lower_refuse_at(struct lower *l, struct srcpos pos, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
void lower_refuse_key(struct lower *l, const struct json *obj, const struct lower_key *row, const char *key,
                      const char *what);
void lower_refuse_module(struct lower *l, const struct json *obj, const char *kind, const char *module);
void lower_refuse_matcher(struct lower *l, const struct json *v, const char *name);

/* values every handler needs */
const char *lower_string(struct lower *l, const struct json *v, const char *what);
int lower_status(struct lower *l, const struct json *v, const char *what);
bool lower_is_true(const struct json *v);
/* logging.c: v is one of names (NULL-terminated): its index in *out, else refused as "what 'v'" */
int lower_one_of(struct lower *l, const struct json *v, const char *what, const char *const *names, bool nocase,
                 unsigned *out);
/* log_encoder.c: a logger's encoder and its options; the defaults of a logger without one */
int lower_log_encoder(struct lower *l, const struct json *v, void *record);
void lower_log_encoder_defaults(struct lowered_logger *g);
/* a caddy.Duration (nanoseconds, or Go duration text with "d"): 0 or -1 */
int lower_duration_ns(const struct json *v, long long *ns);
int lower_bool(struct lower *l, const struct json *v, const char *what, bool *out);
int lower_only(struct lower *l, const struct json *v, const char *what, const char *only);
void *lower_items(struct lower *l, const struct json *list, size_t size, const char *refusal);

/* text.c: strings with placeholders */
/* Caddy's ReplaceKnown, ReplaceAll, and the ReplaceFunc of rewrite's query
 * components, which formats an unknown placeholder's nil value with %+v
 * and query-escapes it: LOWER_QUERY_NIL */
enum lower_ph_mode { LOWER_PH_KNOWN, LOWER_PH_ALL, LOWER_PH_QUERY };
#define LOWER_QUERY_NIL "%3Cnil%3E"
int lower_text(struct lower *l, const struct json *node, enum lower_ph_mode mode, struct lowered_text *out);
/* literal text appended, joined with literal text before it */
void lower_text_push(struct lower *l, struct lowered_text *out, const char *s, size_t len);

/* text_fields.c: a placeholder key of a request field by name or index:
 * 1 (*out set), 0 when it is none, -1 for a bad index (unknown to Caddy) */
int lower_text_field(struct lower *l, enum lower_ph_mode mode, const char *key, size_t len,
                     struct lowered_text_part *out);
/* text.c: the placeholder's variable, or NULL when zsc has none */
int lower_var_id(const char *key, size_t len);

/* match_regexp.c: {http.regexp.NAME.GROUP} (key without the prefix) as a
 * capture: (name << 16 | group) + 1, or 0 after refusing it */
int lower_regexp_capture(struct lower *l, const struct json *at, const char *key, size_t len);

/* match.c */
/* the matcher of Caddy module `module` with value v (the expression matcher's calls) */
int lower_matcher_module(struct lower *l, const char *module, const struct json *v, struct lowered_matcher *out);
int lower_match(struct lower *l, const struct json *match, struct lowered_route *route);

/* handlers.c */
int lower_handler(struct lower *l, const struct json *h, struct lowered_handler *out);
/* the headers handler's add, set and delete members into a struct lowered_headers */
int lower_headers_add(struct lower *l, const struct json *v, void *record);
int lower_headers_set(struct lower *l, const struct json *v, void *record);
int lower_headers_delete(struct lower *l, const struct json *list, void *record);
/* headers_request.c: the headers handler's request object into its `request` record */
int lower_headers_request(struct lower *l, const struct json *v, void *record);
/* a field name in Go's canonical form; placeholders and wildcards refused */
const char *lower_header_name(struct lower *l, const char *name, const struct json *at);

/* match_ip.c: one range, "addr" or "addr/bits", packed (ZS_IP_RANGE_SIZE
 * bytes); false when Caddy's provisioning fails */
bool lower_ip_range(const char *s, unsigned char *out);

/* trusted.c: trusted_proxies of a server and of a reverse_proxy */
int lower_server_trusted(struct lower *l, const struct json *v, void *record);
int lower_proxy_trusted(struct lower *l, const struct json *v, void *record);

/* proxy_headers.c: reverse_proxy's headers member (header_up, header_down) */
int lower_proxy_headers_keep(struct lower *l, const struct json *v, void *record);
int lower_proxy_headers(struct lower *l, struct lowered_reverse_proxy *rp);
/* a regular expression PCRE2 compiles (search_regexp, health_body); -1 after refusing */
int lower_proxy_regexp(struct lower *l, const struct json *at, const char *re, const char *what);
/* the text of an {http.reverse_proxy.upstream.*} placeholder when the
 * upstream being lowered fixes it, else NULL */
const char *lower_proxy_placeholder(struct lower *l, const char *key, size_t len);

/* proxy_lb.c: reverse_proxy's upstreams (first: the rest refer to them),
 * load_balancing, health_checks and transport, then Caddy's defaults */
int lower_proxy_upstreams(struct lower *l, const struct json *ups, void *record);
int lower_proxy_load_balancing(struct lower *l, const struct json *v, void *record);
int lower_proxy_health_checks(struct lower *l, const struct json *v, void *record);
int lower_proxy_transport(struct lower *l, const struct json *v, void *record);
void lower_proxy_lb_defaults(struct lowered_proxy_lb *lb, bool has_keep_alive);

/* lower.c: a route list (subroute handlers lower their routes through it) */
int lower_routes(struct lower *l, const struct json *routes, struct lowered_route **out, size_t *count);

/* lower.c: "[tcp/]host:port" into out; -1 when it is not that (lower_listen refuses it) */
int lower_listen_split(struct arena *a, const char *addr, struct lowered_listener *out);

/* tls.c: a TLS server's connection policies */
int lower_tls_policies(struct lower *l, const struct json *list, struct lowered_server *s);

/* acme.c: an acme issuer object (0, or -1 after refusing), and the one
 * certmagic uses when a policy names none (Let's Encrypt) */
int lower_acme_issuer(struct lower *l, const struct json *v, struct lower_acme_issuer *out);
void lower_acme_default(struct lower_acme_issuer *out);

/* tls_app.c: the tls and pki apps (either may be NULL) and the config's storage */
int lower_tls_app(struct lower *l, const struct json *tls, const struct json *pki, struct lowered_config *out);
int lower_storage(struct lower *l, const struct json *v, struct lowered_config *out);

/* logging.c: the logging app's loggers (logging may be NULL: Caddy's default
 * logger) and a server's logs, whose rows name those loggers */
int lower_logging(struct lower *l, const struct json *logging, struct lowered_config *out);
int lower_server_logs(struct lower *l, const struct json *v, const struct lowered_config *cfg,
                      struct lowered_server *s);

/* loaded.c: does a loaded certificate file or folder, as it reads now, cover name? */
bool lower_loaded_covers(struct lower *l, const struct lowered_config *cfg, const char *name);

/* autohttps.c: the HTTP app as automatic HTTPS leaves it (a copy; http when
 * it has no servers), the local CA's certificates added to cfg; *bad set to
 * -1 after a refusal (a name that needs ACME) */
const struct json *lower_auto_https(struct lower *l, const struct json *http, struct lowered_config *cfg, int *bad);

/* the lower functions of handlers.def and matchers.def */
#define LOWER_HANDLER(kind, module, directive, lower_fn, codegen_fn, action) \
  int lower_fn(struct lower *l, const struct json *h, struct lowered_handler *out);
#include "handlers.def"
#undef LOWER_HANDLER
#define LOWER_MATCHER(kind, module, caddyfile, lower_fn, codegen_fn) \
  int lower_fn(struct lower *l, const struct json *v, struct lowered_matcher *out);
#include "matchers.def"
#undef LOWER_MATCHER

#define LOWER_DECLINE 1
#define LOWER_MAX_REGEX_GROUPS 16   /* capture groups kept per regex (codegen packs them in 16 bits) */
#define LOWER_REGEX_ANY 0xffffu     /* the capture name of {http.regexp.N}: any regex (ZS_REGEX_ANY) */          /* a handler row's lower function: not this row's shape */

#endif
