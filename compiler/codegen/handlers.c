/* Lowered handlers to C, one codegen function per row of lower/handlers.def.
 * A handler that responds (static_response, file_server, reverse_proxy,
 * abort) returns its runtime action and ends the chain; the others change
 * request state and fall through. */
#include <string.h>

#include "cg.h"

/* every response leaves through here, so deferred header ops run first */
void cg_emit_return(struct cg *cg, struct srcpos pos, const char *action)
{
  if (cg->deferred_count > 0)
    emit_stmt(cg, pos, "zs_deferred_%s(deferred);", cg->entry);
  emit_stmt(cg, pos, "return %s;", action);
}

/* a string with placeholders into the value buffer, then `then` */
static void handler_build_value(struct cg *cg, const struct lowered_text *t, const char *then)
{
  ph_emit(cg, t->pos, t, "ZS_BUF_VALUE");
  emit_stmt(cg, t->pos, "%s", then);
}

/* static_response headers replace the field outright (w.Header()[f] = vals),
 * then the body and the status */
static void handler_respond_parts(struct cg *cg, const struct lowered_handler *h)
{
  const struct lowered_static_response *r = &h->u.respond;
  for (size_t i = 0; i < r->header_count; i++) {
    const struct lowered_field *f = &r->headers[i];
    const char *name = cg_cstr(cg, f->name, strlen(f->name));
    if (f->count == 0)
      emit_stmt(cg, f->pos, "zs_hdr(ZS_HDR_DELETE, %s);", name);
    for (size_t k = 0; k < f->count; k++)
      handler_build_value(cg, &f->values[k],
                          arena_printf(cg->a, "zs_hdr(%s, %s);", k ? "ZS_HDR_ADD" : "ZS_HDR_SET", name));
  }
  ph_emit(cg, r->body_pos, &r->body, "ZS_BUF_BODY");
  if (r->status_error) {
    cg->uses_var_num = true;
    emit_stmt(cg, h->pos, "zs_resp_status(zs_var_num(ZS_VAR_error_status_code));");
  } else {
    emit_stmt(cg, h->pos, "zs_resp_status(%d);", r->status > 0 ? r->status : 200);
  }
}

int cg_static_response(struct cg *cg, const struct lowered_handler *h)
{
  handler_respond_parts(cg, h);
  cg_emit_return(cg, h->pos, "ZS_RESPOND");
  return 1;
}

/* respond ... close: the same response; the runtime then closes */
int cg_respond_close(struct cg *cg, const struct lowered_handler *h)
{
  handler_respond_parts(cg, h);
  cg_emit_return(cg, h->pos, "ZS_ACTION(ZS_ACT_RESPOND_CLOSE, 0)");
  return 1;
}

/* abort: no response at all, so no deferred header ops either */
int cg_abort(struct cg *cg, const struct lowered_handler *h)
{
  emit_stmt(cg, h->pos, "return ZS_ACTION(ZS_ACT_ABORT, 0);");
  return 1;
}

/* error: the message into the body, the status, and the error action; an
 * error drops the deferred header ops (Caddy writes the error on the
 * response writer beneath their wrapper) */
int cg_static_error(struct cg *cg, const struct lowered_handler *h)
{
  const struct lowered_static_error *e = &h->u.error;
  ph_emit(cg, e->message.pos, &e->message, "ZS_BUF_BODY");
  emit_stmt(cg, h->pos, "zs_resp_status(%d);", e->status);
  emit_stmt(cg, h->pos, "return ZS_ACTION(ZS_ACT_ERROR, 0);");
  return 1;
}

int cg_file_server(struct cg *cg, const struct lowered_handler *h)
{
  unsigned id = config_file_server(cg, &h->u.file_server);
  if (h->u.file_server.has_root)
    handler_build_value(cg, &h->u.file_server.root, "zs_var_set(ZS_VAR_root, ZS_BUF_VALUE);");
  cg_emit_return(cg, h->pos, arena_printf(cg->a, "ZS_ACTION(ZS_ACT_FILE, %u)", id));
  return 1;
}

/* uri's query and path are both built from the request as it was, then set at once */
static void cg_rewrite_uri(struct cg *cg, const struct lowered_rewrite *r)
{
  if (r->uri_path || r->uri_query) {
    if (r->uri_query)
      ph_emit(cg, r->uri_pos, &r->query, "ZS_BUF_BODY");
    if (r->uri_path)
      ph_emit(cg, r->uri_pos, &r->path, "ZS_BUF_VALUE");
    emit_stmt(cg, r->uri_pos, "zs_uri_set(%s%s%s);", r->uri_path ? "ZS_URI_PATH" : "",
              r->uri_path && r->uri_query ? " | " : "",
              r->uri_own_query ? "ZS_URI_QUERY | ZS_URI_KEEP_QUERY" : r->uri_query ? "ZS_URI_QUERY" : "");
  }
}

/* reverse_proxy's rewrite, after the header ops (whose placeholders see the
 * request as it came, as Caddy's replacer does): the method first, which
 * notes the uri, then the uri; the runtime sends the result upstream only,
 * as the request's path is not read again once the program returned */
static void cg_proxy_rewrite(struct cg *cg, const struct lowered_proxy_rewrite *r)
{
  if (r->has_method) {
    ph_emit(cg, r->method_pos, &r->method, "ZS_BUF_VALUE");
    emit_stmt(cg, r->method_pos, "zs_var_set(ZS_VAR_upstream_method, ZS_BUF_VALUE);");
  }
  cg_rewrite_uri(cg, &r->uri);
  if (r->has_method && r->drops_body)
    emit_stmt(cg, r->method_pos, "zs_var_set(ZS_VAR_upstream_no_body, ZS_BUF_VALUE);");
}

/* header_up and header_down are computed with the request's placeholders
 * now; the runtime applies them to the upstream request and response */
int cg_reverse_proxy(struct cg *cg, const struct lowered_handler *h)
{
  unsigned id = config_proxy(cg, &h->u.proxy);
  const struct lowered_reverse_proxy *rp = &h->u.proxy;
  if (rp->up)
    cg_header_ops(cg, rp->up, " | ZS_HDR_UP", 0);
  if (rp->down)
    cg_header_ops(cg, rp->down, " | ZS_HDR_DOWN", rp->up ? (unsigned)rp->up->replace_count : 0);
  if (rp->rewrite)
    cg_proxy_rewrite(cg, rp->rewrite);
  cg_emit_return(cg, h->pos, arena_printf(cg->a, "ZS_ACTION(ZS_ACT_PROXY, %u)", id));
  return 1;
}

/* rewrite, in Caddy's order */
int cg_rewrite(struct cg *cg, const struct lowered_handler *h)
{
  const struct lowered_rewrite *r = &h->u.rewrite;
  cg_rewrite_uri(cg, r);
  if (r->strip_prefix)
    emit_stmt(cg, r->pos, "zs_strip_prefix(%s);", cg_cstr(cg, r->strip_prefix, strlen(r->strip_prefix)));
  if (r->strip_suffix)
    emit_stmt(cg, r->suffix_pos, "zs_strip_suffix(%s);", cg_cstr(cg, r->strip_suffix, strlen(r->strip_suffix)));
  for (size_t i = 0; i < r->sub_count; i++) {
    const struct lowered_substr *s = &r->subs[i];
    ph_emit(cg, s->pos, &s->replace, "ZS_BUF_VALUE");
    emit_stmt(cg, s->pos, "zs_replace(%s, %ld);", cg_cstr(cg, s->find, strlen(s->find)), s->limit > 0 ? s->limit : 0);
  }
  return 0;
}

/* vars: only the variables the runtime reads (root) */
int cg_vars(struct cg *cg, const struct lowered_handler *h)
{
  for (size_t i = 0; i < h->u.vars.count; i++)
    handler_build_value(cg, &h->u.vars.roots[i], "zs_var_set(ZS_VAR_root, ZS_BUF_VALUE);");
  if (h->u.vars.log_skip)
    emit_stmt(cg, h->pos, "zs_var_set(ZS_VAR_log_skip, ZS_BUF_VALUE);");
  return 0;
}

/* basic_auth: a password not yet verified sends the request off to be
 * verified (the program runs again with the answer); a failure is Caddy's
 * 401 error "not authenticated", its Www-Authenticate set on the response
 * first, so error routes answer it with that header (deferred ops drop) */
int cg_authentication(struct cg *cg, const struct lowered_handler *h)
{
  const struct lowered_auth *a = &h->u.auth;
  const char *realm = arena_printf(cg->a, "Basic realm=\"%s\"", a->realm);
  emit_stmt(cg, h->pos, "{");
  emit_stmt(cg, h->pos, "long long auth = zs_auth_basic(%s);", cg_cstr(cg, (const char *)a->accounts, a->len));
  emit_stmt(cg, h->pos, "if (auth == ZS_AUTH_PENDING) return ZS_ACTION(ZS_ACT_AUTH_WAIT, 0);");
  emit_stmt(cg, h->pos, "if (auth != ZS_AUTH_OK) {");
  emit_stmt(cg, h->pos, "zs_buf_reset(ZS_BUF_VALUE); zs_lit(ZS_BUF_VALUE, %s);", cg_cstr(cg, realm, strlen(realm)));
  emit_stmt(cg, h->pos, "zs_hdr(ZS_HDR_SET, \"Www-Authenticate\");");
  emit_stmt(cg, h->pos, "zs_buf_reset(ZS_BUF_BODY); zs_lit(ZS_BUF_BODY, \"not authenticated\");");
  emit_stmt(cg, h->pos, "zs_resp_status(401); return ZS_ACTION(ZS_ACT_ERROR, 0);");
  emit_stmt(cg, h->pos, "}");
  emit_stmt(cg, h->pos, "}");
  return 0;
}

/* request_body max_size: only a handler that reads the body (reverse_proxy) is limited */
int cg_request_body(struct cg *cg, const struct lowered_handler *h)
{
  if (h->u.request_body.max_size > 0)
    emit_stmt(cg, h->pos, "zs_body_limit(%lldLL);", h->u.request_body.max_size);
  return 0;
}

/* encode wraps the response writer: the runtime encodes whatever answer
 * the chain produces after it */
int cg_encode(struct cg *cg, const struct lowered_handler *h)
{
  emit_stmt(cg, h->pos, "zs_encode(%u);", config_encoder(cg, &h->u.encode));
  return 0;
}

/* ebpf: the program's zs_handle (linked as zs_plugin_N) gets a context on
 * this frame; ZS_NEXT goes on, a response is returned, and any other value
 * (a plugin may not name the site's file or proxy records) is no action,
 * which the runtime answers with a 500 as it answers a trap */
int cg_ebpf(struct cg *cg, const struct lowered_handler *h)
{
  const struct lowered_ebpf *e = &h->u.ebpf;
  cg->uses_req = cg->uses_plugin = true;
  emit_stmt(cg, h->pos, "if ((plugin = zs_plugin_run(zs_plugin_%u, req, %s, %zu, %u, %u, zs_user_vars, %zu)) != ZS_NEXT) {",
            e->plugin, cg_cstr(cg, e->args, e->args_len), e->args_len, e->argc, e->positional, cg->user_vars_len);
  cg->indent++;
  cg_emit_return(cg, h->pos, "zs_plugin_action(plugin)");
  cg->indent--;
  emit_plain(cg, "}");
  return 0;
}

int cg_subroute(struct cg *cg, const struct lowered_handler *h)
{
  return h->u.subroute.has_routes ? routes_emit(cg, h->u.subroute.routes, h->u.subroute.count) : 0;
}

static int (*const handler_fns[])(struct cg *, const struct lowered_handler *) = {
#define LOWER_HANDLER(kind, module, directive, lower_fn, codegen_fn, action) [LOWERED_##kind] = codegen_fn,
#include "lower/handlers.def"
#undef LOWER_HANDLER
};

int handler_emit(struct cg *cg, const struct lowered_handler *h)
{
  return handler_fns[h->kind](cg, h);
}
