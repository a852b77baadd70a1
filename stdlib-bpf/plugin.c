/* The SDK functions of ebpf programs (zs_plugin.h) that are eBPF code rather
 * than helper calls: arguments, request fields and headers read from the
 * view, and responses built through the helpers. Linked only when reached. */
#include "zs_plugin.h"

__attribute__((noinline)) unsigned zs_strlen(const char *s, unsigned max)
{
  unsigned n = 0;
  while (n < max && s[n])
    n++;
  return n;
}

/* copies len bytes to buf, at most cap; returns len */
static int zs_copy_out(const char *src, unsigned len, char *buf, unsigned cap)
{
  unsigned n = len < cap ? len : cap;
  for (unsigned i = 0; i < n; i++)
    buf[i] = src[i];
  return (int)len;
}

static int zs_lower(int ch)
{
  return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* the packed argument at index i (name NUL value NUL each), or -1 */
static int zs_arg_at(const struct zs_ctx *ctx, unsigned i, const char *name, char *buf, unsigned cap)
{
  unsigned at = 0, name_len = name ? zs_strlen(name, 4096) : 0;
  for (unsigned k = 0; k < ctx->argc && at < ctx->args_len; k++) {
    const char *n = ctx->args + at;
    unsigned nl = zs_strlen(n, ctx->args_len - at);
    const char *v = n + nl + 1;
    unsigned vl = zs_strlen(v, ctx->args_len - at - nl - 1);
    if (name ? k >= ctx->positional && nl == name_len && zs_bytes_eq(n, name, nl) : k == i)
      return zs_copy_out(v, vl, buf, cap);
    at += nl + vl + 2;
  }
  return -1;
}

__attribute__((noinline)) int zs_arg(const struct zs_ctx *ctx, unsigned i, char *buf, unsigned cap)
{
  return i < ctx->positional ? zs_arg_at(ctx, i, 0, buf, cap) : -1;
}

__attribute__((noinline)) int zs_arg_named(const struct zs_ctx *ctx, const char *name, char *buf, unsigned cap)
{
  return zs_arg_at(ctx, 0, name, buf, cap);
}

__attribute__((noinline)) int zs_req_header(const struct zs_ctx *ctx, const char *name, char *buf, unsigned cap)
{
  const struct zs_req *req = ctx->req;
  const struct zs_req_header *h = (const struct zs_req_header *)(unsigned long)req->headers;
  unsigned len = zs_strlen(name, 256);
  for (unsigned i = 0; i < req->header_count; i++) {
    if (h[i].name_lc.len != len)
      continue;
    const char *n = ZS_PTR(h[i].name_lc.ptr);
    unsigned k = 0;
    while (k < len && n[k] == zs_lower(name[k]))
      k++;
    if (k == len)
      return zs_copy_out(ZS_PTR(h[i].value.ptr), h[i].value.len, buf, cap);
  }
  return -1;
}

__attribute__((noinline)) int zs_method(const struct zs_ctx *ctx, char *buf, unsigned cap)
{
  return zs_copy_out(ZS_PTR(ctx->req->method.ptr), ctx->req->method.len, buf, cap);
}

__attribute__((noinline)) int zs_path(const struct zs_ctx *ctx, char *buf, unsigned cap)
{
  return zs_copy_out(ZS_PTR(ctx->req->path.ptr), ctx->req->path.len, buf, cap);
}

__attribute__((noinline)) int zs_query(const struct zs_ctx *ctx, char *buf, unsigned cap)
{
  return zs_copy_out(ZS_PTR(ctx->req->query.ptr), ctx->req->query.len, buf, cap);
}

__attribute__((noinline)) int zs_host(const struct zs_ctx *ctx, char *buf, unsigned cap)
{
  return zs_copy_out(ZS_PTR(ctx->req->host.ptr), ctx->req->host.len, buf, cap);
}

__attribute__((noinline)) int zs_placeholder(const struct zs_ctx *ctx, unsigned var, char *buf, unsigned cap)
{
  (void)ctx;
  long long n = zs_var_len(var);
  if (n < 0)
    return (int)n;
  if (zs_var_read(var, (unsigned long)buf, n < cap ? (unsigned)n : cap, 0) < 0)
    zs_trap();
  return (int)n;
}

__attribute__((noinline)) int zs_respond(struct zs_ctx *ctx, int status, const void *body, unsigned len)
{
  (void)ctx;
  zs_buf_reset(ZS_BUF_BODY);
  if (len && zs_buf_lit(ZS_BUF_BODY, (unsigned long)body, len) == -14 /* EFAULT */)
    zs_trap();
  if (zs_resp_status(status) < 0)
    zs_trap();
  return (int)ZS_RESPOND;
}

__attribute__((noinline)) int zs_header_op(unsigned op, const char *name, unsigned name_len,
                                           const char *value, unsigned value_len)
{
  zs_buf_reset(ZS_BUF_VALUE);
  long long rc = value_len ? zs_buf_lit(ZS_BUF_VALUE, (unsigned long)value, value_len) : 0;
  if (rc == 0)
    rc = zs_resp_header(op, (unsigned long)name, name_len);
  if (rc == -14 /* EFAULT */)
    zs_trap();
  return rc < 0 ? -1 : 0;
}

__attribute__((noinline)) int zs_resp_header_set(struct zs_ctx *ctx, const char *name, const char *value)
{
  (void)ctx;
  return zs_header_op(ZS_HDR_SET, name, zs_strlen(name, 256), value, zs_strlen(value, 16384));
}

__attribute__((noinline)) int zs_resp_header_add(struct zs_ctx *ctx, const char *name, const char *value)
{
  (void)ctx;
  return zs_header_op(ZS_HDR_ADD, name, zs_strlen(name, 256), value, zs_strlen(value, 16384));
}

__attribute__((noinline)) int zs_upstream_header_set(struct zs_ctx *ctx, const char *name, const char *value)
{
  (void)ctx;
  return zs_header_op(ZS_HDR_SET | ZS_HDR_UP, name, zs_strlen(name, 256), value, zs_strlen(value, 16384));
}

/* the id of the user variable called name, or -1 */
static int zs_user_var_id(const struct zs_ctx *ctx, const char *name)
{
  unsigned len = zs_strlen(name, 256), at = 0;
  for (int i = 0; i < ZS_VAR_USER_COUNT && at < ctx->vars_len; i++) {
    unsigned n = zs_strlen(ctx->vars + at, ctx->vars_len - at);
    if (n == len && zs_bytes_eq(ctx->vars + at, name, n))
      return ZS_VAR_USER_FIRST + i;
    at += n + 1;
  }
  return -1;
}

__attribute__((noinline)) int zs_vars_set(struct zs_ctx *ctx, const char *name, const char *value, unsigned len)
{
  int id = zs_user_var_id(ctx, name);
  if (id < 0)
    return -1;
  zs_buf_reset(ZS_BUF_VALUE);
  if ((len && zs_buf_lit(ZS_BUF_VALUE, (unsigned long)value, len) == -14 /* EFAULT */))
    zs_trap();
  return zs_var_set(id, ZS_BUF_VALUE) < 0 ? -1 : 0;
}

__attribute__((noinline)) int zs_vars_get(const struct zs_ctx *ctx, const char *name, char *buf, unsigned cap)
{
  int id = zs_user_var_id(ctx, name);
  return id < 0 ? -1 : zs_placeholder(ctx, (unsigned)id, buf, cap);
}
