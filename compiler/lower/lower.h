/* Lowering: the IR (Caddy's JSON config model) to typed records for servers,
 * routes, match sets and handlers, the one place where "zsc cannot compile X
 * yet" is decided, at the token the user wrote. Codegen consumes only these
 * records. The handler and matcher kinds come from handlers.def/matchers.def. */
#ifndef ZSC_LOWER_H
#define ZSC_LOWER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/json.h"
#include "base/strbuf.h"

enum lowered_handler_kind {
#define LOWER_HANDLER(kind, module, directive, lower_fn, codegen_fn, action) LOWERED_##kind,
#include "handlers.def"
#undef LOWER_HANDLER
  LOWERED_HANDLER_COUNT
};

enum lowered_matcher_kind {
#define LOWER_MATCHER(kind, module, caddyfile, lower_fn, codegen_fn) LOWERED_MATCH_##kind,
#include "matchers.def"
#undef LOWER_MATCHER
  LOWERED_MATCHER_COUNT
};

/* a string with Caddy placeholders, split into literal text and request
 * variables (ZS_VAR_x ids) */
struct lowered_text_part {
  int var;                     /* ZS_VAR_x id, 0 for literal text */
  int capture;                 /* {http.regexp.NAME.GROUP}: (name << 16 | group) + 1, else 0; text is the
                                * placeholder as written, kept when no regex of that name matched (or NULL) */
  const char *var_name;
  int field;                   /* {http.request.header.NAME}-style: enum zs_field, text the name; else 0 */
  unsigned index;              /* a field by index: the path segment or host label */
  const char *unset;           /* a field that may be absent (a cookie), ReplaceKnown: the placeholder as written */
  unsigned escape;             /* a variable: enum zs_escape (abi/helpers.h), 0 as it is */
  const char *text;
  size_t len;
};

struct lowered_text {
  struct lowered_text_part *parts;
  size_t count, cap;
  bool constant;               /* only literal text */
  struct srcpos pos;
};

/* how one matcher value compares (path, host, header values) */
enum lowered_str_op { LOWERED_STR_ANY, LOWERED_STR_EXACT, LOWERED_STR_PREFIX, LOWERED_STR_SUFFIX,
                      LOWERED_STR_CONTAINS, LOWERED_STR_GLOB };

struct lowered_pattern {
  enum lowered_str_op op;
  const char *text;            /* lowercased where Caddy lowercases (path, host) */
  size_t len;
  bool keep_slashes;           /* path: the pattern has "//" */
  bool wild;                   /* host: has a * label */
};

/* header matcher: absent (null), present ([] or "*"), or any of the values */
struct lowered_header_field {
  const char *name;            /* lowercased */
  bool absent, present;
  struct lowered_pattern *values;
  size_t count;
};

/* the file matcher: candidates tried under root by policy (enum zs_file_policy) */
struct lowered_file_try {
  struct lowered_text path;
  bool dir;                    /* written with a trailing '/': only a directory matches */
  int status;                  /* "=404" under first_exist(_fallback): the error it raises; else 0 */
};

struct lowered_file_match {
  bool has_root;               /* else Caddy's {http.vars.root} */
  struct lowered_text root;
  struct lowered_file_try *tries;
  size_t try_count;
  unsigned policy;
  const char *split;           /* split_path, each NUL-terminated, or NULL */
  size_t split_len;
};

struct lowered_match;

/* path_regexp and header_regexp: a regex row (lowered_config.regexes) tried
 * on the path (field NULL) or on each value of a field */
struct lowered_regex_use {
  unsigned regex;
  const char *field;           /* lowercased */
};

/* a regular expression of the config, compiled by zsrt at load */
struct lowered_regex {
  const char *pattern;
  unsigned name;               /* index in lowered_config.regex_names */
};

/* the expression matcher: Caddy's CEL, the subset zsc compiles (lower/match_expr.c) */
enum lowered_expr_op { LOWERED_EXPR_AND, LOWERED_EXPR_OR, LOWERED_EXPR_NOT, LOWERED_EXPR_CMP, LOWERED_EXPR_MATCHER };
enum lowered_expr_cmp { LOWERED_CMP_EQ, LOWERED_CMP_NE, LOWERED_CMP_LT, LOWERED_CMP_LE, LOWERED_CMP_GT,
                        LOWERED_CMP_GE };

struct lowered_matcher;

struct lowered_expr {
  enum lowered_expr_op op;
  struct lowered_matcher *matcher;   /* MATCHER: a matcher call (path('/a'), header({...}), ...) */
  struct lowered_expr *a, *b;  /* AND, OR: both; NOT: a */
  /* CMP: a placeholder (ZS_VAR_x) against a number or a string */
  int var;
  enum lowered_expr_cmp cmp;
  bool number;
  long long value;
  const char *text;
  size_t len;
};

struct lowered_matcher {
  enum lowered_matcher_kind kind;
  struct srcpos pos;
  struct lowered_pattern *patterns;      /* path, host, method */
  size_t count;
  struct lowered_header_field *fields;   /* header */
  size_t field_count;
  const char *protocol;                  /* protocol: Caddy's name (https, http, grpc, http/2+, ...) */
  bool early_data;                       /* tls: handshake_complete false (0-RTT data) */
  struct lowered_file_match *file;       /* file */
  const unsigned char *ranges;           /* remote_ip: packed ZS_IP_RANGE_SIZE each */
  size_t ranges_len;
  const unsigned char *query;            /* query: packed (lower/match_query.c) */
  size_t query_len;
  struct lowered_match *sets;            /* not */
  size_t set_count;
  struct lowered_expr *expr;             /* expression */
  struct lowered_regex_use *regex_uses;  /* path_regexp (one), header_regexp (one per field) */
  size_t regex_use_count;
};

/* one match set: all its matchers must match */
struct lowered_match {
  struct lowered_matcher *matchers;
  size_t count;
  struct srcpos pos;
};

struct lowered_route;

/* a header field with its values: static_response headers, headers add/set */
struct lowered_field {
  const char *name;            /* as emitted (canonical for the headers handler) */
  struct lowered_text *values;
  size_t count;
  struct srcpos pos;           /* of the value list */
};

struct lowered_static_response {
  int status;                  /* 0: 200 */
  bool status_error;           /* the status is {http.error.status_code} (error routes) */
  struct lowered_field *headers;
  size_t header_count;
  bool has_body;
  struct lowered_text body;
  struct srcpos body_pos;      /* the body, or the handler */
};

/* file_server; the constant values are what the blob config carries */
struct lowered_file_server {
  bool has_root;
  struct lowered_text root;
  const char *root_const;      /* the root when it has no placeholder, else NULL */
  bool has_index;              /* index_names given: else the runtime's defaults */
  const char **index_names, **hide;
  size_t index_count, hide_count;
  int status;                  /* status_code, 0 when absent */
  bool no_canonical;           /* canonical_uris false (disable_canonical_uris) */
  bool browse;                 /* list directories without an index file */
  int file_limit;              /* browse file_limit: entries read, 0 for Caddy's default */
  const char **precompressed;  /* sidecar encodings in precompressed_order */
  size_t precompressed_count;
};

struct lowered_headers;

/* a header op's replace: a field's (or every field's, "*") values edited */
struct lowered_replace {
  const char *name;            /* canonical, or "*" */
  const char *search;          /* a substring, or a regular expression when regexp */
  bool regexp;
  struct lowered_text with;
  struct srcpos pos;
};

/* reverse_proxy's upstreams, load balancing, health checks and transport
 * (proxy_lb.c), with Caddy's defaults filled in; durations in ms */
struct lowered_proxy_upstream {
  const char *dial;            /* "host:port" or "unix//path" */
  unsigned weight, max_requests;
};

struct lowered_proxy_lb {
  const struct json *handler;  /* the reverse_proxy object, for refusals of a whole member */
  struct lowered_proxy_upstream *upstreams;
  size_t upstream_count;
  unsigned policy, fallback, choose, cookie_max_age;   /* enum zs_lb_policy */
  const char *policy_key, *cookie_secret;
  unsigned retries, try_duration_ms, try_interval_ms;
  bool retry_match;
  const char **retry_methods;
  size_t retry_method_count;
  unsigned fail_duration_ms, max_fails, unhealthy_latency_ms;
  const char **unhealthy_status;
  size_t unhealthy_status_count;
  bool active;
  const char *health_uri, *health_method, *health_body;
  const char **health_headers;  /* name, value, name, value, ... */
  size_t health_header_count;
  unsigned health_port, health_status, health_interval_ms, health_timeout_ms, health_passes, health_fails;
  bool no_keepalive;
  unsigned dial_timeout_ms, response_header_timeout_ms, read_timeout_ms, write_timeout_ms;
  unsigned idle_timeout_ms, idle_conns, idle_conns_per_host, max_conns_per_host;
};

/* uri replace: a constant find, a replacement with placeholders */
struct lowered_substr {
  const char *find;
  struct lowered_text replace;
  long limit;                  /* <= 0: all */
  struct srcpos pos;
};

/* Caddy's rewrite handler, in its order: uri, strip_path_prefix,
 * strip_path_suffix, uri_substring */
struct lowered_rewrite {
  const char *strip_prefix;    /* with its leading '/', or NULL */
  struct srcpos pos;
  bool uri_path, uri_query;    /* uri sets the path / has a '?' (sets the query) */
  bool uri_own_query;          /* its query is not empty: a '?' the path brings in is dropped */
  struct lowered_text path;    /* uri's path, {http.request.uri.path} escaped */
  struct lowered_text query;   /* uri's query: ZS_QUERY_KEY / ZS_QUERY_VALUE mark its components */
  struct srcpos uri_pos;
  const char *strip_suffix;    /* or NULL */
  struct srcpos suffix_pos;
  struct lowered_substr *subs;
  size_t sub_count;
};

/* reverse_proxy's rewrite of the request it sends upstream (Caddy's Rewrite
 * on the cloned request): the method, then the uri */
struct lowered_proxy_rewrite {
  bool has_method;
  bool drops_body;             /* the method is written GET or HEAD: a changed request goes up without a body */
  struct lowered_text method;  /* placeholders replaced (unknown ones by ""), then uppercased */
  struct srcpos method_pos;
  struct lowered_rewrite uri;  /* only its uri part */
};

/* reverse_proxy: its upstreams and their balancing; header_up and header_down */
struct lowered_reverse_proxy {
  const char *dial;            /* the first upstream: "host:port" or "unix//path" */
  struct lowered_proxy_rewrite *rewrite;   /* NULL: the request goes up as it is */
  struct lowered_proxy_lb lb;
  const struct json *headers;  /* the headers member, lowered once the upstream is known */
  struct lowered_headers *up, *down;   /* NULL when absent */
  const char **trusted;        /* its own trusted_proxies ranges */
  size_t trusted_count;
  unsigned request_buffers;    /* bytes gathered before the body goes up; 0: none */
  unsigned stream_timeout_ms, stream_close_delay_ms;   /* of upgraded connections; 0: none */
};

/* the error handler: an error of this status whose message is the text */
struct lowered_static_error {
  int status;                  /* 500 when not given */
  struct lowered_text message;
};

struct lowered_vars {
  struct lowered_text *roots;  /* each `root` value, in order */
  size_t count;
  bool log_skip;               /* log_skip (skip_log in Caddy 2.6): this request gets no access log line */
};

/* authentication (basic_auth): the accounts packed for the basic_auth helper
 * (abi/helpers.h), and the realm the 401 names */
struct lowered_auth {
  const unsigned char *accounts;
  size_t len, count;
  const char *realm;           /* Caddy's default "restricted" when none is given */
};

struct lowered_request_body {
  long long max_size;          /* 0: no limit */
};

struct lowered_subroute {
  struct lowered_route *routes;
  size_t count;
  bool has_routes;
};

/* the headers handler: Caddy's order within one handler is add, set, delete */
/* one condition of a headers handler's `require` (Caddy's ResponseMatcher) */
struct lowered_require {
  enum lowered_require_kind { LOWERED_REQUIRE_ABSENT, LOWERED_REQUIRE_PRESENT, LOWERED_REQUIRE_STATUS } kind;
  const char *name;            /* the header field, or the status code (1-5: a class) as text */
  struct srcpos pos;
};

struct lowered_headers {
  bool has_response, deferred;
  struct lowered_require *require;   /* the response's `require`: all must hold (any one status) */
  size_t require_count, require_cap;
  struct lowered_field *add, *set;
  size_t add_count, set_count;
  const char **delete_names;
  struct srcpos *delete_pos;
  size_t delete_count;
  struct lowered_replace *replace;   /* reverse_proxy's header ops only */
  size_t replace_count;
  struct lowered_headers *request;   /* the headers handler's ops on the request itself, or NULL */
};

/* a user's eBPF program (the ebpf directive): built, verified and linked with
 * the site, its zs_handle renamed zs_plugin_<index in lowered_config.plugins> */
struct lowered_plugin {
  const char *path;            /* resolved against the folder of the Caddyfile naming it */
  const char *written;         /* as the Caddyfile wrote it */
  struct srcpos pos;
  bool object;                 /* a prebuilt eBPF object (.o), else C compiled like the site */
};

/* one ebpf handler: which program, and its arguments packed as the SDK reads
 * them (name NUL value NUL each; a positional one has an empty name) */
struct lowered_ebpf {
  unsigned plugin;
  const char *program;         /* the file as written */
  const char *args;
  size_t args_len;
  unsigned argc, positional;
};

/* encode: what the blob's encoder record carries (the default match is
 * Caddy's list of text content types, written out) */
struct lowered_encode {
  bool gzip, zstd, zstd_no_checksum;
  unsigned gzip_level, zstd_level, min_length;
  const char **prefer, **statuses, **headers;   /* headers: 'Name:v<pattern>', 'Name:a', 'Name:p' */
  size_t prefer_count, status_count, header_count;
};

struct lowered_handler {
  enum lowered_handler_kind kind;
  struct srcpos pos;           /* where its code comes from (#line) */
  struct srcpos origin;        /* the directive token, line 0 when none */
  const char *directive;       /* the directive as written there, or NULL */
  union {
    struct lowered_static_response respond;
    struct lowered_file_server file_server;
    struct lowered_reverse_proxy proxy;
    struct lowered_rewrite rewrite;
    struct lowered_vars vars;
    struct lowered_subroute subroute;
    struct lowered_headers headers;
    struct lowered_auth auth;
    struct lowered_request_body request_body;
    struct lowered_static_error error;
    struct lowered_encode encode;
    struct lowered_ebpf ebpf;
  } u;
};

struct lowered_route {
  struct srcpos pos;
  bool has_match;
  struct lowered_match *sets;
  size_t set_count;
  struct srcpos match_pos;
  const char *group;           /* NULL: in no group */
  bool match_error;            /* its one matcher is a file matcher that can raise an error (=404) */
  bool terminal;
  struct srcpos terminal_pos;
  struct lowered_handler *handlers;
  size_t handler_count;
};

/* a listen address: "[tcp/]host:port", the host without its IPv6 brackets */
struct lowered_listener {
  const char *host;            /* "" for every address */
  unsigned port;
};

/* one TLS connection policy of a TLS server: a tls_policy row */
struct lowered_tls_policy {
  struct srcpos pos;
  const char **sni, **tags, **alpn, **ciphers, **curves, **trust_files, **trust_pems;
  size_t sni_count, tag_count, alpn_count, cipher_count, curve_count, trust_file_count, trust_pem_count;
  bool sni_none;               /* match.sni has "": also a client that sends no SNI */
  bool has_trust;              /* a trust pool was given (Caddy's default mode then verifies) */
  const char *default_sni;     /* NULL: none */
  unsigned protocol_min, protocol_max;   /* 0, 12 or 13 */
  unsigned client_auth;        /* enum tls_client_auth: 0 none .. 4 require_and_verify */
};

/* a certificate zsrt loads or issues: a tls_cert row */
struct lowered_tls_cert {
  struct srcpos pos;
  const char *chain, *key;     /* files; a folder in chain; NULL for internal */
  const char **names, **tags;
  size_t name_count, tag_count;
  bool internal, folder, acme;
  unsigned key_type;           /* internal: enum zs_key_type (Caddy's key_type) */
  unsigned issuer, issuer_count;   /* acme: its rows of cfg->acme_issuers, primary first */
};

/* an ACME issuer (Caddy's acme module): an acme_issuer row */
struct lowered_acme_issuer {
  const char *ca;              /* directory URL; Let's Encrypt's when the config names none */
  const char *email;           /* NULL: none */
  const char **root_files;     /* trusted_roots_pem_files */
  size_t root_file_count;
  bool no_http01, no_tlsalpn01;
};

/* the TLS app's settings: the tls_app row */
struct lowered_tls_app {
  bool present;
  const char *storage;         /* file_system root, NULL: Caddy's default */
  const char *ca_name;         /* the local CA's name, NULL: Caddy's */
  unsigned leaf_lifetime;      /* seconds, 0: 12 h */
  unsigned renew_interval;     /* automation renew_interval, seconds; 0: 10 min */
  bool skip_install_trust;
};

/* the HTTP app's stop settings: the http_app row when either is set */
struct lowered_http_app {
  unsigned grace_ms;           /* grace_period; 0: until requests finish */
  unsigned shutdown_delay_ms;  /* shutdown_delay; 0: none */
};

/* a logger of the logging app: a logger row */
struct lowered_logger {
  const char *name;            /* its key in logging.logs */
  const char *path;            /* file output: the file name */
  unsigned output, format, level, mode;   /* enum zs_log_output, zs_log_format, zs_log_level; mode 0: 0600 */
  bool roll_off, roll_plain, roll_local_time;   /* roll false, roll_gzip false, roll_local_time */
  unsigned roll_size_mb, roll_keep, roll_keep_days;   /* as written (0: Caddy's default); after lowering, in effect */
  const char **include, **exclude;
  size_t include_count, exclude_count;
  /* the encoder's options, Caddy's defaults filled in (log_encoder.c) */
  const char *msg_key, *level_key, *time_key, *name_key, *line_ending, *time_layout;
  unsigned time_format, duration_format, level_format;   /* enum zs_log_time_format, ... */
  bool time_local;
};

/* one row of a server's access logging: an access_log row */
struct lowered_access_log {
  const char *host;            /* "": every host not named */
  const char *name;            /* "http.log.access.log0" */
  unsigned loggers;            /* bit i: cfg->loggers[i] takes that name */
  bool skip;
};

struct lowered_server {
  const char *name;            /* "srv0", as the IR names it */
  unsigned index;              /* in sorted name order */
  struct srcpos pos, server_pos;
  struct lowered_listener *listeners;
  size_t listener_count;
  bool tls, strict_sni;        /* ZS_SERVER_TLS, ZS_SERVER_STRICT_SNI */
  bool strict_sni_set;         /* strict_sni_host given: Caddy's default does not apply */
  unsigned read_header_ms, idle_ms;  /* timeouts read_header, idle; 0: zsrt's defaults */
  bool h2c, no_h2;             /* protocols: h2c listed; h2 left out */
  const char **trusted;        /* trusted_proxies static ranges, as written */
  size_t trusted_count;
  struct lowered_tls_policy *policies;
  size_t policy_count;
  struct lowered_access_log *access_logs;   /* none: the server logs no requests */
  size_t access_log_count;
  bool has_routes;
  struct lowered_route *routes;
  size_t route_count;
  bool has_errors;             /* errors.routes (handle_errors): the errors entry runs them */
  struct lowered_route *error_routes;
  size_t error_route_count;
};

struct lowered_config {
  struct lowered_server *servers;
  size_t server_count;
  struct lowered_tls_cert *certs;
  size_t cert_count, cert_cap;
  struct lowered_tls_app tls_app;
  struct lowered_http_app http_app;
  struct lowered_acme_issuer *acme_issuers;
  size_t acme_issuer_count, acme_issuer_cap;
  struct lowered_logger *loggers;   /* only when a server logs requests or logging is given */
  size_t logger_count;
  struct lowered_regex *regexes;
  size_t regex_count, regex_cap;
  const char **regex_names;         /* the names of path_regexp and header_regexp matchers */
  size_t regex_name_count, regex_name_cap;
  struct lowered_plugin *plugins;   /* the ebpf programs, each once */
  size_t plugin_count;
  const char **user_vars;      /* {vars.NAME} names the config reads: NAME i is ZS_VAR_USER_FIRST + i */
  size_t user_var_count;
};

/* Lowers the IR of `input` (the file it was read from: positions are read
 * back from it to name directives as written). Returns 0, or -1 after
 * reporting each construct zsc cannot compile at its file:line:col. */
int lower_run(struct arena *a, const struct json *ir, const char *input, struct lowered_config *out,
              struct diag *d);

/* `zsc --emit=lowered`: one line per server, route, match set, matcher and
 * handler, with its position */
void lower_dump(const struct lowered_config *cfg, struct strbuf *out);

/* a handler kind's name in handlers.def ("STATIC_RESPONSE") */
const char *lower_handler_name(enum lowered_handler_kind kind);

#endif
