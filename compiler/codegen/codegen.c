/* codegen_run: the lowered HTTP servers, in sorted name order, each to one
 * entry function `zs_entry_srvN` (plus its deferred header function), after
 * a prelude including zs.h. Lowering has refused what zsc cannot compile. */
#include <string.h>

#include "cg.h"

/* the deferred header function: each flagged handler's ops, in order */
static void codegen_deferred_fn(struct cg *cg, struct strbuf *src)
{
  strbuf_printf(src, "static __attribute__((noinline)) void zs_deferred_%s(unsigned long long deferred)\n{\n",
                cg->entry);
  for (size_t i = 0; i < cg->deferred_count; i++) {
    strbuf_printf(src, "\tif (deferred & (1ull << %zu)) {\n", i);
    strbuf_puts(src, cg->deferred[i]);
    strbuf_puts(src, "\t}\n");
  }
  strbuf_puts(src, "}\n\n");
}

static void codegen_entry_head(struct cg *cg, struct strbuf *src, struct srcpos pos, bool empty)
{
  cg->out = src;
  cg->line = 0;
  cg->indent = 0;
  emit_stmt(cg, pos, "unsigned long long zs_entry_%s(const struct zs_req *req)", cg->entry);
  emit_plain(cg, "{");
  cg->indent = 1;
  if (cg->deferred_count > 0)
    emit_stmt(cg, pos, "unsigned long long deferred = 0;  /* deferred header handlers that ran */");
  if (cg->group_count > 0)
    emit_stmt(cg, pos, "unsigned long long groups = 0;    /* route groups already taken */");
  if (cg->uses_plugin)
    emit_stmt(cg, pos, "int plugin;                       /* what an ebpf program returned */");
  if (empty)
    emit_stmt(cg, pos, "(void)req;");
  emit_flush(cg);
}

/* one entry (zs_entry_NAME) running a route list; NEXT when none responds */
static void codegen_entry(struct cg *cg, const char *name, const struct lowered_server *s,
                          const struct lowered_route *routes, size_t count, struct strbuf *src)
{
  cg->entry = name;
  cg->group_count = cg->deferred_count = 0;
  cg->uses_req = cg->uses_plugin = false;
  struct strbuf body;
  strbuf_init(&body, cg->a);
  cg->out = &body;
  cg->line = 0;
  cg->indent = 1;
  int always = routes ? routes_emit(cg, routes, count) : 0;
  if (!always)
    cg_emit_return(cg, s->pos, "ZS_NEXT");
  emit_flush(cg);
  if (cg->deferred_count > 0)
    codegen_deferred_fn(cg, src);
  codegen_entry_head(cg, src, s->pos, !cg->uses_req);
  strbuf_puts(src, strbuf_cstr(&body));
  strbuf_puts(src, "}\n\n");
}

/* the server's entry, then its errors entry (handle_errors) when it has one */
static void codegen_server(struct cg *cg, const struct lowered_server *s, struct strbuf *src)
{
  config_server(cg, s);
  strbuf_printf(src, "/* server %s */\n", s->name);
  codegen_entry(cg, arena_printf(cg->a, "srv%u", s->index), s, s->has_routes ? s->routes : NULL, s->route_count,
                src);
  if (!s->has_errors)
    return;
  strbuf_printf(src, "/* server %s: errors */\n", s->name);
  codegen_entry(cg, arena_printf(cg->a, "srv%u_errors", s->index), s, s->error_routes, s->error_route_count, src);
}

/* Caddy's protocol matcher on the HTTP version (r.ProtoMajor, r.ProtoMinor,
 * ProtoAtLeast), read from http.request.proto ("HTTP/2.0") */
static const char codegen_proto_fn[] =
  "enum { ZS_PROTO_EXACT, ZS_PROTO_MAJOR, ZS_PROTO_AT_LEAST };\n"
  "static __attribute__((noinline)) int zs_proto_at(unsigned major, unsigned minor, int how)\n{\n"
  "\tchar p[8];\n"
  "\tif (zs_var_read(ZS_VAR_proto, (unsigned long)p, sizeof p, 0) != 8)\n\t\treturn 0;\n"
  "\tunsigned ma = (unsigned)(p[5] - '0'), mi = (unsigned)(p[7] - '0');\n"
  "\tif (how == ZS_PROTO_AT_LEAST)\n\t\treturn ma > major || (ma == major && mi >= minor);\n"
  "\treturn ma == major && (how == ZS_PROTO_MAJOR || mi == minor);\n}\n\n";

/* protocol grpc: Header.Get("Content-Type"), the first such field, starts
 * with application/grpc */
static const char codegen_grpc_fn[] =
  "static __attribute__((noinline)) int zs_content_type_grpc(const struct zs_req *req)\n{\n"
  "\tconst struct zs_req_header *h = (const struct zs_req_header *)ZS_PTR(req->headers);\n"
  "\tfor (unsigned i = 0; i < req->header_count; i++)\n"
  "\t\tif (h[i].name_lc.len == 12 && zs_bytes_eq(ZS_PTR(h[i].name_lc.ptr), \"content-type\", 12))\n"
  "\t\t\treturn zs_str_match(ZS_PTR(h[i].value.ptr), h[i].value.len, \"application/grpc\", 16, ZS_STR_PREFIX);\n"
  "\treturn 0;\n}\n\n";

/* the expression matcher's placeholders: a number (Caddy's one int
 * placeholder, {http.error.status_code}), -1 when the value is not one */
static const char codegen_var_num_fn[] =
  "static __attribute__((noinline)) long long zs_var_num(unsigned id)\n{\n"
  "\tchar b[12];\n"
  "\tlong long n = zs_var_read(id, (unsigned long)b, sizeof b, 0), v = 0;\n"
  "\tif (n <= 0 || n > 10)\n\t\treturn -1;\n"
  "\tfor (long long i = 0; i < n; i++) {\n"
  "\t\tif (b[i] < '0' || b[i] > '9')\n\t\t\treturn -1;\n"
  "\t\tv = v * 10 + (b[i] - '0');\n\t}\n"
  "\treturn v;\n}\n\n";

/* ... or a string equal to lit (at most 128 bytes: lowering refused longer) */
static const char codegen_var_eq_fn[] =
  "static __attribute__((noinline)) int zs_var_eq(unsigned id, const char *lit, unsigned len)\n{\n"
  "\tchar b[128];\n"
  "\tif (len > sizeof b || zs_var_len(id) != (long long)len)\n\t\treturn 0;\n"
  "\tif (len && zs_var_read(id, (unsigned long)b, len, 0) != (long long)len)\n\t\treturn 0;\n"
  "\treturn zs_bytes_eq(b, lit, len);\n}\n\n";

int codegen_run(struct arena *a, const struct lowered_config *cfg, struct codegen_output *out, struct diag *d)
{
  memset(out, 0, sizeof *out);
  struct cg cg = {.a = a, .d = d, .config = &out->config};
  strbuf_init(&cg.discard, a);
  strbuf_init(&cg.fns, a);
  struct strbuf src;
  strbuf_init(&src, a);
  strbuf_puts(&src, "/* eBPF C generated by zsc: one entry per HTTP server. */\n#include \"zs.h\"\n\n");
  int errors = d->errors;
  struct strbuf names;   /* the names programs may set, in the order lowering numbered them */
  strbuf_init(&names, a);
  for (size_t i = 0; i < cfg->user_var_count; i++)
    strbuf_put(&names, cfg->user_vars[i], strlen(cfg->user_vars[i]) + 1);
  cg.user_vars_len = names.len;
  struct strbuf servers;
  strbuf_init(&servers, a);
  for (size_t i = 0; i < cfg->server_count; i++)
    codegen_server(&cg, &cfg->servers[i], &servers);
  if (cfg->plugin_count > 0)
    strbuf_printf(&src, "static const char zs_user_vars[] = %s;   /* {vars.NAME} names, in id order */\n",
                  cg_cstr(&cg, strbuf_cstr(&names), names.len));
  for (size_t i = 0; i < cfg->plugin_count; i++)
    strbuf_printf(&src, "int zs_plugin_%zu(struct zs_ctx *ctx);   /* an ebpf program's zs_handle */\n%s", i,
                  i + 1 == cfg->plugin_count ? "\n" : "");
  strbuf_puts(&src, cg.uses_proto ? codegen_proto_fn : "");
  strbuf_puts(&src, cg.uses_grpc ? codegen_grpc_fn : "");
  strbuf_puts(&src, cg.uses_var_num ? codegen_var_num_fn : "");
  strbuf_puts(&src, cg.uses_var_eq ? codegen_var_eq_fn : "");
  strbuf_puts(&src, strbuf_cstr(&cg.fns));
  strbuf_puts(&src, strbuf_cstr(&servers));
  config_tls(&cg, cfg);
  config_loggers(&cg, cfg);
  config_regexes(&cg, cfg);
  out->c_source = emit_line_sources(a, strbuf_cstr(&src), CODEGEN_SOURCE_NAME);
  return d->errors > errors ? -1 : 0;
}
