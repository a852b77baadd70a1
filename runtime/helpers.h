/* The helper table guest code calls (abi/helpers.def) and the per-invocation
 * state the helpers work on: the decision under construction, the request and
 * its connection. exec.c fills the state and points ctx->host at it. */
#ifndef ZSRT_HELPERS_H
#define ZSRT_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "../abi/helpers.h"
#include "../abi/native.h"
#include "exec.h"
#include "file_match.h"
#include "http.h"

struct cage;
struct exec_auth;

/* helper calls take a poll per this many bytes they touch, on top of one */
#define HELPER_BYTES_PER_POLL 16

struct helper_state {
  struct cage *cage;
  struct exec_decision *dec;
  const struct http_request *req;
  const struct conn_info *conn;
  const char *hostport;        /* the Host as sent (with port) */
  size_t hostport_len;
  const char *path_raw;        /* the current escaped path (host memory) */
  size_t path_raw_len;
  const char *query;           /* raw query, without '?' */
  size_t query_len;
  const char *orig_uri;        /* path and query as sent */
  size_t orig_uri_len;
  uint32_t view_used;          /* bytes of the request region in use (exec.c) */
  uint64_t deadline_ms;        /* exec_clock_ms() past which a helper call traps */
  char value[EXEC_MAX_VALUE];  /* build buffer 1 */
  size_t value_len;
  struct file_match file;      /* the file matcher being evaluated (active 0: none) */
  struct exec_auth *auth;      /* auth.h: passwords verified before, the one to verify; NULL: none */
};

/* the state of the request a helper was called for */
struct helper_state *helper_state_of(struct zs_native_ctx *ctx);
/* the build buffer of a slot: its bytes, current length and capacity; -EINVAL for no such slot */
int helper_slot(struct helper_state *st, uint64_t slot, char **buf, size_t **len, size_t *cap);
/* copies bytes into the decision's storage; NULL when it is full */
char *helper_store(struct exec_decision *dec, const char *s, size_t n);

/* helpers_proxy.c: var_set of ZS_VAR_upstream_method or ZS_VAR_upstream_no_body
 * from build buffer buf (emptied): 0 or -errno */
int helper_proxy_var_set(struct helper_state *st, unsigned id, char *buf, size_t *len);

/* Takes one poll plus one per HELPER_BYTES_PER_POLL bytes, and traps the
 * request when the budget or its wall-clock deadline is spent. */
void helper_charge(struct zs_native_ctx *ctx, uint64_t bytes);

/* helpers in files of their own: helpers_plugin.c those of ebpf programs (ids 60..) */
#define ZS_PLUGIN_HELPER(name) \
  unsigned long long helper_##name(struct zs_native_ctx *ctx, unsigned long long r1, unsigned long long r2, \
                                   unsigned long long r3, unsigned long long r4, unsigned long long r5);
ZS_PLUGIN_HELPER(time_now)
ZS_PLUGIN_HELPER(random_bytes)
ZS_PLUGIN_HELPER(sha256)
ZS_PLUGIN_HELPER(hmac_sha256)
ZS_PLUGIN_HELPER(base64)
ZS_PLUGIN_HELPER(hex_encode)
ZS_PLUGIN_HELPER(json_get)
ZS_PLUGIN_HELPER(rate_limit_take)
/* helpers_fields.c: request fields by name or index */
ZS_PLUGIN_HELPER(buf_field)
#undef ZS_PLUGIN_HELPER

/* indexed by helper id; entry 0 and gaps trap as unknown helpers */
extern const zs_helper_fn helper_table[ZS_HELPER_COUNT];

/* Writes the value of request variable id into buf (at most cap bytes).
 * Returns its length, -ENOSPC when it does not fit, -EINVAL for an unknown id. */
long helper_var_value(const struct helper_state *st, unsigned id, char *buf, size_t cap);
/* helpers_fields.c: the path_file, path_dir, path_file_base, path_file_ext
 * (and orig_) variable of path p appended at *len; -ENOSPC when it does not fit */
int helper_put_path_part(const char *p, size_t n, unsigned id, char *buf, size_t cap, size_t *len);

/* Caddy's strip_path_prefix on an escaped path: the number of bytes of
 * path_raw the prefix covers (case-insensitively, escapes compared decoded),
 * or -1 when the path does not start with it; *decoded gets how many bytes of
 * the decoded path those are. */
long helper_prefix_match(const char *path_raw, size_t path_raw_len, const char *prefix,
                         size_t prefix_len, size_t *decoded);

/* Replaces the current escaped path (a rewrite): the view's path, path_lc
 * and path_raw and the decision's path follow it. 0, -EINVAL (bad escape) or
 * -E2BIG (the request region is full). exec.c */
int exec_path_replace(struct helper_state *st, const char *raw, size_t raw_len);

/* Replaces the raw query (a rewrite): the view's query and the query the
 * placeholders read follow it. 0 or -E2BIG. exec.c */
int exec_query_replace(struct helper_state *st, const char *query, size_t len);
/* lays the view's header list out again from st->req: 0 or -E2BIG */
int exec_headers_replace(struct helper_state *st);

/* 1 when the textual address (a zone is ignored, a v4-mapped v6 is v4) is in
 * one of the packed ranges (ZS_IP_RANGE_SIZE bytes each): remote_ip's test,
 * and reverse_proxy's trusted_proxies */
int helper_ip_in(const char *text, const unsigned char *ranges, size_t len);

#endif
