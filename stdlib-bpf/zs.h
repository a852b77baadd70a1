/* The eBPF-side prelude every generated program and stdlib-bpf include: the
 * request view, helper calls (declared from abi/helpers.def, kernel style, so
 * clang emits `call <id>`) and the matching library. Restricted C for
 * clang -target bpf only; no libc. */
#ifndef ZS_STDLIB_BPF_H
#define ZS_STDLIB_BPF_H

#include "request.h"
#include "helpers.h"
#include "cage.h"

/* A guest pointer from the request view, as a C pointer: in eBPF C the cage
 * offset is the address; the lifter adds the cage base on every access. */
#define ZS_PTR(x) ((const char *)(unsigned long)(x))

/* Helpers, one declaration per row of helpers.def, by argument count. All
 * arguments are 64-bit registers; pointers are passed as their cage offset. */
#define ZS_U64 unsigned long long
#define ZS_HELPER_PARAMS_1 ZS_U64
#define ZS_HELPER_PARAMS_2 ZS_U64, ZS_U64
#define ZS_HELPER_PARAMS_3 ZS_U64, ZS_U64, ZS_U64
#define ZS_HELPER_PARAMS_4 ZS_U64, ZS_U64, ZS_U64, ZS_U64
#define ZS_HELPER_PARAMS_5 ZS_U64, ZS_U64, ZS_U64, ZS_U64, ZS_U64
#define ZS_HELPER(id, name, args, doc) \
  static long long (*const zs_##name)(ZS_HELPER_PARAMS_##args) = (void *)(unsigned long)(id);
#include "helpers.def"
#undef ZS_HELPER

/* Readable forms of the helper calls generated code makes. `lit` must be a
 * string literal (sizeof gives its length, embedded NULs included). */
#define zs_lit(slot, lit)       zs_buf_lit((slot), (unsigned long)(lit), sizeof(lit) - 1)
#define zs_var(slot, var)       zs_buf_var((slot), (var))
#define zs_hdr(op, name)        zs_resp_header((op), (unsigned long)(name), sizeof(name) - 1)
#define zs_strip_prefix(lit)    zs_path_strip_prefix((unsigned long)(lit), sizeof(lit) - 1)
#define zs_strip_suffix(lit)    zs_path_strip_suffix((unsigned long)(lit), sizeof(lit) - 1)
#define zs_var_esc(slot, var, how) zs_buf_var_escaped((slot), (var), (how))
#define zs_replace(lit, limit)  zs_uri_replace((unsigned long)(lit), sizeof(lit) - 1, (limit))
#define zs_query_has(lit)       (zs_query_match((unsigned long)(lit), sizeof(lit) - 1) == 1)
#define zs_remote_ip_in(lit)    (zs_ip_match((unsigned long)(lit), sizeof(lit) - 1) == 1)
#define zs_auth_basic(lit)      zs_basic_auth((unsigned long)(lit), sizeof(lit) - 1)
#define zs_file_begin(policy, split) zs_file_begin((policy), (unsigned long)(split), sizeof(split) - 1)
#define ZS_RESPOND              ZS_ACTION(ZS_ACT_RESPOND, 0)
#define ZS_NEXT                 ZS_ACTION(ZS_ACT_NEXT, 0)

/* What an ebpf program's zs_handle is given (zs_plugin.h reads it): the
 * request view and the directive's arguments, packed as name NUL value NUL
 * (a positional argument has an empty name). Built on the caller's stack. */
struct zs_ctx {
  const struct zs_req *req;
  const char *args;
  unsigned args_len;
  unsigned argc;               /* arguments in args */
  unsigned positional;         /* the first `positional` of them have no name */
  unsigned vars_len;
  const char *vars;            /* the {vars.NAME} names the Caddyfile reads, each NUL-ended:
                                  name i is variable ZS_VAR_USER_FIRST + i */
};

#define zs_plugin_run(fn, rq, a, len, argc, positional, vars, vars_len) \
  ({ struct zs_ctx zs_c_ = {(rq), (a), (len), (argc), (positional), (vars_len), (vars)}; fn(&zs_c_); })
/* a program may go on or respond; any other value is no action at all, which
 * the runtime answers with a 500, as it does a trap */
#define ZS_NO_ACTION            ZS_ACTION(0xff, 0)
#define zs_plugin_action(r)     ((r) == (int)ZS_RESPOND ? ZS_RESPOND : ZS_NO_ACTION)

/* How a pattern compares with a string (zs_str_match). */
enum zs_str_kind {
  ZS_STR_EXACT = 0,
  ZS_STR_PREFIX = 1,
  ZS_STR_SUFFIX = 2,
  ZS_STR_CONTAINS = 3,
  ZS_STR_ANY = 4,
  ZS_STR_GLOB = 5,             /* Go's path.Match: * ? [class] \escape; * and ? never match '/' */
};

/* zs_path_match kinds: a zs_str_kind, plus this flag when the pattern holds
 * "//" (Caddy then keeps doubled slashes when it cleans the path) */
#define ZS_PATH_KEEP_SLASHES 0x100u

/* zs_header_match packs the value's kind into the top byte of its length */
#define ZS_LEN_KIND(len, kind) ((unsigned)(len) | ((unsigned)(kind) << 24))

/* strings.c */
int zs_bytes_eq(const char *a, const char *b, unsigned len);
int zs_str_match(const char *s, unsigned len, const char *pat, unsigned pat_len, unsigned kind);
int zs_glob_match(const char *pat, unsigned pat_len, const char *s, unsigned len);

/* path.c: Caddy's path matcher over the cleaned, lowercased request path */
unsigned zs_path_clean(const char *src, unsigned len, char *dst, int keep_slashes);
int zs_path_match(const struct zs_req *req, const char *pat, unsigned pat_len, unsigned kind);

/* request.c: host and header matchers */
int zs_host_labels_match(const char *host, unsigned len, const char *pat, unsigned pat_len);
int zs_header_has(const struct zs_req *req, const char *name_lc, unsigned name_len);
int zs_header_match(const struct zs_req *req, const char *name_lc, unsigned name_len,
                    const char *val, unsigned len_kind);

/* Matchers as generated code writes them (`lit`: a string literal) */
#define zs_path_is(req, lit, kind)  zs_path_match((req), (lit), sizeof(lit) - 1, (kind))
#define zs_method_is(req, lit) \
  zs_str_match(ZS_PTR((req)->method.ptr), (req)->method.len, (lit), sizeof(lit) - 1, ZS_STR_EXACT)
#define zs_host_is(req, lit) \
  zs_str_match(ZS_PTR((req)->host.ptr), (req)->host.len, (lit), sizeof(lit) - 1, ZS_STR_EXACT)
#define zs_host_wild(req, lit) \
  zs_host_labels_match(ZS_PTR((req)->host.ptr), (req)->host.len, (lit), sizeof(lit) - 1)
#define zs_header_present(req, lit) zs_header_has((req), (lit), sizeof(lit) - 1)
#define zs_header_is(req, name, val, kind) \
  zs_header_match((req), (name), sizeof(name) - 1, (val), ZS_LEN_KIND(sizeof(val) - 1, (kind)))

#endif
