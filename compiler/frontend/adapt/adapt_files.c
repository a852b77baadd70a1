/* Path and file directives: root, rewrite, file_server, try_files and method
 * (Caddy's builtins.go, rewrite and fileserver Caddyfile parsers); uri is
 * adapt_uri.c. */
#include <stdlib.h>
#include <string.h>

#include "adapt.h"

static struct json *handler_new(struct helper *h, const char *name)
{
  struct json *r = jobj(h->ad->arena);
  jset(h->ad->arena, r, "handler", jstr(h->ad->arena, name, disp_pos(&h->d)));
  return r;
}

/* root|rewrite: one argument is the target; two are matcher and target. */
static int adapt_target_with_matcher(struct helper *h, struct config_values *out, const char *handler,
                                     const char *key, const char *what)
{
  disp_next(&h->d);
  int n = disp_count_remaining_args(&h->d);
  if (n == 0)
    return disp_errf(&h->d, "too few arguments; must have at least a %s", what);
  if (n > 2)
    return disp_errf(&h->d, "too many arguments; should only be a matcher and a %s",
                     !strcmp(handler, "vars") ? "path" : "URI");
  struct json *set = NULL;
  if (n == 2) {
    if (matchers_extract_set(h, &set) < 0)
      return -1;
    disp_next(&h->d);
  }
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *r = handler_new(h, handler);
  jset(h->ad->arena, r, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  values_push_route(h, out, route_new(h, set, r));
  return 0;
}

int adapt_root(struct helper *h, struct config_values *out)
{
  return adapt_target_with_matcher(h, out, "vars", "root", "root path");
}

int adapt_rewrite(struct helper *h, struct config_values *out)
{
  return adapt_target_with_matcher(h, out, "rewrite", "uri", "rewrite URI");
}

struct json *adapt_method(struct helper *h)
{
  disp_next(&h->d);
  if (!disp_next_arg(&h->d) || disp_next_arg(&h->d)) {
    disp_arg_err(&h->d);
    return NULL;
  }
  struct json *r = handler_new(h, "rewrite");
  jset(h->ad->arena, r, "method", jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return r;
}

static int cmp_str(const void *x, const void *y)
{
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Helper.Caddyfiles: the files this site's tokens came from, to hide them. */
static struct json *file_server_hide(struct helper *h, struct json *hide)
{
  const char *files[64];
  size_t n = 0;
  for (size_t s = 0; h->block && s < h->block->nsegs; s++)
    for (size_t t = 0; t < h->block->segments[s].count; t++) {
      const char *f = h->block->segments[s].tokens[t].file;
      bool seen = false;
      for (size_t k = 0; k < n; k++)
        seen = seen || !strcmp(files[k], f);
      if (!seen && n < 64)
        files[n++] = f;
    }
  if (n)
    qsort(files, n, sizeof files[0], cmp_str);
  for (size_t i = 0; i < n; i++) {
    const char *f = strchr(files[i], '/') ? files[i] : arena_printf(h->ad->arena, "./%s", files[i]);
    bool hidden = false;
    for (size_t k = 0; hide && k < hide->count; k++)
      hidden = hidden || !strcmp(json_str(hide->items[k]), f);
    if (hidden)
      continue;
    hide = hide ? hide : jarr(h->ad->arena);
    jpush(h->ad->arena, hide, jstr(h->ad->arena, f, (struct srcpos){0}));
  }
  return hide;
}

/* hide / index / etag_file_extensions NAME...: a list under key; a repeated
 * hide adds to the list, the others replace it */
static int file_server_list(struct helper *h, struct json *r, const char *key)
{
  int n;
  const char *const *args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  struct json *list = json_object_get(r, key);
  if (!strcmp(key, "hide") && list)
    for (int i = 0; i < n; i++)
      jpush(h->ad->arena, list, jstr(h->ad->arena, args[i], disp_pos(&h->d)));
  else
    jset(h->ad->arena, r, key, jstrarr(h->ad->arena, args, n, disp_pos(&h->d)));
  return 0;
}

/* root / fs PATH: one string */
static int file_server_string(struct helper *h, struct json *r, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (!strcmp(key, "fs") && json_object_get(r, key))
    return disp_errf(&h->d, "file system already specified");
  jset(h->ad->arena, r, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

/* status CODE|PLACEHOLDER: a number when it is one */
static int file_server_status(struct helper *h, struct json *r, const char *key)
{
  struct arena *a = h->ad->arena;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  long long code;
  const char *v = disp_val(&h->d);
  jset(a, r, key, go_atoi(v, &code) ? jint(a, code, disp_pos(&h->d)) : jstr(a, v, disp_pos(&h->d)));
  return 0;
}

/* precompressed [FORMAT...] (br zstd gzip by default) */
static int file_server_precompressed(struct helper *h, struct json *r, const char *key)
{
  static const char *const defaults[] = {"br", "zstd", "gzip"};
  struct arena *a = h->ad->arena;
  int n;
  const char *const *args = disp_remaining_args(&h->d, &n);
  if (!n)
    args = defaults, n = 3;
  struct json *pre = jobj(a);
  for (int i = 0; i < n; i++) {
    if (strcmp(args[i], "br") && strcmp(args[i], "gzip") && strcmp(args[i], "zstd"))
      return disp_errf(&h->d, "getting module named 'http.precompressed.%s': module not registered: http.precompressed.%s",
                       args[i], args[i]);
    jset(a, pre, args[i], jobj(a));
  }
  jset(a, r, key, pre);
  jset(a, r, "precompressed_order", jstrarr(a, args, n, disp_pos(&h->d)));
  return 0;
}

/* disable_canonical_uris (canonical_uris false) / pass_thru (true): no arguments */
static int file_server_bool(struct helper *h, struct json *r, const char *key)
{
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, r, key, jbool(h->ad->arena, strcmp(key, "canonical_uris") != 0));
  return 0;
}

/* browse's sort NAME|ORDER...: each one Caddy knows */
static int file_server_browse_sort(struct helper *h, struct json *browse)
{
  static const char *const known[] = {"name", "namedirfirst", "size", "time", "asc", "desc"};
  struct json *list = jget_or_new(h->ad->arena, browse, "sort", JSON_ARRAY);
  while (disp_next_arg(&h->d)) {
    const char *v = disp_val(&h->d);
    size_t i = 0;
    while (i < sizeof known / sizeof known[0] && strcmp(known[i], v))
      i++;
    if (i == sizeof known / sizeof known[0])
      return disp_errf(&h->d, "unknown sort option '%s'", v);
    jpush(h->ad->arena, list, jstr(h->ad->arena, v, disp_pos(&h->d)));
  }
  if (!list->count)            /* omitempty */
    json_object_delete(browse, "sort");
  return 0;
}

/* browse's file_limit N: exactly one argument; Caddy's Atoi error gives 0 */
static int file_server_browse_limit(struct helper *h, struct json *browse)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n != 1)
    return disp_errf(&h->d, "file_limit should have an integer value");
  long long v;
  if (!go_atoi(args[0], &v))
    v = 0;
  if (json_object_get(browse, "file_limit"))
    return disp_errf(&h->d, "file_limit is already enabled");
  if (v)
    jset(h->ad->arena, browse, "file_limit", jint(h->ad->arena, v, disp_pos(&h->d)));
  return 0;
}

/* browse [TEMPLATE] { reveal_symlinks; sort ...; file_limit N } */
static int file_server_browse(struct helper *h, struct json *r, const char *key)
{
  struct arena *a = h->ad->arena;
  if (json_object_get(r, key))
    return disp_errf(&h->d, "browsing is already configured");
  struct json *browse = jobj(a);
  if (disp_next_arg(&h->d))
    jset(a, browse, "template_file", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    int rc = 0;
    if (!strcmp(sub, "reveal_symlinks")) {
      if (json_object_get(browse, "reveal_symlinks"))
        return disp_errf(&h->d, "Symlinks path reveal is already enabled");
      jset(a, browse, "reveal_symlinks", jbool(a, true));
    } else if (!strcmp(sub, "sort"))
      rc = file_server_browse_sort(h, browse);
    else if (!strcmp(sub, "file_limit"))
      rc = file_server_browse_limit(h, browse);
    else
      return disp_errf(&h->d, "unknown subdirective '%s'", sub);
    if (rc < 0)
      return -1;
  }
  json_object_sort(browse);
  jset(a, r, key, browse);
  return 0;
}

/* file_server's subdirectives: the parser and the handler key each sets */
static const struct file_server_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *r, const char *key);
  const char *key;
} file_server_rows[] = {
  {"hide", file_server_list, "hide"},
  {"index", file_server_list, "index_names"},
  {"etag_file_extensions", file_server_list, "etag_file_extensions"},
  {"root", file_server_string, "root"},
  {"fs", file_server_string, "fs"},
  {"status", file_server_status, "status_code"},
  {"precompressed", file_server_precompressed, "precompressed"},
  {"disable_canonical_uris", file_server_bool, "canonical_uris"},
  {"pass_thru", file_server_bool, "pass_thru"},
  {"browse", file_server_browse, "browse"},
};

static int file_server_option(struct helper *h, struct json *r, const char *sub)
{
  const struct file_server_row *row = TABLE_FIND(file_server_rows, sub);
  if (!row)
    return disp_errf(&h->d, "unknown subdirective '%s'", sub);
  return row->parse(h, r, row->key);
}

/* file_server [matcher] [browse] { ... } */
struct json *adapt_file_server(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = handler_new(h, "file_server");
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n > 1 || (n == 1 && strcmp(args[0], "browse"))) {
    disp_arg_err(&h->d);
    return NULL;
  }
  if (n == 1)
    jset(a, r, "browse", jobj(a));
  while (disp_next_block(&h->d, 0))
    if (file_server_option(h, r, disp_val(&h->d)) < 0)
      return NULL;
  struct json *hide = file_server_hide(h, json_object_get(r, "hide"));
  if (hide)
    jset(a, r, "hide", hide);
  return r;
}

static void try_files_route(struct helper *h, struct config_values *out, struct json *set_base,
                            const char **try, int n, const char *query, const char *policy)
{
  struct arena *a = h->ad->arena;
  struct json *file = jobj(a), *set = set_base ? json_clone(a, set_base) : jobj(a);
  jset(a, file, "try_files", jstrarr(a, try, n, disp_pos(&h->d)));
  if (policy)
    jset(a, file, "try_policy", jstr(a, policy, disp_pos(&h->d)));
  jset(a, set, "file", file);
  json_object_sort(set);
  struct json *r = handler_new(h, "rewrite");
  jset(a, r, "uri", jstr(a, arena_printf(a, "{http.matchers.file.relative}%s", query), disp_pos(&h->d)));
  values_push_route(h, out, route_new(h, set, r));
}

int adapt_try_files(struct helper *h, struct config_values *out)
{
  disp_next(&h->d);
  int n;
  const char **files = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  const char *policy = NULL;
  while (disp_next_block(&h->d, 0))
    if (!strcmp(disp_val(&h->d), "policy")) {
      if (policy)
        return disp_errf(&h->d, "try policy already configured");
      if (!disp_next_arg(&h->d))
        return disp_arg_err(&h->d);
      policy = disp_val(&h->d);
    }
  struct config_values vals = {0};
  const char **try = arena_alloc(h->ad->arena, sizeof *try * (size_t)n);
  int ntry = 0;
  for (int i = 0; i < n; i++) {
    const char *q = strchr(files[i], '?');
    if (!q) {
      try[ntry++] = files[i];
      continue;
    }
    if (ntry)
      try_files_route(h, &vals, NULL, try, ntry, "", policy);
    ntry = 0;
    const char *one = arena_strndup(h->ad->arena, files[i], (size_t)(q - files[i]));
    try_files_route(h, &vals, NULL, &one, 1, q, policy);
  }
  if (ntry)
    try_files_route(h, &vals, NULL, try, ntry, "", policy);
  if (vals.count == 1) {
    *ARENA_PUSH(h->ad->arena, out->items, out->count, out->cap) = vals.items[0];
    return 0;
  }
  struct json *routes = jarr(h->ad->arena);
  for (size_t i = 0; i < vals.count; i++)
    jpush(h->ad->arena, routes, vals.items[i].value);
  values_push_route(h, out, route_new(h, NULL, subroute_handler(h->ad->arena, routes)));
  return 0;
}
