/* codegen_run: the IR's HTTP servers, in sorted name order, each to one
 * entry function `zs_entry_srvN` (plus its deferred header function), after
 * a prelude including zs.h; everything else in the IR is checked and
 * refused when zsc cannot honour it. */
#include <stdlib.h>
#include <string.h>

#include "cg.h"

static int codegen_cmp_names(const void *x, const void *y)
{
  return strcmp(((const struct json_member *)x)->key, ((const struct json_member *)y)->key);
}

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
  if (empty)
    emit_stmt(cg, pos, "(void)req;");
  emit_flush(cg);
}

static int codegen_server(struct cg *cg, const struct json *http, const struct json_member *m, unsigned index,
                          struct strbuf *src)
{
  const struct json *srv = m->value;
  if (srv->kind != JSON_OBJECT) {
    cg_refuse(cg, srv, "server '%s' that is not an object", m->key);
    return -1;
  }
  cg->pos = srv->pos;
  cg->server_pos = cg_pos(cg, srv);   /* refusals of what has no position of its own */
  int bad = config_server(cg, http, m->key, srv, index);
  cg->entry = arena_printf(cg->a, "srv%u", index);
  cg->group_count = cg->deferred_count = 0;
  cg->uses_req = false;
  struct strbuf body;
  strbuf_init(&body, cg->a);
  cg->out = &body;
  cg->line = 0;
  cg->indent = 1;
  const struct json *routes = json_object_get(srv, "routes");
  int always = routes ? routes_emit(cg, routes) : 0;
  if (!always)
    cg_emit_return(cg, srv->pos, "ZS_NEXT");
  emit_flush(cg);
  strbuf_printf(src, "/* server %s */\n", m->key);
  if (cg->deferred_count > 0)
    codegen_deferred_fn(cg, src);
  codegen_entry_head(cg, src, srv->pos, !cg->uses_req);
  strbuf_puts(src, strbuf_cstr(&body));
  strbuf_puts(src, "}\n\n");
  return bad;
}

static int codegen_http(struct cg *cg, const struct json *http, struct strbuf *src)
{
  static const char *const keys[] = {"servers", "http_port", "https_port", NULL};
  int bad = cg_check_keys(cg, http, keys, "http app");
  const struct json *servers = json_object_get(http, "servers");
  if (!servers)
    return bad;
  if (servers->kind != JSON_OBJECT) {
    cg_refuse(cg, servers, "servers that are not an object");
    return -1;
  }
  struct json_member *sorted = arena_alloc(cg->a, (servers->count + 1) * sizeof *sorted);
  memcpy(sorted, servers->members, servers->count * sizeof *sorted);
  qsort(sorted, servers->count, sizeof *sorted, codegen_cmp_names);
  for (size_t i = 0; i < servers->count; i++)
    bad |= codegen_server(cg, http, &sorted[i], (unsigned)i, src);
  return bad;
}

/* top level: apps.http is what we compile; admin is zsrt's business (it
 * has no admin endpoint), so only a disabled admin is accepted silently */
static int codegen_top(struct cg *cg, const struct json *ir, struct strbuf *src)
{
  static const char *const keys[] = {"apps", "admin", NULL};
  if (ir->kind != JSON_OBJECT) {
    cg_refuse(cg, ir, "a config that is not a JSON object");
    return -1;
  }
  int bad = cg_check_keys(cg, ir, keys, "config");
  const struct json *admin = json_object_get(ir, "admin");
  const struct json *disabled = admin ? json_object_get(admin, "disabled") : NULL;
  if (admin && !(disabled && disabled->kind == JSON_BOOL && disabled->boolean))
    diag_warning(cg->d, cg_pos(cg, admin), "zsrt has no admin endpoint: 'admin' is ignored");
  const struct json *apps = json_object_get(ir, "apps");
  if (!apps)
    return bad;
  if (apps->kind != JSON_OBJECT)
    return cg_refuse(cg, apps, "apps that are not an object"), -1;
  for (size_t i = 0; i < apps->count; i++)
    if (strcmp(apps->members[i].key, "http") != 0) {
      cg_refuse(cg, apps->members[i].value, "app '%s'", apps->members[i].key);
      bad = -1;
    }
  const struct json *http = json_object_get(apps, "http");
  if (http && http->kind == JSON_OBJECT)
    bad |= codegen_http(cg, http, src);
  return bad;
}

int codegen_run(struct arena *a, const struct json *ir, struct codegen_output *out, struct diag *d)
{
  memset(out, 0, sizeof *out);
  struct cg cg = {.a = a, .d = d, .config = &out->config};
  strbuf_init(&cg.discard, a);
  struct strbuf src;
  strbuf_init(&src, a);
  strbuf_puts(&src, "/* eBPF C generated by zsc: one entry per HTTP server. */\n#include \"zs.h\"\n\n");
  int errors = d->errors;
  int bad = codegen_top(&cg, ir, &src);
  out->c_source = emit_line_sources(a, strbuf_cstr(&src), CODEGEN_SOURCE_NAME);
  return bad || d->errors > errors ? -1 : 0;
}
