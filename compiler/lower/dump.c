/* `zsc --emit=lowered`: the lowered records as text, one line per server,
 * route, match set, matcher and handler, each with its position, indented by
 * nesting. Stable: it is also the golden format of this stage. */
#include <arpa/inet.h>
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

static const char *const lower_dump_actions[] = {
#define LOWER_HANDLER(kind, module, directive, lower_fn, codegen_fn, action) #action,
#include "handlers.def"
#undef LOWER_HANDLER
};

static const char *const lower_dump_matchers[] = {
#define LOWER_MATCHER(kind, module, caddyfile, lower_fn, codegen_fn) module,
#include "matchers.def"
#undef LOWER_MATCHER
};

static const char *const lower_dump_ops[] = {
  [LOWERED_STR_ANY] = "any", [LOWERED_STR_EXACT] = "exact", [LOWERED_STR_PREFIX] = "prefix",
  [LOWERED_STR_SUFFIX] = "suffix", [LOWERED_STR_CONTAINS] = "contains", [LOWERED_STR_GLOB] = "glob",
};

static void dump_indent(struct strbuf *out, int depth)
{
  for (int i = 0; i < depth; i++)
    strbuf_puts(out, "  ");
}

static void dump_pos(struct strbuf *out, struct srcpos pos)
{
  if (pos.line > 0 && pos.file)
    strbuf_printf(out, " @%s:%d:%d", pos.file, pos.line, pos.col);
  else
    strbuf_puts(out, " @-");
}

static void dump_bytes(struct strbuf *out, const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\' || c == '$')
      strbuf_printf(out, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      strbuf_printf(out, "\\x%02x", c);
    else
      strbuf_putc(out, (char)c);
  }
}

static const char *const dump_escapes[] = {"", ":query-escaped", ":path-escaped", ":known"};
static const char *const dump_field_kinds[] = {"", "header", "query", "cookie", "path", "orig_path", "host_label"};

/* a request field: ${header:Name}, ${path:2} */
static void dump_field(struct strbuf *out, const struct lowered_text_part *p)
{
  strbuf_printf(out, "${%s:", dump_field_kinds[p->field]);
  if (p->field >= ZS_FIELD_PATH_PART)
    strbuf_printf(out, "%u", p->index);
  else
    dump_bytes(out, p->text, p->len);
  strbuf_printf(out, "%s", dump_escapes[p->escape]);
  if (p->unset) {              /* what an absent field gives */
    strbuf_printf(out, ":else=");
    dump_bytes(out, p->unset, strlen(p->unset));
  }
  strbuf_putc(out, '}');
}

/* literal text quoted, variables as ${name} */
static void dump_text(struct strbuf *out, const struct lowered_text *t)
{
  strbuf_putc(out, '"');
  for (size_t i = 0; i < t->count; i++) {
    if (t->parts[i].field)
      dump_field(out, &t->parts[i]);
    else if (t->parts[i].capture)
      strbuf_printf(out, "${regexp:%d.%d}", (t->parts[i].capture - 1) >> 16, (t->parts[i].capture - 1) & 0xffff);
    else if (t->parts[i].var)
      strbuf_printf(out, "${%s%s}", t->parts[i].var_name, dump_escapes[t->parts[i].escape]);
    else
      dump_bytes(out, t->parts[i].text, t->parts[i].len);
  }
  strbuf_putc(out, '"');
}

static void dump_affix(struct strbuf *out, const char *what, const char *s)
{
  if (!s)
    return;
  strbuf_printf(out, " %s=\"", what);
  dump_bytes(out, s, strlen(s));
  strbuf_putc(out, '"');
}

static void dump_rewrite(struct strbuf *out, const struct lowered_rewrite *r)
{
  if (r->uri_path) {
    strbuf_puts(out, " path=");
    dump_text(out, &r->path);
  }
  if (r->uri_query) {
    strbuf_puts(out, " query=");
    dump_text(out, &r->query);
  }
  dump_affix(out, "strip_prefix", r->strip_prefix);
  dump_affix(out, "strip_suffix", r->strip_suffix);
  for (size_t i = 0; i < r->sub_count; i++) {
    dump_affix(out, "replace", r->subs[i].find);
    strbuf_puts(out, "->");
    dump_text(out, &r->subs[i].replace);
    if (r->subs[i].limit > 0)
      strbuf_printf(out, " limit=%ld", r->subs[i].limit);
  }
}

static void dump_pattern(struct strbuf *out, const struct lowered_pattern *p)
{
  strbuf_printf(out, " %s:\"", lower_dump_ops[p->op]);
  dump_bytes(out, p->text ? p->text : "", p->text ? p->len : 0);
  strbuf_printf(out, "\"%s%s", p->keep_slashes ? "+keep-slashes" : "", p->wild ? "+wild" : "");
}

static void dump_sets(struct strbuf *out, const struct lowered_match *sets, size_t count, int depth);

/* the packed query matcher (lower/match_query.c): key=value|value ... */
static void dump_query(struct strbuf *out, const unsigned char *q, size_t len)
{
  size_t at = 2, keys = (size_t)q[0] << 8 | q[1];
  for (size_t i = 0; i < keys && at + 2 <= len; i++) {
    size_t n = (size_t)q[at] << 8 | q[at + 1];
    strbuf_puts(out, " \"");
    dump_bytes(out, (const char *)q + at + 2, n);
    strbuf_putc(out, '"');
    at += 2 + n;
    size_t count = (size_t)q[at] << 8 | q[at + 1];
    at += 2;
    for (size_t k = 0; k < count; k++) {
      n = (size_t)q[at] << 8 | q[at + 1];
      strbuf_puts(out, k ? "|\"" : "=\"");
      dump_bytes(out, (const char *)q + at + 2, n);
      strbuf_putc(out, '"');
      at += 2 + n;
    }
  }
}

static void dump_ip_range(struct strbuf *out, const unsigned char *r)
{
  char text[INET6_ADDRSTRLEN];
  inet_ntop(r[0] == 4 ? AF_INET : AF_INET6, r + 2, text, sizeof text);
  strbuf_printf(out, " %s/%u", text, r[1]);
}

static void dump_file_match(struct strbuf *out, const struct lowered_file_match *f)
{
  static const char *const policies[] = {"first_exist", "largest_size", "smallest_size", "most_recently_modified",
                                         "first_exist_fallback"};
  strbuf_printf(out, " policy=%s", policies[f->policy]);
  if (f->has_root) {
    strbuf_puts(out, " root=");
    dump_text(out, &f->root);
  }
  for (size_t i = 0; i < f->try_count; i++) {
    strbuf_puts(out, " try=");
    dump_text(out, &f->tries[i].path);
  }
  if (f->split) {
    strbuf_puts(out, " split=\"");
    dump_bytes(out, f->split, f->split_len);
    strbuf_putc(out, '"');
  }
}

/* an expression as the C-like condition it compiles to */
static void dump_matcher(struct strbuf *out, const struct lowered_matcher *m, int depth);

static void dump_expr(struct strbuf *out, const struct lowered_expr *e)
{
  static const char *const cmps[] = {"==", "!=", "<", "<=", ">", ">="};
  switch (e->op) {
  case LOWERED_EXPR_MATCHER: {
    struct strbuf one;
    strbuf_init(&one, out->arena);
    dump_matcher(&one, e->matcher, 0);
    const char *t = strbuf_cstr(&one);
    strbuf_printf(out, "[%.*s]", (int)strlen(t) - 1, t);
    return;
  }
  case LOWERED_EXPR_NOT:
    strbuf_putc(out, '!');
    dump_expr(out, e->a);
    return;
  case LOWERED_EXPR_AND:
  case LOWERED_EXPR_OR:
    strbuf_putc(out, '(');
    dump_expr(out, e->a);
    strbuf_puts(out, e->op == LOWERED_EXPR_AND ? " && " : " || ");
    dump_expr(out, e->b);
    strbuf_putc(out, ')');
    return;
  case LOWERED_EXPR_CMP:
    strbuf_printf(out, "var%d %s ", e->var, cmps[e->cmp]);
    if (e->number) {
      strbuf_printf(out, "%lld", e->value);
      return;
    }
    strbuf_putc(out, '"');
    dump_bytes(out, e->text, e->len);
    strbuf_putc(out, '"');
    return;
  }
}

static void dump_matcher(struct strbuf *out, const struct lowered_matcher *m, int depth)
{
  dump_indent(out, depth);
  strbuf_printf(out, "%s", lower_dump_matchers[m->kind]);
  dump_pos(out, m->pos);
  for (size_t i = 0; i < m->count; i++)
    dump_pattern(out, &m->patterns[i]);
  for (size_t i = 0; i < m->field_count; i++) {
    const struct lowered_header_field *f = &m->fields[i];
    strbuf_printf(out, " %s=%s", f->name, f->absent ? "absent" : f->present ? "present" : "");
    for (size_t k = 0; k < f->count; k++)
      dump_pattern(out, &f->values[k]);
  }
  if (m->kind == LOWERED_MATCH_PROTOCOL)
    strbuf_printf(out, " %s", m->protocol);
  if (m->kind == LOWERED_MATCH_TLS && m->early_data)
    strbuf_puts(out, " early_data");
  if (m->kind == LOWERED_MATCH_FILE)
    dump_file_match(out, m->file);
  if (m->kind == LOWERED_MATCH_QUERY)
    dump_query(out, m->query, m->query_len);
  for (size_t i = 0; i < m->regex_use_count; i++)
    strbuf_printf(out, " %s%sregex%u", m->regex_uses[i].field ? m->regex_uses[i].field : "",
                  m->regex_uses[i].field ? "=" : "", m->regex_uses[i].regex);
  if (m->kind == LOWERED_MATCH_EXPRESSION) {
    strbuf_putc(out, ' ');
    dump_expr(out, m->expr);
  }
  for (size_t i = 0; i + ZS_IP_RANGE_SIZE <= m->ranges_len; i += ZS_IP_RANGE_SIZE)
    dump_ip_range(out, m->ranges + i);
  strbuf_putc(out, '\n');
  if (m->kind == LOWERED_MATCH_NOT)
    dump_sets(out, m->sets, m->set_count, depth + 1);
}

static void dump_sets(struct strbuf *out, const struct lowered_match *sets, size_t count, int depth)
{
  for (size_t i = 0; i < count; i++) {
    dump_indent(out, depth);
    strbuf_printf(out, "match-set %zu", i);
    dump_pos(out, sets[i].pos);
    strbuf_putc(out, '\n');
    for (size_t k = 0; k < sets[i].count; k++)
      dump_matcher(out, &sets[i].matchers[k], depth + 1);
  }
}

static void dump_fields(struct strbuf *out, const char *what, const struct lowered_field *f, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    strbuf_printf(out, " %s %s=[", what, f[i].name);
    for (size_t k = 0; k < f[i].count; k++) {
      strbuf_puts(out, k ? ", " : "");
      dump_text(out, &f[i].values[k]);
    }
    strbuf_putc(out, ']');
  }
}

static void dump_routes(struct strbuf *out, const struct lowered_route *routes, size_t count, int depth);

/* add, set, delete, replace: side is "" (the headers handler's response), "request-", "up-" or "down-" */
static void dump_header_ops(struct strbuf *out, const char *side, const struct lowered_headers *h)
{
  dump_fields(out, arena_printf(out->arena, "%sadd", side), h->add, h->add_count);
  dump_fields(out, arena_printf(out->arena, "%sset", side), h->set, h->set_count);
  for (size_t i = 0; i < h->delete_count; i++)
    strbuf_printf(out, " %sdelete %s", side, h->delete_names[i]);
  for (size_t i = 0; i < h->replace_count; i++) {
    const struct lowered_replace *r = &h->replace[i];
    strbuf_printf(out, " %sreplace %s %s=\"", side, r->name, r->regexp ? "search_regexp" : "search");
    dump_bytes(out, r->search, strlen(r->search));
    strbuf_puts(out, "\" with=");
    dump_text(out, &r->with);
  }
}

/* what differs from a lone upstream with Caddy's defaults */
static void dump_proxy_lb(struct strbuf *out, const struct lowered_proxy_lb *lb)
{
  static const char *const policies[] = {
#define DUMP_LB(constant, value, name) [value] = name,
    ZS_LB_POLICIES(DUMP_LB)
#undef DUMP_LB
  };
  for (size_t i = 1; i < lb->upstream_count; i++)
    strbuf_printf(out, " +%s", lb->upstreams[i].dial);
  for (size_t i = 0; i < lb->upstream_count; i++)
    if (lb->upstreams[i].weight || lb->upstreams[i].max_requests)
      strbuf_printf(out, " up%zu{weight=%u max_requests=%u}", i, lb->upstreams[i].weight, lb->upstreams[i].max_requests);
  if (lb->policy || lb->fallback)
    strbuf_printf(out, " lb=%s/%s", policies[lb->policy], policies[lb->fallback]);
  if (lb->choose || lb->policy_key || lb->cookie_secret || lb->cookie_max_age)
    strbuf_printf(out, " lb{choose=%u key=%s secret=%s max_age=%u}", lb->choose, lb->policy_key ? lb->policy_key : "",
                  lb->cookie_secret ? lb->cookie_secret : "", lb->cookie_max_age);
  if (lb->retries || lb->try_duration_ms || lb->try_interval_ms || lb->retry_match) {
    strbuf_printf(out, " retry{n=%u for=%ums every=%ums", lb->retries, lb->try_duration_ms, lb->try_interval_ms);
    for (size_t i = 0; lb->retry_match && i < lb->retry_method_count; i++)
      strbuf_printf(out, "%s%s", i ? "," : " match=", lb->retry_methods[i]);
    strbuf_puts(out, lb->retry_match && !lb->retry_method_count ? " match=none}" : "}");
  }
  if (lb->fail_duration_ms || lb->unhealthy_latency_ms || lb->unhealthy_status_count) {
    strbuf_printf(out, " passive{for=%ums max_fails=%u latency=%ums status=", lb->fail_duration_ms, lb->max_fails,
                  lb->unhealthy_latency_ms);
    for (size_t i = 0; i < lb->unhealthy_status_count; i++)
      strbuf_printf(out, "%s%s", i ? "," : "", lb->unhealthy_status[i]);
    strbuf_puts(out, "}");
  }
  if (lb->active) {
    strbuf_printf(out, " active{%s %s port=%u every=%ums timeout=%ums passes=%u fails=%u status=%u body=%s",
                  lb->health_method, lb->health_uri ? lb->health_uri : "", lb->health_port, lb->health_interval_ms,
                  lb->health_timeout_ms, lb->health_passes, lb->health_fails, lb->health_status,
                  lb->health_body ? lb->health_body : "");
    for (size_t i = 0; i + 1 < lb->health_header_count; i += 2)
      strbuf_printf(out, " %s:%s", lb->health_headers[i], lb->health_headers[i + 1]);
    strbuf_puts(out, "}");
  }
  strbuf_printf(out, " transport{dial=%ums header=%ums read=%ums write=%ums idle=%ums%s idle_conns=%u/%u max_conns=%u}",
                lb->dial_timeout_ms, lb->response_header_timeout_ms, lb->read_timeout_ms, lb->write_timeout_ms,
                lb->idle_timeout_ms, lb->no_keepalive ? " keepalive=off" : "", lb->idle_conns, lb->idle_conns_per_host,
                lb->max_conns_per_host);
}

static void dump_encode(struct strbuf *out, const struct lowered_encode *e)
{
  if (e->gzip)
    strbuf_printf(out, " gzip=%u", e->gzip_level);
  if (e->zstd)
    strbuf_printf(out, " zstd=%u%s", e->zstd_level, e->zstd_no_checksum ? ",no-checksum" : "");
  for (size_t i = 0; i < e->prefer_count; i++)
    strbuf_printf(out, "%s%s", i ? "," : " prefer=", e->prefer[i]);
  strbuf_printf(out, " min=%u", e->min_length);
  for (size_t i = 0; i < e->status_count; i++)
    strbuf_printf(out, "%s%s", i ? "," : " status=", e->statuses[i]);
  strbuf_printf(out, " match-headers=%zu", e->header_count);
}

/* the handler's options after its name */
static void dump_options(struct strbuf *out, const struct lowered_handler *h)
{
  switch (h->kind) {
  case LOWERED_STATIC_RESPONSE:
  case LOWERED_RESPOND_CLOSE:
    if (h->u.respond.status_error)
      strbuf_puts(out, " status={http.error.status_code}");
    else
      strbuf_printf(out, " status=%d", h->u.respond.status ? h->u.respond.status : 200);
    dump_fields(out, "header", h->u.respond.headers, h->u.respond.header_count);
    if (h->u.respond.has_body) {
      strbuf_puts(out, " body=");
      dump_text(out, &h->u.respond.body);
    }
    break;
  case LOWERED_FILE_SERVER:
    if (h->u.file_server.has_root) {
      strbuf_puts(out, " root=");
      dump_text(out, &h->u.file_server.root);
    }
    break;
  case LOWERED_REWRITE:
    dump_rewrite(out, &h->u.rewrite);
    break;
  case LOWERED_VARS:
    for (size_t i = 0; i < h->u.vars.count; i++) {
      strbuf_puts(out, " root=");
      dump_text(out, &h->u.vars.roots[i]);
    }
    break;
  case LOWERED_HEADERS:
    strbuf_puts(out, h->u.headers.deferred ? " deferred" : "");
    for (size_t i = 0; i < h->u.headers.require_count; i++) {
      static const char *const kinds[] = {[LOWERED_REQUIRE_ABSENT] = "absent", [LOWERED_REQUIRE_PRESENT] = "present",
                                          [LOWERED_REQUIRE_STATUS] = "status"};
      strbuf_printf(out, " require(%s %s)", kinds[h->u.headers.require[i].kind], h->u.headers.require[i].name);
    }
    dump_header_ops(out, "", &h->u.headers);
    if (h->u.headers.request)
      dump_header_ops(out, "request-", h->u.headers.request);
    break;
  case LOWERED_REQUEST_BODY:
    strbuf_printf(out, " max_size=%lld", h->u.request_body.max_size);
    break;
  case LOWERED_AUTHENTICATION:
    strbuf_printf(out, " accounts=%zu realm=\"", h->u.auth.count);
    dump_bytes(out, h->u.auth.realm, strlen(h->u.auth.realm));
    strbuf_putc(out, '"');
    break;
  case LOWERED_ERROR:
    strbuf_printf(out, " status=%d message=", h->u.error.status);
    dump_text(out, &h->u.error.message);
    break;
  case LOWERED_ENCODE:
    dump_encode(out, &h->u.encode);
    break;
  case LOWERED_REVERSE_PROXY:
    strbuf_printf(out, " dial=%s", h->u.proxy.dial);
    dump_proxy_lb(out, &h->u.proxy.lb);
    if (h->u.proxy.request_buffers)
      strbuf_printf(out, " request_buffers=%u", h->u.proxy.request_buffers);
    if (h->u.proxy.stream_timeout_ms)
      strbuf_printf(out, " stream_timeout=%ums", h->u.proxy.stream_timeout_ms);
    if (h->u.proxy.stream_close_delay_ms)
      strbuf_printf(out, " stream_close_delay=%ums", h->u.proxy.stream_close_delay_ms);
    if (h->u.proxy.rewrite && h->u.proxy.rewrite->has_method) {
      strbuf_puts(out, " rewrite-method=");
      dump_text(out, &h->u.proxy.rewrite->method);
    }
    if (h->u.proxy.rewrite)
      dump_rewrite(out, &h->u.proxy.rewrite->uri);
    if (h->u.proxy.up)
      dump_header_ops(out, "up-", h->u.proxy.up);
    if (h->u.proxy.down)
      dump_header_ops(out, "down-", h->u.proxy.down);
    break;
  case LOWERED_EBPF:
    strbuf_printf(out, " program=%s", h->u.ebpf.program);
    for (size_t at = 0; at < h->u.ebpf.args_len;) {
      const char *name = h->u.ebpf.args + at, *value = name + strlen(name) + 1;
      strbuf_putc(out, ' ');
      strbuf_puts(out, *name ? name : "arg");
      strbuf_puts(out, "=\"");
      dump_bytes(out, value, strlen(value));
      strbuf_putc(out, '"');
      at += strlen(name) + strlen(value) + 2;
    }
    break;
  default:
    break;
  }
}

static void dump_handler(struct strbuf *out, const struct lowered_handler *h, int depth)
{
  dump_indent(out, depth);
  strbuf_puts(out, "handler ");
  for (const char *p = lower_handler_name(h->kind); *p; p++)
    strbuf_putc(out, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
  if (h->directive)
    strbuf_printf(out, " (%s)", h->directive);
  dump_pos(out, h->pos);
  if (strcmp(lower_dump_actions[h->kind], "NONE") != 0)
    strbuf_printf(out, " action=%s", lower_dump_actions[h->kind]);
  dump_options(out, h);
  strbuf_putc(out, '\n');
  if (h->kind == LOWERED_SUBROUTE)
    dump_routes(out, h->u.subroute.routes, h->u.subroute.count, depth + 1);
}

static void dump_routes(struct strbuf *out, const struct lowered_route *routes, size_t count, int depth)
{
  for (size_t i = 0; i < count; i++) {
    const struct lowered_route *r = &routes[i];
    dump_indent(out, depth);
    strbuf_printf(out, "route %zu", i);
    dump_pos(out, r->pos);
    if (r->group)
      strbuf_printf(out, " group=%s", r->group);
    strbuf_puts(out, r->terminal ? " terminal" : "");
    strbuf_putc(out, '\n');
    dump_sets(out, r->sets, r->set_count, depth + 1);
    for (size_t k = 0; k < r->handler_count; k++)
      dump_handler(out, &r->handlers[k], depth + 1);
  }
}

/* name=[a, b] when the list has entries */
static void dump_list(struct strbuf *out, const char *name, const char *const *items, size_t count)
{
  if (!count)
    return;
  strbuf_printf(out, " %s=[", name);
  for (size_t i = 0; i < count; i++) {
    strbuf_puts(out, i ? ", \"" : "\"");
    dump_bytes(out, items[i], strlen(items[i]));
    strbuf_putc(out, '"');
  }
  strbuf_putc(out, ']');
}

static void dump_listeners(struct strbuf *out, const struct lowered_server *s)
{
  for (size_t i = 0; i < s->listener_count; i++)
    strbuf_printf(out, strchr(s->listeners[i].host, ':') ? " listen=[%s]:%u" : " listen=%s:%u",
                  s->listeners[i].host, s->listeners[i].port);
  strbuf_puts(out, s->tls ? " tls" : "");
  strbuf_puts(out, s->strict_sni ? " strict_sni_host" : "");
  strbuf_puts(out, s->h2c ? " h2c" : "");
  strbuf_puts(out, s->no_h2 ? " no_h2" : "");
  if (s->read_header_ms)
    strbuf_printf(out, " read_header=%ums", s->read_header_ms);
  if (s->idle_ms)
    strbuf_printf(out, " idle=%ums", s->idle_ms);
}

static void dump_policy(struct strbuf *out, const struct lowered_tls_policy *p, size_t index)
{
  static const char *const modes[] = {"", "request", "require", "verify_if_given", "require_and_verify"};
  strbuf_printf(out, "  tls-policy %zu", index);
  dump_pos(out, p->pos);
  dump_list(out, "sni", p->sni, p->sni_count);
  strbuf_puts(out, p->sni_none ? " sni_none" : "");
  dump_list(out, "any_tag", p->tags, p->tag_count);
  if (p->default_sni)
    strbuf_printf(out, " default_sni=\"%s\"", p->default_sni);
  if (p->protocol_min || p->protocol_max)
    strbuf_printf(out, " protocols=%u-%u", p->protocol_min ? p->protocol_min : 12, p->protocol_max ? p->protocol_max : 13);
  dump_list(out, "alpn", p->alpn, p->alpn_count);
  dump_list(out, "ciphers", p->ciphers, p->cipher_count);
  dump_list(out, "curves", p->curves, p->curve_count);
  if (p->client_auth)
    strbuf_printf(out, " client_auth=%s", modes[p->client_auth]);
  dump_list(out, "trust_files", p->trust_files, p->trust_file_count);
  if (p->trust_pem_count)
    strbuf_printf(out, " trust_pem=%zu", p->trust_pem_count);
  strbuf_putc(out, '\n');
}

static void dump_tls(struct strbuf *out, const struct lowered_config *cfg)
{
  for (size_t i = 0; i < cfg->cert_count; i++) {
    const struct lowered_tls_cert *c = &cfg->certs[i];
    strbuf_printf(out, "tls-cert %zu", i);
    dump_pos(out, c->pos);
    strbuf_puts(out, c->internal ? " internal" : c->folder ? " folder" : c->acme ? " acme" : "");
    if (c->acme)
      strbuf_printf(out, " issuers=%u..%u", c->issuer, c->issuer + c->issuer_count - 1);
    if (c->chain)
      strbuf_printf(out, " chain=\"%s\"", c->chain);
    if (c->key)
      strbuf_printf(out, " key=\"%s\"", c->key);
    dump_list(out, "names", c->names, c->name_count);
    dump_list(out, "tags", c->tags, c->tag_count);
    static const char *const key_types[] = {
#define DUMP_KEY_TYPE(constant, value, name) [value] = name,
      ZS_KEY_TYPES(DUMP_KEY_TYPE)
#undef DUMP_KEY_TYPE
    };
    if (c->key_type)
      strbuf_printf(out, " key_type=%s", key_types[c->key_type]);
    strbuf_putc(out, '\n');
  }
  for (size_t i = 0; i < cfg->acme_issuer_count; i++) {
    const struct lowered_acme_issuer *a = &cfg->acme_issuers[i];
    strbuf_printf(out, "acme-issuer %zu ca=\"%s\"", i, a->ca);
    if (a->email)
      strbuf_printf(out, " email=\"%s\"", a->email);
    dump_list(out, "roots", a->root_files, a->root_file_count);
    strbuf_puts(out, a->no_http01 ? " no_http01" : "");
    strbuf_puts(out, a->no_tlsalpn01 ? " no_tlsalpn01" : "");
    strbuf_putc(out, '\n');
  }
  if (cfg->http_app.grace_ms || cfg->http_app.shutdown_delay_ms)
    strbuf_printf(out, "http-app grace=%ums shutdown_delay=%ums\n", cfg->http_app.grace_ms,
                  cfg->http_app.shutdown_delay_ms);
  const struct lowered_tls_app *app = &cfg->tls_app;
  if (!app->present)
    return;
  strbuf_puts(out, "tls-app");
  if (app->storage)
    strbuf_printf(out, " storage=\"%s\"", app->storage);
  if (app->ca_name)
    strbuf_printf(out, " ca_name=\"%s\"", app->ca_name);
  if (app->leaf_lifetime)
    strbuf_printf(out, " leaf_lifetime=%us", app->leaf_lifetime);
  if (app->renew_interval)
    strbuf_printf(out, " renew_interval=%us", app->renew_interval);
  strbuf_puts(out, app->skip_install_trust ? " skip_install_trust" : "");
  strbuf_putc(out, '\n');
}

void lower_dump(const struct lowered_config *cfg, struct strbuf *out)
{
  for (size_t i = 0; i < cfg->regex_count; i++) {
    strbuf_printf(out, "regex %zu name=\"%s\" pattern=\"", i, cfg->regex_names[cfg->regexes[i].name]);
    dump_bytes(out, cfg->regexes[i].pattern, strlen(cfg->regexes[i].pattern));
    strbuf_puts(out, "\"\n");
  }
  for (size_t i = 0; i < cfg->server_count; i++) {
    const struct lowered_server *s = &cfg->servers[i];
    strbuf_printf(out, "server %s entry=srv%u", s->name, s->index);
    dump_pos(out, s->server_pos);
    dump_listeners(out, s);
    strbuf_putc(out, '\n');
    for (size_t k = 0; k < s->policy_count; k++)
      dump_policy(out, &s->policies[k], k);
    dump_routes(out, s->routes, s->route_count, 1);
    if (s->has_errors) {
      strbuf_printf(out, "  errors entry=srv%u_errors\n", s->index);
      dump_routes(out, s->error_routes, s->error_route_count, 2);
    }
  }
  dump_tls(out, cfg);
}
