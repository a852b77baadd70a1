/* Handlers to typed records, one lower function per row of handlers.def and
 * one {key, Caddyfile name, function} table per handler for its members. A
 * handler module without a row, a member without a row and a value zsc
 * cannot honour are refused here, and nowhere after. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "abi/blob.h"
#include "abi/helpers.h"
#include "lower_parts.h"

/* ---- static_response: respond, respond ... close, abort ---- */

static int lower_respond_status(struct lower *l, const struct json *v, void *record)
{
  struct lowered_static_response *r = record;
  if (l->in_errors && v->kind == JSON_STRING && strcmp(v->text, "{http.error.status_code}") == 0) {
    r->status_error = true;
    return 0;
  }
  int status = lower_status(l, v, "static_response status_code");
  r->status = status > 0 ? status : 0;
  return status < 0 ? -1 : 0;
}

static int lower_respond_body(struct lower *l, const struct json *v, void *record)
{
  struct lowered_static_response *r = record;
  r->has_body = true;
  r->body_pos = lower_pos(l, v);
  if (!lower_string(l, v, "static_response body"))
    return -1;
  return lower_text(l, v, LOWER_PH_KNOWN, &r->body);
}

/* static_response headers replace the field outright (w.Header()[f] = vals) */
static int lower_respond_headers(struct lower *l, const struct json *map, void *record)
{
  struct lowered_static_response *r = record;
  if (map->kind != JSON_OBJECT) {
    lower_refuse(l, map, "static_response headers that are not an object");
    return -1;
  }
  r->headers = arena_alloc(l->a, (map->count + 1) * sizeof *r->headers);
  int bad = 0;
  for (size_t i = 0; i < map->count; i++) {
    const char *key = map->members[i].key;
    const struct json *vals = map->members[i].value;
    if (strpbrk(key, "{}") || vals->kind != JSON_ARRAY) {
      lower_refuse(l, vals, "static_response header '%s'", key);
      bad = -1;
      continue;
    }
    struct lowered_field *f = &r->headers[r->header_count++];
    *f = (struct lowered_field){.name = key, .pos = lower_pos(l, vals), .count = vals->count};
    f->values = arena_alloc(l->a, (vals->count + 1) * sizeof *f->values);
    for (size_t k = 0; k < vals->count; k++)
      if (!lower_string(l, vals->items[k], "static_response header value") ||
          lower_text(l, vals->items[k], LOWER_PH_ALL, &f->values[k]) < 0)
        bad = -1;
  }
  return bad;
}

static const struct lower_key lower_respond_keys[] = {
  {"handler", NULL, NULL}, {"status_code", NULL, lower_respond_status}, {"body", NULL, lower_respond_body},
  {"headers", NULL, lower_respond_headers}, {"close", "close", NULL}, {"abort", NULL, NULL},
  {NULL, NULL, NULL},
};

int lower_static_response(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  struct lowered_static_response *r = &out->u.respond;
  r->body_pos = out->pos;
  int rc = lower_keys(l, h, lower_respond_keys, "static_response", r);
  /* in an error route the default status is the error's (static_response.go) */
  if (l->in_errors && r->status == 0)
    r->status_error = true;
  return rc;
}

/* respond ... close: the response, then Connection: close and a closed connection */
int lower_respond_close(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  if (!lower_is_true(json_object_get(h, "close")) || lower_is_true(json_object_get(h, "abort")))
    return LOWER_DECLINE;
  return lower_static_response(l, h, out);
}

/* abort: the connection is closed with no response (the other members are
 * still checked, though Caddy ignores them) */
int lower_abort(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  if (!lower_is_true(json_object_get(h, "abort")))
    return LOWER_DECLINE;
  return lower_keys(l, h, lower_respond_keys, "static_response", &out->u.respond);
}

/* ---- error: Caddy's static_error ---- */

static int lower_error_status(struct lower *l, const struct json *v, void *record)
{
  struct lowered_static_error *e = record;
  if (v->kind == JSON_STRING && memchr(v->text, '{', v->len)) {
    lower_refuse(l, v, "error status '%s' with a placeholder", v->text);
    return -1;
  }
  int status = lower_status(l, v, "error status");
  e->status = status > 0 ? status : 500;
  return status < 0 ? -1 : 0;
}

/* Caddy 2.6 keeps the message as written, later versions replace its
 * placeholders: a message with one is refused, either would differ */
static int lower_error_message(struct lower *l, const struct json *v, void *record)
{
  struct lowered_static_error *e = record;
  if (!lower_string(l, v, "error message"))
    return -1;
  if (lower_text(l, v, LOWER_PH_KNOWN, &e->message) < 0)
    return -1;
  if (!e->message.constant || memchr(v->text, '{', v->len)) {
    lower_refuse(l, v, "error message '%s' with a placeholder", v->text);
    return -1;
  }
  return 0;
}

static const struct lower_key lower_error_keys[] = {
  {"handler", NULL, NULL}, {"status_code", NULL, lower_error_status}, {"error", NULL, lower_error_message},
  {NULL, NULL, NULL},
};

int lower_static_error(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  out->u.error.status = 500;
  out->u.error.message.constant = true;
  out->u.error.message.pos = out->pos;
  return lower_keys(l, h, lower_error_keys, "error", &out->u.error);
}

/* ---- file_server ---- */

static int lower_file_root(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_server *f = record;
  f->has_root = true;
  const char *root = lower_string(l, v, "file_server root");
  if (!root)
    return -1;
  f->root_const = strpbrk(root, "{}") ? NULL : root;
  return lower_text(l, v, LOWER_PH_ALL, &f->root);
}

/* a list of constant strings (index_names, hide): the blob config holds them */
static int lower_file_strings(struct lower *l, const struct json *list, const char *what, const char ***out,
                              size_t *count)
{
  if (!(*out = lower_items(l, list, sizeof **out, arena_printf(l->a, "%s that is not a list", what))))
    return -1;
  *count = list->count;
  for (size_t i = 0; i < list->count; i++) {
    const char *s = lower_string(l, list->items[i], what);
    if (!s || strpbrk(s, "{}")) {
      if (s)
        lower_refuse(l, list->items[i], "placeholder in %s", what);
      return -1;
    }
    (*out)[i] = s;
  }
  return 0;
}

static int lower_file_hide(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_server *f = record;
  return lower_file_strings(l, v, "file_server hide", &f->hide, &f->hide_count);
}

static int lower_file_index(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_server *f = record;
  f->has_index = true;
  return lower_file_strings(l, v, "file_server index_names", &f->index_names, &f->index_count);
}

static int lower_file_status(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_server *f = record;
  f->status = lower_status(l, v, "file_server status_code");
  return f->status < 0 ? -1 : 0;
}

/* disable_canonical_uris: no trailing-slash redirects */
static int lower_file_canonical(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_server *f = record;
  bool canonical = true;
  int rc = lower_bool(l, v, "file_server canonical_uris", &canonical);
  f->no_canonical = !canonical;
  return rc;
}

/* browse templates are Go templates: zsrt writes its own page */
static int lower_browse_template(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  lower_refuse(l, v, "file_server browse template file");
  return -1;
}

/* file_limit N: Go's ReadDir(N) reads the first N entries; N <= 0 reads them all,
 * which zsrt bounds at Caddy's default (more than 10000 is refused) */
static int lower_browse_file_limit(struct lower *l, const struct json *v, void *record)
{
  long long n = json_int(v, 0);
  if (v->kind != JSON_NUMBER || n < 0 || n > ZS_BROWSE_MAX_ENTRIES) {
    lower_refuse(l, v, "file_server browse file_limit outside 0..%u", ZS_BROWSE_MAX_ENTRIES);
    return -1;
  }
  ((struct lowered_file_server *)record)->file_limit = n > 0 ? (int)n : 0;
  return 0;
}

static const struct lower_key lower_browse_keys[] = {
  {"template_file", NULL, lower_browse_template}, {"reveal_symlinks", "reveal_symlinks", lower_key_refused},
  {"sort", "sort", lower_key_refused}, {"file_limit", "file_limit", lower_browse_file_limit}, {NULL, NULL, NULL},
};

static int lower_file_browse(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_server *f = record;
  f->browse = true;
  l->has_browse = true;
  return lower_object_keys(l, v, lower_browse_keys, "file_server browse", record);
}

/* precompressed: {br, gzip, zstd}, each an empty object (the modules have no options) */
static int lower_file_precompressed(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_server *f = record;
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "file_server precompressed that is not an object");
    return -1;
  }
  if (!f->precompressed) {   /* no precompressed_order: Caddy sorts the names */
    f->precompressed = arena_alloc(l->a, (v->count + 1) * sizeof *f->precompressed);
    for (size_t i = 0; i < v->count; i++) {
      size_t k = f->precompressed_count++;
      while (k > 0 && strcmp(f->precompressed[k - 1], v->members[i].key) > 0) {
        f->precompressed[k] = f->precompressed[k - 1];
        k--;
      }
      f->precompressed[k] = v->members[i].key;
    }
  }
  for (size_t i = 0; i < v->count; i++) {
    const char *name = v->members[i].key;
    const struct json *mod = v->members[i].value;
    if (strcmp(name, "br") && strcmp(name, "gzip") && strcmp(name, "zstd")) {
      lower_refuse_module(l, mod, "precompressed encoding", name);
      return -1;
    }
    if (mod->kind != JSON_OBJECT || mod->count) {
      lower_refuse(l, mod, "precompressed %s options", name);
      return -1;
    }
  }
  return 0;
}

static int lower_file_precompressed_order(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_server *f = record;
  if (lower_file_strings(l, v, "file_server precompressed_order", &f->precompressed, &f->precompressed_count) < 0)
    return -1;
  for (size_t i = 0; i < f->precompressed_count; i++)
    if (strcmp(f->precompressed[i], "br") && strcmp(f->precompressed[i], "gzip") &&
        strcmp(f->precompressed[i], "zstd")) {
      lower_refuse(l, v->items[i], "precompressed encoding '%s'", f->precompressed[i]);
      return -1;
    }
  return 0;
}

static const struct lower_key lower_file_keys[] = {
  {"handler", NULL, NULL}, {"root", NULL, lower_file_root}, {"hide", NULL, lower_file_hide},
  {"index_names", NULL, lower_file_index}, {"status_code", NULL, lower_file_status},
  {"browse", NULL, lower_file_browse}, {"precompressed_order", NULL, lower_file_precompressed_order},
  {"precompressed", "precompressed", lower_file_precompressed},
  {"canonical_uris", NULL, lower_file_canonical},
  {"pass_thru", "pass_thru", lower_key_refused},
  {"etag_file_extensions", "etag_file_extensions", lower_key_refused},
  /* a file system of the global filesystem option: zsrt serves the OS's only */
  {"fs", "fs", lower_key_refused}, {NULL, NULL, NULL},
};

int lower_file_server(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  return lower_keys(l, h, lower_file_keys, "file_server", &out->u.file_server);
}

/* ---- reverse_proxy: upstreams and their balancing in proxy_lb.c ---- */

/* flush_interval: -1, 0 or a duration. zsrt writes every upstream read to
 * the client as it arrives, which meets any interval (Caddy's -1) */
static int lower_proxy_flush(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  long long ns;
  if (lower_duration_ns(v, &ns) < 0 || ns < -1) {
    lower_refuse(l, v, "reverse_proxy flush_interval that is not -1 or a duration");
    return -1;
  }
  return 0;
}

/* request_buffers: bytes gathered before the body goes up; the rest streams.
 * The gathered part waits in the connection's input, hence the bound */
static int lower_proxy_request_buffers(struct lower *l, const struct json *v, void *record)
{
  long long n;
  if (lower_duration_ns(v, &n) < 0 || v->kind != JSON_NUMBER || n < -1) {
    lower_refuse(l, v, "reverse_proxy request_buffers that is not a size");
    return -1;
  }
  if (n < 0 || n > ZS_PROXY_MAX_REQUEST_BUFFERS) {
    lower_refuse(l, v, "reverse_proxy request_buffers over %d bytes (zsrt streams bodies; it gathers at most that)",
                 ZS_PROXY_MAX_REQUEST_BUFFERS);
    return -1;
  }
  ((struct lowered_reverse_proxy *)record)->request_buffers = (unsigned)n;
  return 0;
}

static int lower_proxy_stream_ms(struct lower *l, const struct json *v, const char *what, unsigned *out)
{
  long long ns;
  if (lower_duration_ns(v, &ns) < 0 || ns < 0 || ns / 1000000 > 0x7fffffff) {
    lower_refuse(l, v, "reverse_proxy %s that is not a duration up to 24 days", what);
    return -1;
  }
  *out = ns > 0 && ns < 1000000 ? 1 : (unsigned)(ns / 1000000);
  return 0;
}

static int lower_proxy_stream_timeout(struct lower *l, const struct json *v, void *record)
{
  return lower_proxy_stream_ms(l, v, "stream_timeout", &((struct lowered_reverse_proxy *)record)->stream_timeout_ms);
}

static int lower_proxy_close_delay(struct lower *l, const struct json *v, void *record)
{
  return lower_proxy_stream_ms(l, v, "stream_close_delay",
                               &((struct lowered_reverse_proxy *)record)->stream_close_delay_ms);
}

static int lower_proxy_rewrite(struct lower *l, const struct json *v, void *record);

static const struct lower_key lower_proxy_keys[] = {
  {"handler", NULL, NULL}, {"upstreams", NULL, NULL},
  {"headers", NULL, lower_proxy_headers_keep},
  {"load_balancing", NULL, lower_proxy_load_balancing}, {"health_checks", NULL, lower_proxy_health_checks},
  {"transport", NULL, lower_proxy_transport}, {"flush_interval", NULL, lower_proxy_flush},
  {"request_buffers", NULL, lower_proxy_request_buffers}, {"stream_timeout", NULL, lower_proxy_stream_timeout},
  {"stream_close_delay", NULL, lower_proxy_close_delay},
  {"handle_response", "handle_response replace_status", lower_key_refused},
  {"rewrite", NULL, lower_proxy_rewrite}, {"trusted_proxies", NULL, lower_proxy_trusted},
  {"buffer_requests", "buffer_requests request_buffers", lower_key_refused},
  {"buffer_responses", "buffer_responses response_buffers", lower_key_refused},
  {"dynamic_upstreams", "dynamic", lower_key_refused}, {NULL, NULL, NULL},
};

int lower_reverse_proxy(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  l->has_proxy = true;
  if (!l->proxy)
    l->proxy = h;
  if (l->in_errors) {
    lower_refuse(l, h, "reverse_proxy in handle_errors");
    return -1;
  }
  /* upstreams first: load balancing and health checks refer to them */
  const struct json *ups = json_object_get(h, "upstreams");
  if (!ups) {
    lower_refuse(l, h, "reverse_proxy without upstreams (dynamic upstreams are not supported)");
    return -1;
  }
  out->u.proxy.lb.handler = h;
  if (lower_proxy_upstreams(l, ups, &out->u.proxy) < 0)
    return -1;
  int bad = lower_keys(l, h, lower_proxy_keys, "reverse_proxy", &out->u.proxy);
  const struct json *tr = json_object_get(h, "transport");
  lower_proxy_lb_defaults(&out->u.proxy.lb, tr && tr->kind == JSON_OBJECT && json_object_get(tr, "keep_alive"));
  if (!bad && out->u.proxy.headers)
    bad = lower_proxy_headers(l, &out->u.proxy);
  return bad;
}

/* ---- rewrite: uri, strip_path_prefix, strip_path_suffix, uri_substring ---- */

/* a prefix or suffix: constant, with the leading '/' Caddy adds to a prefix */
static const char *lower_rewrite_affix(struct lower *l, const struct json *v, const char *what)
{
  const char *s = lower_string(l, v, what);
  if (s && strpbrk(s, "{}")) {
    lower_refuse(l, v, "placeholder in %s", what);
    return NULL;
  }
  return s;
}

static int lower_rewrite_prefix(struct lower *l, const struct json *v, void *record)
{
  struct lowered_rewrite *r = record;
  const char *prefix = lower_rewrite_affix(l, v, "strip_path_prefix");
  if (!prefix)
    return -1;
  r->strip_prefix = prefix[0] == '/' ? prefix : arena_printf(l->a, "/%s", prefix);
  r->pos = lower_pos(l, v);
  return 0;
}

static int lower_rewrite_suffix(struct lower *l, const struct json *v, void *record)
{
  struct lowered_rewrite *r = record;
  if (!(r->strip_suffix = lower_rewrite_affix(l, v, "strip_path_suffix")))
    return -1;
  r->suffix_pos = lower_pos(l, v);
  return 0;
}

/* the parts of `from` appended to `to`, each variable query-escaped but the
 * raw query in a key (buildQueryString: it is escaped already) */
static void lower_text_append(struct lower *l, struct lowered_text *to, const struct lowered_text *from,
                              bool key)
{
  for (size_t i = 0; i < from->count; i++) {
    const struct lowered_text_part *f = &from->parts[i];
    if (f->capture) {          /* Caddy escapes it as a value: not written yet */
      lower_refuse_at(l, from->pos, "placeholder %.*s in a rewritten query", (int)f->len, f->text ? f->text : "");
      continue;
    }
    if (!f->var && !f->field) {
      lower_text_push(l, to, f->text, f->len);
      continue;
    }
    struct lowered_text_part *p = ARENA_PUSH(l->a, to->parts, to->count, to->cap);
    *p = *f;
    p->escape = key && p->var == ZS_VAR_query ? ZS_ESC_NONE : ZS_ESC_QUERY;
    to->constant = false;
  }
}

/* Caddy's buildQueryString at compile time: the template splits into keys
 * and values at its own '&' and '=' (an '=' in a value is data); each
 * component's placeholders are query-escaped at run time, and which '&' is
 * written depends on the values, so the components are marked for uri_set */
static const char lower_query_marks[2] = {ZS_QUERY_KEY, ZS_QUERY_VALUE};

static int lower_rewrite_query(struct lower *l, const struct json *v, const char *q, size_t n,
                               struct lowered_text *out)
{
  memset(out, 0, sizeof *out);
  out->constant = true;
  out->pos = lower_pos(l, v);
  bool key = true;
  for (size_t at = 0; at < n;) {
    size_t end = at;
    while (end < n && q[end] != '&' && !(key && q[end] == '='))
      end++;
    struct lowered_text comp;
    if (lower_text(l, json_stringn(l->a, q + at, end - at, v->pos), LOWER_PH_QUERY, &comp) < 0)
      return -1;
    if (at > 0)
      lower_text_push(l, out, &lower_query_marks[key ? 0 : 1], 1);
    lower_text_append(l, out, &comp, key);
    key = end < n && q[end] == '&';
    at = end < n ? end + 1 : end;
  }
  return 0;
}

/* uri: path, '?' query and '#' fragment as Caddy's Rewrite splits them; the
 * fragment is dropped (it is never part of the request's URI) */
static int lower_rewrite_uri(struct lower *l, const struct json *v, void *record)
{
  struct lowered_rewrite *r = record;
  const char *uri = lower_string(l, v, "rewrite uri");
  if (!uri)
    return -1;
  size_t n = v->len;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)uri[i] < 0x20 || uri[i] == 0x7f) {
      lower_refuse(l, v, "control character in rewrite uri");
      return -1;
    }
  size_t q = strcspn(uri, "?#"), frag = strcspn(uri, "#");
  r->uri_pos = lower_pos(l, v);
  r->uri_path = q > 0;
  r->uri_query = uri[q] == '?';
  r->uri_own_query = r->uri_query && frag > q + 1;
  if (r->uri_path) {
    /* Caddy puts the escaped path in for {http.request.uri.path}, and the
     * file matcher's relative path escaped */
    if (lower_text(l, json_stringn(l->a, uri, q, v->pos), LOWER_PH_ALL, &r->path) < 0)
      return -1;
    for (size_t i = 0; i < r->path.count; i++)
      if (r->path.parts[i].var == ZS_VAR_path) {
        r->path.parts[i].var = ZS_VAR_path_raw;
        r->path.parts[i].var_name = "path_raw";
      } else if (r->path.parts[i].var == ZS_VAR_file_relative) {
        r->path.parts[i].escape = ZS_ESC_PATH;
      }
  }
  if (r->uri_query && lower_rewrite_query(l, v, uri + q + 1, frag - q - 1, &r->query) < 0)
    return -1;
  return 0;
}

static int lower_rewrite_substr(struct lower *l, const struct json *v, void *record)
{
  struct lowered_rewrite *r = record;
  static const struct lower_key keys[] = {
    {"find", NULL, NULL}, {"replace", NULL, NULL}, {"limit", NULL, NULL}, {NULL, NULL, NULL},
  };
  if (!(r->subs = lower_items(l, v, sizeof *r->subs, "uri_substring that is not a list")))
    return -1;
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const struct json *o = v->items[i];
    if (lower_object_keys(l, o, keys, "uri_substring", NULL) < 0) {
      bad = -1;
      continue;
    }
    const struct json *find = json_object_get(o, "find"), *repl = json_object_get(o, "replace");
    const struct json *limit = json_object_get(o, "limit");
    const char *f = find ? lower_rewrite_affix(l, find, "uri replace find") : "";
    if (!f || (repl && !lower_string(l, repl, "uri replace replacement")) ||
        (limit && limit->kind != JSON_NUMBER)) {
      if (limit && limit->kind != JSON_NUMBER)
        lower_refuse(l, limit, "uri replace limit that is not a number");
      bad = -1;
      continue;
    }
    if (!*f)
      continue;   /* Caddy does nothing for an empty find */
    struct lowered_substr *s = &r->subs[r->sub_count++];
    s->find = f;
    s->limit = limit ? strtol(limit->text, NULL, 10) : 0;
    s->pos = lower_pos(l, o);
    if (repl ? lower_text(l, repl, LOWER_PH_ALL, &s->replace) < 0
             : (memset(&s->replace, 0, sizeof s->replace), 0))
      bad = -1;
  }
  return bad;
}

static const struct lower_key lower_rewrite_keys[] = {
  {"handler", NULL, NULL}, {"uri", NULL, lower_rewrite_uri}, {"strip_path_prefix", NULL, lower_rewrite_prefix},
  {"strip_path_suffix", NULL, lower_rewrite_suffix}, {"uri_substring", NULL, lower_rewrite_substr},
  {"method", "method", lower_key_refused}, {"path_regexp", "path_regexp", lower_key_refused},
  {"query", "query", lower_key_refused}, {NULL, NULL, NULL},
};

int lower_rewrite(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  int bad = lower_keys(l, h, lower_rewrite_keys, "rewrite", &out->u.rewrite);
  if (!bad && out->u.rewrite.uri_query)
    l->query_rewrite = out->u.rewrite.uri_pos;
  return bad;
}

/* ---- reverse_proxy rewrite: method and uri of the request sent upstream ---- */

/* the raw method, before placeholders: Caddy drops the body for "GET" and
 * "HEAD" as written, not for what a placeholder makes */
static int lower_proxy_rewrite_method(struct lower *l, const struct json *v, void *record)
{
  struct lowered_proxy_rewrite *r = record;
  const char *m = lower_string(l, v, "reverse_proxy rewrite method");
  if (!m)
    return -1;
  r->has_method = m[0] != '\0';
  r->drops_body = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
  r->method_pos = lower_pos(l, v);
  return lower_text(l, v, LOWER_PH_ALL, &r->method);
}

static int lower_proxy_rewrite_uri(struct lower *l, const struct json *v, void *record)
{
  return lower_rewrite_uri(l, v, &((struct lowered_proxy_rewrite *)record)->uri);
}

/* the other parts of Caddy's Rewrite would see the request's placeholders
 * after the uri changed, which only the cloned request has */
static const struct lower_key lower_proxy_rewrite_keys[] = {
  {"method", NULL, lower_proxy_rewrite_method}, {"uri", NULL, lower_proxy_rewrite_uri},
  {"strip_path_prefix", "reverse_proxy rewrite strip_path_prefix", lower_key_refused},
  {"strip_path_suffix", "reverse_proxy rewrite strip_path_suffix", lower_key_refused},
  {"uri_substring", "reverse_proxy rewrite uri_substring", lower_key_refused},
  {"path_regexp", "reverse_proxy rewrite path_regexp", lower_key_refused},
  {"query", "reverse_proxy rewrite query", lower_key_refused}, {NULL, NULL, NULL},
};

static int lower_proxy_rewrite(struct lower *l, const struct json *v, void *record)
{
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "reverse_proxy rewrite that is not an object");
    return -1;
  }
  struct lowered_proxy_rewrite *r = arena_alloc(l->a, sizeof *r);
  ((struct lowered_reverse_proxy *)record)->rewrite = r;
  return lower_keys(l, v, lower_proxy_rewrite_keys, "reverse_proxy rewrite", r);
}

/* ---- vars: only the variables the runtime reads (root) ---- */

static int lower_vars_root(struct lower *l, const struct json *v, void *record)
{
  struct lowered_vars *r = record;
  struct lowered_text *t = &r->roots[r->count++];
  if (!lower_string(l, v, "vars root"))
    return -1;
  return lower_text(l, v, LOWER_PH_ALL, t);
}

static int lower_vars_log_skip(struct lower *l, const struct json *v, void *record)
{
  struct lowered_vars *r = record;
  if (!lower_is_true(v)) {
    lower_refuse(l, v, "vars log_skip that is not true");
    return -1;
  }
  r->log_skip = true;
  return 0;
}

static const struct lower_key lower_vars_keys[] = {
  {"handler", NULL, NULL}, {"root", NULL, lower_vars_root}, {"log_skip", NULL, lower_vars_log_skip},
  {"skip_log", NULL, lower_vars_log_skip}, {NULL, NULL, NULL},
};

int lower_vars(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  out->u.vars.roots = arena_alloc(l->a, (h->count + 1) * sizeof *out->u.vars.roots);
  return lower_keys(l, h, lower_vars_keys, "vars", &out->u.vars);
}

/* ---- subroute ---- */

static int lower_subroute_routes(struct lower *l, const struct json *v, void *record)
{
  struct lowered_subroute *s = record;
  s->has_routes = true;
  return lower_routes(l, v, &s->routes, &s->count);
}

static const struct lower_key lower_subroute_keys[] = {
  {"handler", NULL, NULL}, {"routes", NULL, lower_subroute_routes}, {NULL, NULL, NULL},
};

int lower_subroute(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  return lower_keys(l, h, lower_subroute_keys, "subroute", &out->u.subroute);
}

/* ---- headers: response set/add/delete, possibly deferred ---- */

/* Go's http.CanonicalHeaderKey: names with a non-token byte stay as they are */
static const char *lower_canonical_header(struct lower *l, const char *name)
{
  char *r = arena_strdup(l->a, name);
  for (char *p = r; *p; p++)
    if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *p))
      return r;
  bool upper = true;
  for (char *p = r; *p; p++) {
    *p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
    upper = *p == '-';
  }
  return r;
}

/* a field name: placeholders and wildcards are not ours yet */
const char *lower_header_name(struct lower *l, const char *name, const struct json *at)
{
  if (strpbrk(name, "{}*")) {
    lower_refuse(l, at, "header field name '%s'", name);
    return NULL;
  }
  return lower_canonical_header(l, name);
}

/* add or set: field -> values; each value a string with placeholders */
static int lower_header_map(struct lower *l, const struct json *map, struct lowered_field **out, size_t *count)
{
  if (map->kind != JSON_OBJECT) {
    lower_refuse(l, map, "header operation that is not an object");
    return -1;
  }
  *out = arena_alloc(l->a, (map->count + 1) * sizeof **out);
  int bad = 0;
  for (size_t i = 0; i < map->count; i++) {
    const struct json *vals = map->members[i].value;
    const char *name = lower_header_name(l, map->members[i].key, vals);
    if (!name || vals->kind != JSON_ARRAY) {
      if (name)
        lower_refuse(l, vals, "header values that are not a list");
      bad = -1;
      continue;
    }
    struct lowered_field *f = &(*out)[(*count)++];
    *f = (struct lowered_field){.name = name, .pos = lower_pos(l, vals), .count = vals->count};
    f->values = arena_alloc(l->a, (vals->count + 1) * sizeof *f->values);
    for (size_t k = 0; k < vals->count; k++) {
      if (vals->items[k]->kind != JSON_STRING) {
        lower_refuse(l, vals->items[k], "header value that is not a string");
        bad = -1;
      } else if (lower_text(l, vals->items[k], LOWER_PH_KNOWN, &f->values[k]) < 0) {
        bad = -1;
      }
    }
  }
  return bad;
}

int lower_headers_add(struct lower *l, const struct json *v, void *record)
{
  struct lowered_headers *h = record;
  return lower_header_map(l, v, &h->add, &h->add_count);
}

int lower_headers_set(struct lower *l, const struct json *v, void *record)
{
  struct lowered_headers *h = record;
  return lower_header_map(l, v, &h->set, &h->set_count);
}

int lower_headers_delete(struct lower *l, const struct json *list, void *record)
{
  struct lowered_headers *h = record;
  if (!(h->delete_names = lower_items(l, list, sizeof *h->delete_names, "header delete that is not a list")))
    return -1;
  h->delete_pos = arena_alloc(l->a, (list->count + 1) * sizeof *h->delete_pos);
  int bad = 0;
  for (size_t i = 0; i < list->count; i++) {
    const char *name = lower_string(l, list->items[i], "header delete");
    name = name ? lower_header_name(l, name, list->items[i]) : NULL;
    if (!name) {
      bad = -1;
      continue;
    }
    h->delete_pos[h->delete_count] = lower_pos(l, list->items[i]);
    h->delete_names[h->delete_count++] = name;
  }
  return bad;
}

static int lower_headers_deferred(struct lower *l, const struct json *v, void *record)
{
  (void)l;
  struct lowered_headers *h = record;
  h->deferred = h->deferred || lower_is_true(v);   /* a require defers too */
  return 0;
}

static struct lowered_require *lower_require_push(struct lower *l, struct lowered_headers *h, const struct json *at)
{
  struct lowered_require *r = ARENA_PUSH(l->a, h->require, h->require_count, h->require_cap);
  r->pos = lower_pos(l, at);
  return r;
}

/* require.headers: a field that must be absent (null) or present ([]);
 * matching values is not ours yet */
static int lower_require_headers(struct lower *l, const struct json *v, void *record)
{
  struct lowered_headers *h = record;
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "header require that is not an object");
    return -1;
  }
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const struct json *vals = v->members[i].value;
    const char *name = lower_header_name(l, v->members[i].key, vals);
    if (!name || (vals->kind != JSON_NULL && !(vals->kind == JSON_ARRAY && vals->count == 0))) {
      if (name)
        lower_refuse(l, vals, "header require matching the values of '%s'", name);
      bad = -1;
      continue;
    }
    struct lowered_require *r = lower_require_push(l, h, vals);
    r->kind = vals->kind == JSON_NULL ? LOWERED_REQUIRE_ABSENT : LOWERED_REQUIRE_PRESENT;
    r->name = name;
  }
  return bad;
}

/* require.status_code: codes, or 1-5 for a class */
static int lower_require_status(struct lower *l, const struct json *v, void *record)
{
  struct lowered_headers *h = record;
  if (v->kind != JSON_ARRAY) {
    lower_refuse(l, v, "header require status that is not a list");
    return -1;
  }
  for (size_t i = 0; i < v->count; i++) {
    long long code = json_int(v->items[i], -1);
    if (v->items[i]->kind != JSON_NUMBER || code < 1 || code > 999 || (code > 5 && code < 100)) {
      lower_refuse(l, v->items[i], "header require status that is not a code or a class 1-5");
      return -1;
    }
    struct lowered_require *r = lower_require_push(l, h, v->items[i]);
    r->kind = LOWERED_REQUIRE_STATUS;
    r->name = arena_printf(l->a, "%lld", code);
  }
  return 0;
}

static const struct lower_key lower_require_keys[] = {
  {"headers", NULL, lower_require_headers}, {"status_code", NULL, lower_require_status}, {NULL, NULL, NULL},
};

/* require: Caddy defers the handler's ops and applies them only if the response matches */
static int lower_headers_require(struct lower *l, const struct json *v, void *record)
{
  ((struct lowered_headers *)record)->deferred = true;
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "header require that is not an object");
    return -1;
  }
  return lower_keys(l, v, lower_require_keys, "header require", record);
}

static const struct lower_key lower_headers_response_keys[] = {
  {"add", NULL, lower_headers_add}, {"set", NULL, lower_headers_set}, {"delete", NULL, lower_headers_delete},
  {"deferred", NULL, lower_headers_deferred}, {"require", NULL, lower_headers_require}, {NULL, NULL, NULL},
};

static int lower_headers_response(struct lower *l, const struct json *resp, void *record)
{
  struct lowered_headers *h = record;
  h->has_response = true;
  if (resp->kind != JSON_OBJECT) {
    lower_refuse(l, resp, "headers response that is not an object");
    return -1;
  }
  return lower_keys(l, resp, lower_headers_response_keys, "headers response", h);
}

static const struct lower_key lower_headers_keys[] = {
  {"handler", NULL, NULL}, {"response", NULL, lower_headers_response},
  {"request", NULL, lower_headers_request}, {NULL, NULL, NULL},
};

int lower_headers(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  struct lowered_headers *r = &out->u.headers;
  int bad = lower_keys(l, h, lower_headers_keys, "headers", r);
  if (r->deferred && l->deferred_count++ == LOWER_MAX_DEFERRED) {
    lower_refuse(l, h, "more than %d deferred header handlers in one server", LOWER_MAX_DEFERRED);
    return -1;
  }
  return bad;
}

/* ---- the table ---- */

static const struct lower_handler_row {
  enum lowered_handler_kind kind;
  const char *name, *module, *directive;
  int (*fn)(struct lower *, const struct json *, struct lowered_handler *);
} lower_handler_rows[] = {
#define LOWER_HANDLER(kind, module, directive, lower_fn, codegen_fn, action) \
  {LOWERED_##kind, #kind, module, directive, lower_fn},
#include "handlers.def"
#undef LOWER_HANDLER
};

const char *lower_handler_name(enum lowered_handler_kind kind)
{
  return lower_handler_rows[kind].name;
}

int lower_handler(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  const char *name = h->kind == JSON_OBJECT ? json_str(json_object_get(h, "handler")) : NULL;
  if (!name) {
    lower_refuse(l, h, "a handler without a 'handler' name");
    return -1;
  }
  struct srcpos saved = l->pos, saved_origin = l->origin;
  const char *saved_directive = l->directive;
  l->pos = out->pos = lower_pos(l, h);
  l->origin = out->origin = h->origin.line > 0 ? h->origin : l->origin;
  out->directive = lower_directive_name(l, out->origin, NULL);
  int r = LOWER_DECLINE;
  for (size_t i = 0; r == LOWER_DECLINE && i < LOWERED_HANDLER_COUNT; i++)
    if (strcmp(lower_handler_rows[i].module, name) == 0) {
      out->kind = lower_handler_rows[i].kind;
      l->directive = h->origin.line > 0 ? lower_handler_rows[i].directive : l->directive;
      r = lower_handler_rows[i].fn(l, h, out);
    }
  if (r == LOWER_DECLINE) {
    lower_refuse_module(l, h, "handler", name);
    r = -1;
  }
  l->pos = saved;
  l->origin = saved_origin;
  l->directive = saved_directive;
  return r < 0 ? -1 : 0;
}
