/* zs_plugin.h: the SDK of ebpf programs, request logic in C that a Caddyfile
 * runs with `ebpf [<matcher>] prog.c [<args>...]` (docs/plugins.md). zsc
 * compiles the program with clang -target bpf, links it beside the site's
 * generated code and stdlib-bpf, verifies and lifts it into the same cage.
 *
 * The program defines
 *     int zs_handle(struct zs_ctx *ctx)
 * and returns ZS_NEXT (the next handler runs) or what zs_respond returns.
 * No writable globals: state lives on the stack (512 bytes a frame), in the
 * request's heap (ZS_HEAP, 1 MiB, cleared after every request), or in the
 * rate limiter. Every pointer given to a helper is checked against the cage;
 * a bad one, like any fault, ends the request with a 500 and a log line. */
#ifndef ZS_PLUGIN_H
#define ZS_PLUGIN_H

#include "zs.h"

int zs_handle(struct zs_ctx *ctx);

/* the request's scratch memory: ZS_HEAP_SIZE writable bytes */
#define ZS_HEAP      ((char *)(unsigned long)ZS_CAGE_HEAP_OFF)
#define ZS_HEAP_SIZE ZS_CAGE_HEAP_SIZE

/* ends the request with a 500 (a store to the cage's unmapped first page) */
#define zs_trap()    (*(volatile char *)(unsigned long)8 = 0)

/* ---- stdlib-bpf/plugin.c ---- */

/* bytes before the first NUL, at most max */
unsigned zs_strlen(const char *s, unsigned max);
/* the i-th positional argument, or the argument called name (block form),
 * copied into buf (at most cap bytes): its length, or -1 when there is none */
int zs_arg(const struct zs_ctx *ctx, unsigned i, char *buf, unsigned cap);
int zs_arg_named(const struct zs_ctx *ctx, const char *name, char *buf, unsigned cap);
/* the first request header field called name (any case): its value's length
 * (copied up to cap bytes into buf), or -1 when the request has none */
int zs_req_header(const struct zs_ctx *ctx, const char *name, char *buf, unsigned cap);
/* the request line's parts, and the host without port (lowercase), copied as
 * zs_req_header copies; the path is percent-decoded, the query without '?' */
int zs_method(const struct zs_ctx *ctx, char *buf, unsigned cap);
int zs_path(const struct zs_ctx *ctx, char *buf, unsigned cap);
int zs_query(const struct zs_ctx *ctx, char *buf, unsigned cap);
int zs_host(const struct zs_ctx *ctx, char *buf, unsigned cap);
/* a placeholder by its ZS_VAR_ id (vars.def: ZS_VAR_remote_host, ZS_VAR_uri, ...):
 * its length, copied up to cap bytes, or a negative errno */
int zs_placeholder(const struct zs_ctx *ctx, unsigned var, char *buf, unsigned cap);
/* variables shared with the Caddyfile: a value set here is what {vars.NAME}
 * (or {http.vars.NAME}) gives in the handlers after this one; only names the
 * Caddyfile reads can be set (at most 16 a config). zs_vars_set: 0, or -1
 * when no placeholder of the Caddyfile reads name; zs_vars_get: the value's
 * length (copied up to cap bytes), or -1 */
int zs_vars_set(struct zs_ctx *ctx, const char *name, const char *value, unsigned len);
int zs_vars_get(const struct zs_ctx *ctx, const char *name, char *buf, unsigned cap);
/* the client's IP address as text */
#define zs_remote_ip(ctx, buf, cap) zs_placeholder((ctx), ZS_VAR_remote_host, (buf), (cap))

/* Ends the handler chain with this response (headers set before stay). */
int zs_respond(struct zs_ctx *ctx, int status, const void *body, unsigned len);
/* Sets (replaces) or adds a response header; sets a header of the request
 * that reverse_proxy sends upstream (as header_up does). 0 or -1. */
int zs_resp_header_set(struct zs_ctx *ctx, const char *name, const char *value);
int zs_resp_header_add(struct zs_ctx *ctx, const char *name, const char *value);
int zs_upstream_header_set(struct zs_ctx *ctx, const char *name, const char *value);
/* the same with lengths: op is ZS_HDR_SET, ZS_HDR_ADD or ZS_HDR_DELETE, with
 * ZS_HDR_UP for the upstream request (no context: eBPF calls take five arguments) */
int zs_header_op(unsigned op, const char *name, unsigned name_len, const char *value,
                 unsigned value_len);

/* appends n bytes of s to dst at *at when they fit in cap; 0, or -1 (nothing appended) */
static inline int zs_put(char *dst, unsigned *at, unsigned cap, const char *s, unsigned n)
{
  if (n > cap - *at || *at > cap)
    return -1;
  for (unsigned i = 0; i < n; i++)
    dst[*at + i] = s[i];
  *at += n;
  return 0;
}
#define zs_put_str(dst, at, cap, s) zs_put((dst), (at), (cap), (s), zs_strlen((s), 65536))
#define zs_put_lit(dst, at, cap, lit) zs_put((dst), (at), (cap), (lit), sizeof(lit) - 1)

/* ---- helpers (abi/helpers.def) ---- */

#define zs_now_s()       ((unsigned long long)zs_time_now(ZS_TIME_UNIX_S))
#define zs_now_ms()      ((unsigned long long)zs_time_now(ZS_TIME_UNIX_MS))
#define zs_monotonic_ms() ((unsigned long long)zs_time_now(ZS_TIME_MONO_MS))
#define zs_random(dst, len) zs_random_bytes((unsigned long)(dst), (len))
/* digests into 32 bytes at dst; 32 */
#define zs_sha256_of(src, len, dst) zs_sha256((unsigned long)(src), (len), (unsigned long)(dst))
#define zs_hmac_sha256_of(key, klen, msg, mlen, dst) \
  zs_hmac_sha256((unsigned long)(key), (klen), (unsigned long)(msg), (mlen), (unsigned long)(dst))
/* encodings: the length written, or a negative errno */
#define zs_base64_encode(src, len, dst, cap) zs_base64(ZS_B64_ENCODE, (unsigned long)(src), (len), (unsigned long)(dst), (cap))
#define zs_base64url_encode(src, len, dst, cap) zs_base64(ZS_B64_ENCODE_URL, (unsigned long)(src), (len), (unsigned long)(dst), (cap))
#define zs_base64_decode(src, len, dst, cap) zs_base64(ZS_B64_DECODE, (unsigned long)(src), (len), (unsigned long)(dst), (cap))
#define zs_base64url_decode(src, len, dst, cap) zs_base64(ZS_B64_DECODE_URL, (unsigned long)(src), (len), (unsigned long)(dst), (cap))
#define zs_hex(src, len, dst, cap) zs_hex_encode((unsigned long)(src), (len), (unsigned long)(dst), (cap))
/* the value at a dotted path ("user.roles.0") of a JSON document: a string
 * unescaped, anything else as written; its length, -ENOENT when absent */
#define zs_json(doc, len, path, path_len, dst, cap) \
  zs_json_get((unsigned long)(doc), (len), (unsigned long)(path), (path_len), \
              (unsigned long)(dst) | ((unsigned long long)(cap) << 32))
/* 1 when the bucket of key (per worker, kept across reloads, shared by every
 * program of the worker: prefix keys to keep them apart) has a token, which
 * it takes: `per_second` tokens a second, at most `burst` saved */
#define zs_rate_limit(key, len, per_second, burst) \
  zs_rate_limit_take((unsigned long)(key), (len), (unsigned long long)(per_second) * 1000u, (burst))

#endif
