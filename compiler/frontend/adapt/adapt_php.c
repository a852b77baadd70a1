/* Shortcuts built on reverse_proxy: php_fastcgi (index redirect, try_files
 * rewrite, fastcgi transport) and forward_auth (auth subrequest, copied
 * headers), following Caddy's fastcgi and forwardauth Caddyfile parsers. */
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

struct php_options {
  struct json *transport;
  const char **split;
  int nsplit;
  const char *index;
  const char **try_files;
  int ntry;
};

/* The rest of the line's arguments, deleted with the subdirective's name. */
static const char **php_take_args(struct dispenser *d, int *n)
{
  const char **args = disp_remaining_args(d, n);
  disp_delete_n(d, *n + 1);
  return args;
}

/* root PATH */
static int php_root(struct helper *h, struct dispenser *d, struct php_options *o, const char *sub)
{
  if (!disp_next_arg(d))
    return disp_arg_err(d);
  jset(h->ad->arena, o->transport, sub, jstr(h->ad->arena, disp_val(d), disp_pos(d)));
  disp_delete_n(d, 2);
  return 0;
}

/* split SUFFIX... */
static int php_split(struct helper *h, struct dispenser *d, struct php_options *o, const char *sub)
{
  (void)h, (void)sub;
  o->split = php_take_args(d, &o->nsplit);
  return o->nsplit ? 0 : disp_arg_err(d);
}

/* env KEY VALUE */
static int php_env(struct helper *h, struct dispenser *d, struct php_options *o, const char *sub)
{
  struct arena *a = h->ad->arena;
  int n;
  const char **args = php_take_args(d, &n);
  if (n != 2)
    return disp_arg_err(d);
  jset(a, jget_or_new(a, o->transport, sub, JSON_OBJECT), args[0], jstr(a, args[1], disp_pos(d)));
  return 0;
}

/* index FILE|off */
static int php_index(struct helper *h, struct dispenser *d, struct php_options *o, const char *sub)
{
  (void)h, (void)sub;
  int n;
  const char **args = php_take_args(d, &n);
  if (n != 1)
    return disp_arg_err(d);
  o->index = args[0];
  return 0;
}

/* try_files FILE... */
static int php_try_files(struct helper *h, struct dispenser *d, struct php_options *o, const char *sub)
{
  (void)h, (void)sub;
  o->try_files = php_take_args(d, &o->ntry);
  return o->ntry ? 0 : disp_arg_err(d);
}

/* resolve_root_symlink / capture_stderr (arguments ignored) */
static int php_flag(struct helper *h, struct dispenser *d, struct php_options *o, const char *sub)
{
  int n;
  php_take_args(d, &n);
  jset(h->ad->arena, o->transport, sub, jbool(h->ad->arena, true));
  return 0;
}

/* dial_timeout / read_timeout / write_timeout DURATION */
static int php_timeout(struct helper *h, struct dispenser *d, struct php_options *o, const char *sub)
{
  int n;
  const char **args = php_take_args(d, &n);
  if (n != 1)
    return disp_arg_err(d);
  struct json *v = go_duration_json(&h->d, args[0]);
  if (!v)
    return -1;
  jset(h->ad->arena, o->transport, sub, v);
  return 0;
}

/* The php_fastcgi-only subdirectives, deleted so reverse_proxy does not see them. */
static const struct php_row {
  const char *name;
  int (*parse)(struct helper *h, struct dispenser *d, struct php_options *o, const char *sub);
} php_rows[] = {
  {"root", php_root}, {"split", php_split}, {"env", php_env}, {"index", php_index},
  {"try_files", php_try_files}, {"resolve_root_symlink", php_flag}, {"capture_stderr", php_flag},
  {"dial_timeout", php_timeout}, {"read_timeout", php_timeout}, {"write_timeout", php_timeout},
};

/* 0 with the subdirective taken out when it is php_fastcgi's, 0 and untouched when it is reverse_proxy's */
static int php_option(struct helper *h, struct dispenser *d, struct php_options *o)
{
  const char *sub = disp_val(d);
  const struct php_row *row = TABLE_FIND(php_rows, sub);
  return row ? row->parse(h, d, o, sub) : 0;
}

static struct json *php_route(struct arena *a, struct json *set, struct json *handler)
{
  struct json *r = jobj(a), *match = jarr(a), *handle = jarr(a);
  jpush(a, match, set);
  json_sort_deep(handler);
  jpush(a, handle, handler);
  jset(a, r, "match", match);
  jset(a, r, "handle", handle);
  return r;
}

static struct json *php_redirect_route(struct arena *a, const char *dir_index)
{
  struct json *set = jobj(a), *file = jobj(a), *not = jarr(a), *inner = jobj(a), *h = jobj(a), *hdrs = jobj(a);
  const char *star = "*/";
  jset(a, file, "try_files", jstrarr(a, &dir_index, 1, (struct srcpos){0}));
  jset(a, inner, "path", jstrarr(a, &star, 1, (struct srcpos){0}));
  jpush(a, not, inner);
  jset(a, set, "file", file);
  jset(a, set, "not", not);
  const char *loc = "{http.request.orig_uri.path}/{http.request.orig_uri.prefixed_query}";
  jset(a, hdrs, "Location", jstrarr(a, &loc, 1, (struct srcpos){0}));
  jset(a, h, "handler", jstr(a, "static_response", (struct srcpos){0}));
  jset(a, h, "headers", hdrs);
  jset(a, h, "status_code", jint(a, 308, (struct srcpos){0}));
  return php_route(a, set, h);
}

static void php_index_routes(struct arena *a, struct php_options *o, struct json *routes)
{
  const char *dir_index = arena_printf(a, "{http.request.uri.path}/%s", o->index);
  const char *policy = "first_exist_fallback";
  bool redir = false;
  if (!o->ntry) {
    const char **defaults = arena_alloc(a, sizeof *defaults * 3);
    defaults[0] = "{http.request.uri.path}";
    defaults[1] = dir_index;
    defaults[2] = o->index;
    o->try_files = defaults;
    o->ntry = 3;
    redir = true;
  } else {
    size_t n = strlen(o->try_files[o->ntry - 1]);
    if (n < 4 || strcmp(o->try_files[o->ntry - 1] + n - 4, ".php"))
      policy = NULL;
    for (int i = 0; i < o->ntry; i++)
      redir = redir || !strcmp(o->try_files[i], dir_index);
  }
  if (redir)
    jpush(a, routes, php_redirect_route(a, dir_index));
  struct json *set = jobj(a), *file = jobj(a), *rw = jobj(a);
  jset(a, file, "try_files", jstrarr(a, o->try_files, o->ntry, (struct srcpos){0}));
  if (policy)
    jset(a, file, "try_policy", jstr(a, policy, (struct srcpos){0}));
  jset(a, file, "split_path", jstrarr(a, o->split, o->nsplit, (struct srcpos){0}));
  jset(a, set, "file", file);
  jset(a, rw, "handler", jstr(a, "rewrite", (struct srcpos){0}));
  jset(a, rw, "uri", jstr(a, "{http.matchers.file.relative}", (struct srcpos){0}));
  jpush(a, routes, php_route(a, set, rw));
}

/* The directive's tokens without a matcher, as a fresh dispenser (NewFromNextSegment after a reset). */
static struct dispenser php_tokens(struct helper *h)
{
  struct dispenser d;
  struct token *toks = arena_alloc(h->ad->arena, sizeof *toks * (size_t)(h->d.count + 1));
  if (h->d.count)
    memcpy(toks, h->d.tokens, sizeof *toks * (size_t)h->d.count);
  disp_init(&d, h->ad->arena, h->ad->err, toks, h->d.count);
  return d;
}

int adapt_php_fastcgi(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  struct json *set;
  if (matchers_extract_set(h, &set) < 0)
    return -1;
  static const char *php_ext = ".php";
  struct php_options o = {.transport = jobj(a), .split = &php_ext, .nsplit = 1, .index = "index.php"};
  struct helper sub = *h;
  sub.d = php_tokens(h);
  while (disp_next(&sub.d))
    while (disp_next_block(&sub.d, 0))
      if (sub.d.nesting == 1 && php_option(h, &sub.d, &o) < 0)
        return -1;
  disp_reset(&sub.d);
  jset(a, o.transport, "split_path", jstrarr(a, o.split, o.nsplit, (struct srcpos){0}));
  struct json *routes = jarr(a);
  if (strcmp(o.index, "off"))
    php_index_routes(a, &o, routes);
  struct proxy p;
  proxy_init(&sub, &p);
  p.transport = o.transport;
  p.transport_name = "fastcgi";
  if (proxy_unmarshal(&sub, &p) < 0 || proxy_finish(&sub, &p) < 0)
    return -1;
  struct json *pset = jobj(a), *paths = jarr(a);
  for (int i = 0; i < o.nsplit; i++)
    jpush(a, paths, jstr(a, arena_printf(a, "*%s", o.split[i]), (struct srcpos){0}));
  jset(a, pset, "path", paths);
  jpush(a, routes, php_route(a, pset, p.handler));
  if (set) {
    values_push_route(h, out, route_new(h, set, subroute_handler(a, routes)));
    return 0;
  }
  struct json *sr = jobj(a);
  jset(a, sr, "routes", routes);
  values_push_route(h, out, sr);
  out->items[out->count - 1].is_subroute = true;
  return 0;
}

struct copy_header {
  const char *from, *to;
};

/* forward_auth's own subdirectives (uri, copy_headers), deleted as they are read. */
static int forward_auth_option(struct helper *h, struct dispenser *d, struct json *rewrite,
                               struct copy_header *copies, int *ncopies)
{
  struct arena *a = h->ad->arena;
  if (!strcmp(disp_val(d), "uri")) {
    if (!disp_next_arg(d))
      return disp_arg_err(d);
    if (json_object_get(rewrite, "uri"))
      return disp_errf(d, "cannot re-declare uri: %s", disp_val(d));
    jset(a, rewrite, "uri", jstr(a, disp_val(d), disp_pos(d)));
    disp_delete_n(d, 2);
    return 0;
  }
  if (strcmp(disp_val(d), "copy_headers"))
    return 0;
  int n;
  const char **args = disp_remaining_args(d, &n);
  const char *all[64];
  int nall = 0;
  for (int i = 0; i < n && nall < 64; i++)
    all[nall++] = args[i];
  bool had_block = false;
  for (int nest = d->nesting; disp_next_block(d, nest) && nall < 64;) {
    had_block = true;
    all[nall++] = disp_val(d);
  }
  disp_delete_n(d, nall + 1);
  if (had_block)
    disp_delete_n(d, 2);
  for (int i = 0; i < nall && *ncopies < 64; i++) {
    const char *gt = strchr(all[i], '>');
    const char *from = gt ? arena_strndup(a, all[i], (size_t)(gt - all[i])) : all[i];
    int k;
    for (k = 0; k < *ncopies && strcmp(copies[k].from, from); k++)
      ;
    copies[k].from = from;
    copies[k].to = gt ? gt + 1 : all[i];
    if (k == *ncopies)
      (*ncopies)++;
  }
  return *ncopies ? 0 : disp_arg_err(d);
}

static int copy_header_cmp(const void *x, const void *y)
{
  return strcmp(((const struct copy_header *)x)->from, ((const struct copy_header *)y)->from);
}

static struct json *headers_handler(struct arena *a, const char *op, const char *field, const char *value)
{
  struct json *hd = jobj(a), *req = jobj(a);
  jset(a, hd, "handler", jstr(a, "headers", (struct srcpos){0}));
  if (value) {
    struct json *set = jobj(a);
    jset(a, set, field, jstrarr(a, &value, 1, (struct srcpos){0}));
    jset(a, req, op, set);
  } else
    jset(a, req, op, jstrarr(a, &field, 1, (struct srcpos){0}));
  jset(a, hd, "request", req);
  return hd;
}

/* The 2xx response handler: copy the chosen auth response headers onto the request. */
static struct json *forward_auth_good_response(struct helper *h, struct copy_header *copies, int n)
{
  struct arena *a = h->ad->arena;
  struct json *rh = jobj(a), *match = jobj(a), *routes = jarr(a), *vars = jobj(a);
  jset(a, match, "status_code", jarr(a));
  jpush(a, json_object_get(match, "status_code"), jint(a, 2, (struct srcpos){0}));
  jset(a, rh, "match", match);
  jset(a, vars, "handler", jstr(a, "vars", (struct srcpos){0}));
  jpush(a, routes, route_new(h, NULL, vars));
  if (n)
    qsort(copies, (size_t)n, sizeof copies[0], copy_header_cmp);
  for (int i = 0; i < n; i++) {
    const char *to = go_canonical_header(a, copies[i].to);
    const char *ph = arena_printf(a, "{http.reverse_proxy.header.%s}", go_canonical_header(a, copies[i].from));
    jpush(a, routes, route_new(h, NULL, headers_handler(a, "delete", to, NULL)));
    struct json *set = jobj(a), *not = jarr(a), *inner = jobj(a), *vm = jobj(a);
    const char *empty = "";
    jset(a, vm, ph, jstrarr(a, &empty, 1, (struct srcpos){0}));
    jset(a, inner, "vars", vm);
    jpush(a, not, inner);
    jset(a, set, "not", not);
    jpush(a, routes, route_new(h, set, headers_handler(a, "set", to, ph)));
  }
  jset(a, rh, "routes", routes);
  return rh;
}

int adapt_forward_auth(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  if (!disp_next(&h->d))
    return disp_arg_err(&h->d);
  struct json *set;
  if (matchers_extract_set(h, &set) < 0)
    return -1;
  struct helper sub = *h;
  sub.d = php_tokens(h);
  struct proxy p;
  proxy_init(&sub, &p);
  struct json *rewrite = jobj(a), *headers = jobj(a), *req = jobj(a), *setops = jobj(a);
  jset(a, rewrite, "method", jstr(a, "GET", (struct srcpos){0}));
  const char *m = "{http.request.method}", *u = "{http.request.uri}";
  jset(a, setops, "X-Forwarded-Method", jstrarr(a, &m, 1, (struct srcpos){0}));
  jset(a, setops, "X-Forwarded-Uri", jstrarr(a, &u, 1, (struct srcpos){0}));
  jset(a, req, "set", setops);
  jset(a, headers, "request", req);
  jset(a, p.handler, "headers", headers);
  jset(a, p.handler, "rewrite", rewrite);
  struct copy_header copies[64];
  int ncopies = 0;
  while (disp_next(&sub.d))
    while (disp_next_block(&sub.d, 0))
      if (sub.d.nesting == 1 && forward_auth_option(h, &sub.d, rewrite, copies, &ncopies) < 0)
        return -1;
  disp_reset(&sub.d);
  if (!json_object_get(rewrite, "uri"))
    return disp_errf(&sub.d, "the 'uri' subdirective is required");
  jpush(a, jget_or_new(a, p.handler, "handle_response", JSON_ARRAY), forward_auth_good_response(h, copies, ncopies));
  if (proxy_unmarshal(&sub, &p) < 0 || proxy_finish(&sub, &p) < 0)
    return -1;
  values_push_route(h, out, route_new(h, set, p.handler));
  return 0;
}
