/* Request matchers: named definitions (@name ...), the first-argument matcher
 * token of handler directives, and each matcher module's Caddyfile syntax
 * (path, host, method, header, query, expression, not, remote_ip, ...). */
#include <string.h>

#include "adapt.h"

typedef struct json *(*matcher_fn)(struct helper *h, struct dispenser *d);

static struct json *matcher_list(struct helper *h, struct dispenser *d)
{
  struct json *arr = json_new(h->ad->arena, JSON_ARRAY, disp_pos(d));
  while (disp_next(d)) {
    while (disp_next_arg(d))
      jpush(h->ad->arena, arr, jstr(h->ad->arena, disp_val(d), disp_pos(d)));
    if (disp_next_block(d, 0)) {
      disp_errf(d, "malformed matcher: blocks are not supported");
      return NULL;
    }
  }
  return arr;
}

static void matcher_map_add(struct arena *a, struct json *map, const char *key, struct json *v)
{
  struct json *list = json_object_get(map, key);
  if (!list || list->kind != JSON_ARRAY) {
    list = jarr(a);
    jset(a, map, key, list);
  }
  jpush(a, list, v);
}

static struct json *matcher_header(struct helper *h, struct dispenser *d)
{
  return matchers_header_into(h, d, jobj(h->ad->arena));
}

struct json *matchers_header_into(struct helper *h, struct dispenser *d, struct json *m)
{
  struct arena *a = h->ad->arena;
  while (disp_next(d)) {
    const char *field;
    if (!disp_args(d, 1, &field)) {
      disp_errf(d, "malformed header matcher: expected field");
      return NULL;
    }
    if (field[0] == '!') {
      if (!field[1]) {
        disp_errf(d, "malformed header matcher: must have field name following ! character");
        return NULL;
      }
      jset(a, m, field + 1, jnull(a));
      if (disp_next_arg(d)) {
        disp_errf(d, "malformed header matcher: null matching headers cannot have a field value");
        return NULL;
      }
    } else {
      if (!disp_next_arg(d)) {
        disp_errf(d, "malformed header matcher: expected both field and value");
        return NULL;
      }
      matcher_map_add(a, m, go_canonical_header(a, field), jstr(a, disp_val(d), disp_pos(d)));
    }
    if (disp_next_block(d, 0)) {
      disp_errf(d, "malformed header matcher: blocks are not supported");
      return NULL;
    }
  }
  json_object_sort(m);
  return m;
}

static struct json *matcher_query(struct helper *h, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  struct json *m = jobj(a);
  while (disp_next(d)) {
    int n;
    const char **args = disp_remaining_args(d, &n);
    for (int i = 0; i < n; i++) {
      if (!*args[i])
        continue;
      const char *eq = strchr(args[i], '=');
      if (!eq) {
        disp_errf(d, "malformed query matcher token: %s; must be in param=val format", args[i]);
        return NULL;
      }
      matcher_map_add(a, m, arena_strndup(a, args[i], (size_t)(eq - args[i])), jstr(a, eq + 1, disp_pos(d)));
    }
    if (disp_next_block(d, 0)) {
      disp_errf(d, "malformed query matcher: blocks are not supported");
      return NULL;
    }
  }
  json_object_sort(m);
  return m;
}

static struct json *matcher_expression(struct helper *h, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  disp_next(d);
  struct srcpos pos = disp_pos(d);
  if (disp_count_remaining_args(d) > 1) {
    int n;
    const char **raw = disp_remaining_args_raw(d, &n);
    struct strbuf sb;
    strbuf_init(&sb, a);
    for (int i = 0; i < n; i++)
      strbuf_printf(&sb, "%s%s", i ? " " : "", raw[i]);
    return jstr(a, strbuf_cstr(&sb), pos);
  }
  if (!disp_next_arg(d)) {
    disp_arg_err(d);
    return NULL;
  }
  struct json *expr = jstr(a, disp_val(d), disp_pos(d));
  if (!d->context)
    return expr;
  struct json *m = jobj(a);
  jset(a, m, "expr", expr);
  jset(a, m, "name", jstr(a, d->context, pos));
  return m;
}

static struct json *matcher_ip(struct helper *h, struct dispenser *d)
{
  static const char *const private[] = {"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1"};
  struct arena *a = h->ad->arena;
  struct json *ranges = jarr(a);
  while (disp_next(d)) {
    while (disp_next_arg(d)) {
      if (strcmp(disp_val(d), "forwarded") == 0) {
        disp_errf(d, "the 'forwarded' option is no longer supported; use the 'client_ip' matcher instead");
        return NULL;
      }
      if (strcmp(disp_val(d), "private_ranges") == 0)
        for (int i = 0; i < 6; i++)
          jpush(a, ranges, jstr(a, private[i], disp_pos(d)));
      else
        jpush(a, ranges, jstr(a, disp_val(d), disp_pos(d)));
    }
    if (disp_next_block(d, 0)) {
      disp_errf(d, "malformed ip matcher: blocks are not supported");
      return NULL;
    }
  }
  struct json *m = jobj(a);
  jset(a, m, "ranges", ranges);
  return m;
}

static struct json *matcher_regexp_value(struct helper *h, struct dispenser *d, const char *name, const char *pattern)
{
  struct json *r = jobj(h->ad->arena);
  if (!name && d->context)
    name = d->context;
  if (name && *name)
    jset(h->ad->arena, r, "name", jstr(h->ad->arena, name, disp_pos(d)));
  jset(h->ad->arena, r, "pattern", jstr(h->ad->arena, pattern, disp_pos(d)));
  return r;
}

static struct json *matcher_path_regexp(struct helper *h, struct dispenser *d)
{
  struct json *m = NULL;
  while (disp_next(d)) {
    if (m) {
      disp_errf(d, "regular expressions can only be used once per named matcher");
      return NULL;
    }
    int n;
    const char **args = disp_remaining_args(d, &n);
    if (n != 1 && n != 2) {
      disp_arg_err(d);
      return NULL;
    }
    m = matcher_regexp_value(h, d, n == 2 ? args[0] : NULL, args[n - 1]);
    if (disp_next_block(d, 0)) {
      disp_errf(d, "malformed path_regexp matcher: blocks are not supported");
      return NULL;
    }
  }
  return m;
}

/* header_regexp / vars_regexp: [name] field pattern */
static struct json *matcher_field_regexp(struct helper *h, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  struct json *m = jobj(a);
  bool header = strcmp(disp_val(d), "header_regexp") == 0 || d->count == 0 || strcmp(d->tokens[0].text, "header_regexp") == 0;
  while (disp_next(d)) {
    int n;
    const char **args = disp_remaining_args(d, &n);
    if (n != 2 && n != 3) {
      disp_arg_err(d);
      return NULL;
    }
    const char *field = n == 3 ? args[1] : args[0];
    if (header)
      field = go_canonical_header(a, field);
    jset(a, m, field, matcher_regexp_value(h, d, n == 3 ? args[0] : NULL, args[n - 1]));
    if (disp_next_block(d, 0)) {
      disp_errf(d, "malformed regexp matcher: blocks are not supported");
      return NULL;
    }
  }
  json_object_sort(m);
  return m;
}

static struct json *matcher_vars(struct helper *h, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  struct json *m = jobj(a);
  while (disp_next(d)) {
    const char *field;
    if (!disp_args(d, 1, &field)) {
      disp_arg_err(d);
      return NULL;
    }
    struct json *list = jget_or_new(a, m, field, JSON_ARRAY);
    while (disp_next_arg(d))
      jpush(a, list, jstr(a, disp_val(d), disp_pos(d)));
  }
  json_object_sort(m);
  return m;
}

static struct json *matcher_protocol(struct helper *h, struct dispenser *d)
{
  const char *proto = NULL;
  while (disp_next(d))
    if (!disp_args(d, 1, &proto)) {
      disp_arg_err(d);
      return NULL;
    }
  return jstr(h->ad->arena, proto ? proto : "", disp_pos(d));
}

static int matcher_file_sub(struct helper *h, struct dispenser *d, struct json *f, const char *sub)
{
  struct arena *a = h->ad->arena;
  int n;
  if (!strcmp(sub, "try_files") || !strcmp(sub, "split_path")) {
    const char **args = disp_remaining_args(d, &n);
    if (n == 0)
      return disp_arg_err(d);
    struct json *list = jget_or_new(a, f, sub, JSON_ARRAY);
    if (!strcmp(sub, "split_path"))
      list->count = 0;
    for (int i = 0; i < n; i++)
      jpush(a, list, jstr(a, args[i], disp_pos(d)));
    return 0;
  }
  if (!strcmp(sub, "root") || !strcmp(sub, "try_policy") || !strcmp(sub, "fs")) {
    if (!disp_next_arg(d))
      return disp_arg_err(d);
    jset(a, f, sub, jstr(a, disp_val(d), disp_pos(d)));
    return 0;
  }
  return disp_errf(d, "unrecognized subdirective: %s", sub);
}

/* file [files...] { root, try_files, try_policy, split_path }, in MatchFile's field order */
static struct json *matcher_file(struct helper *h, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  struct json *f = jobj(a);
  while (disp_next(d)) {
    int n;
    const char **args = disp_remaining_args(d, &n);
    for (int i = 0; i < n; i++)
      jpush(a, jget_or_new(a, f, "try_files", JSON_ARRAY), jstr(a, args[i], disp_pos(d)));
    while (disp_next_block(d, 0))
      if (matcher_file_sub(h, d, f, disp_val(d)) < 0)
        return NULL;
  }
  static const char *const order[] = {"fs", "root", "try_files", "try_policy", "split_path", NULL};
  json_reorder(a, f, order);
  return f;
}

/* url_pattern <pattern> { base_url URL; ignore_case } */
static struct json *matcher_url_pattern(struct helper *h, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  struct json *m = jobj(a);
  while (disp_next(d)) {
    if (!disp_next_arg(d)) {
      disp_arg_err(d);
      return NULL;
    }
    jset(a, m, "pattern", jstr(a, disp_val(d), disp_pos(d)));
    while (disp_next_block(d, 0)) {
      if (!strcmp(disp_val(d), "base_url") && disp_next_arg(d))
        jset(a, m, "base_url", jstr(a, disp_val(d), disp_pos(d)));
      else if (!strcmp(disp_val(d), "ignore_case"))
        jset(a, m, "ignore_case", jbool(a, true));
      else {
        disp_errf(d, "unrecognized url_pattern option '%s'", disp_val(d));
        return NULL;
      }
    }
  }
  return m;
}

/* tls [early_data]: caddyhttp's MatchTLS */
static struct json *matcher_tls(struct helper *h, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  struct json *m = jobj(a);
  while (disp_next(d)) {
    if (disp_next_arg(d)) {
      if (strcmp(disp_val(d), "early_data")) {
        disp_errf(d, "unrecognized option '%s'", disp_val(d));
        return NULL;
      }
      jset(a, m, "handshake_complete", jbool(a, false));
    }
    if (disp_next_arg(d)) {
      disp_arg_err(d);
      return NULL;
    }
    if (disp_next_block(d, 0)) {
      disp_errf(d, "malformed tls matcher: blocks are not supported yet");
      return NULL;
    }
  }
  return m;
}

static struct json *matcher_not(struct helper *h, struct dispenser *d);

static const struct matcher_row { const char *name; matcher_fn fn; } matcher_table[] = {
  {"path", matcher_list}, {"host", matcher_list}, {"method", matcher_list},
  {"header", matcher_header}, {"query", matcher_query}, {"expression", matcher_expression},
  {"remote_ip", matcher_ip}, {"client_ip", matcher_ip}, {"path_regexp", matcher_path_regexp},
  {"header_regexp", matcher_field_regexp}, {"vars_regexp", matcher_field_regexp},
  {"vars", matcher_vars}, {"protocol", matcher_protocol}, {"file", matcher_file},
  {"not", matcher_not}, {"url_pattern", matcher_url_pattern}, {"tls", matcher_tls},
};

struct json *matchers_unmarshal(struct helper *h, const char *name, struct dispenser *d)
{
  const struct matcher_row *row = TABLE_FIND(matcher_table, name);
  if (row)
    return row->fn(h, d);
  fe_fail(h->ad->err, disp_pos(d), "getting matcher module '%s': module not registered: http.matchers.%s", name, name);
  return NULL;
}

/* Gathers "name args / name { }" segments by matcher name, concatenated, and
 * unmarshals each name once into set (sorted like Go's map). */
static int matcher_collect_set(struct helper *h, struct dispenser *d, struct json *set)
{
  struct { const char *name; struct token_list toks; } groups[32];
  int ngroups = 0;
  for (int nesting = d->nesting; disp_next_arg(d) || disp_next_block(d, nesting);) {
    const char *name = disp_val(d);
    int g;
    for (g = 0; g < ngroups && strcmp(groups[g].name, name) != 0; g++)
      ;
    if (g == ngroups) {
      if (ngroups == 32)
        return disp_errf(d, "too many matchers in one set");
      groups[ngroups].name = name;
      memset(&groups[ngroups++].toks, 0, sizeof groups[0].toks);
    }
    struct dispenser seg = disp_next_segment(d);
    for (long i = 0; i < seg.count; i++)
      *ARENA_PUSH(h->ad->arena, groups[g].toks.items, groups[g].toks.count, groups[g].toks.cap) = seg.tokens[i];
  }
  for (int g = 0; g < ngroups; g++) {
    struct dispenser md;
    disp_init(&md, h->ad->arena, h->ad->err, groups[g].toks.items, (long)groups[g].toks.count);
    md.context = d->context;
    struct json *m = matchers_unmarshal(h, groups[g].name, &md);
    if (!m)
      return -1;
    jset(h->ad->arena, set, groups[g].name, m);
  }
  json_object_sort(set);
  return 0;
}

static struct json *matcher_not(struct helper *h, struct dispenser *d)
{
  struct json *sets = jarr(h->ad->arena);
  while (disp_next(d)) {
    struct json *set = jobj(h->ad->arena);
    if (matcher_collect_set(h, d, set) < 0)
      return NULL;
    jpush(h->ad->arena, sets, set);
  }
  return sets;
}

/* matcher_def := "@name" ( quoted_expr | matcher args | "{" { matcher args } "}" ) */
int matchers_parse_definitions(struct helper *h, struct dispenser *d, struct matcher_defs *defs)
{
  disp_next(d);
  const char *name = disp_val(d);
  for (size_t i = 0; i < defs->count; i++)
    if (strcmp(defs->items[i].name, name) == 0)
      return disp_errf(d, "matcher is defined more than once: %s", name);
  struct matcher_def *def = ARENA_PUSH(h->ad->arena, defs->items, defs->count, defs->cap);
  def->name = name;
  def->set = jobj(h->ad->arena);
  d->context = (void *)(name + 1);
  if (disp_next_arg(d)) {
    struct token *t = disp_token(d);
    if (t->quote) {
      struct token both[2] = {*t, *t};
      both[0].text = "expression";
      both[0].quote = 0;
      struct dispenser ed;
      disp_init(&ed, h->ad->arena, h->ad->err, arena_alloc(h->ad->arena, sizeof both), 2);
      memcpy(ed.tokens, both, sizeof both);
      ed.context = d->context;
      struct json *m = matcher_expression(h, &ed);
      if (!m)
        return -1;
      jset(h->ad->arena, def->set, "expression", m);
      return 0;
    }
    disp_prev(d);
  }
  return matcher_collect_set(h, d, def->set);
}

int matchers_from_token(struct helper *h, const struct token *t, struct json **set)
{
  struct arena *a = h->ad->arena;
  *set = NULL;
  if (strcmp(t->text, "*") == 0)
    return 1;
  if (t->text[0] == '/') {
    *set = jobj(a);
    struct json *paths = jarr(a);
    jpush(a, paths, jstr(a, t->text, (struct srcpos){t->file, t->line, t->col}));
    jset(a, *set, "path", paths);
    return 1;
  }
  if (t->text[0] == '@') {
    for (size_t i = 0; i < h->defs->count; i++)
      if (strcmp(h->defs->items[i].name, t->text) == 0) {
        *set = h->defs->items[i].set;
        return 1;
      }
    return fe_fail(h->ad->err, (struct srcpos){t->file, t->line, t->col}, "unrecognized matcher name: %s", t->text);
  }
  return 0;
}

/* ExtractMatcherSet: consumes a matcher first argument and resets the cursor. */
int matchers_extract_set(struct helper *h, struct json **set)
{
  *set = NULL;
  if (disp_next_arg(&h->d)) {
    int r = matchers_from_token(h, disp_token(&h->d), set);
    if (r < 0)
      return -1;
    if (r == 1) {
      struct dispenser *d = &h->d;
      memmove(&d->tokens[d->cursor], &d->tokens[d->cursor + 1], sizeof d->tokens[0] * (size_t)(d->count - d->cursor - 1));
      d->count--;
    }
  }
  disp_reset(&h->d);
  return 0;
}

struct json *matchers_response(struct helper *h, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  struct json *m = jobj(a);
  disp_next(d);
  for (int nesting = d->nesting; disp_next_arg(d) || disp_next_block(d, nesting);) {
    if (!strcmp(disp_val(d), "header")) {
      struct dispenser seg = disp_next_segment(d);
      if (!matchers_header_into(h, &seg, jget_or_new(a, m, "headers", JSON_OBJECT)))
        return NULL;
    } else if (!strcmp(disp_val(d), "status")) {
      int n;
      const char **args = disp_remaining_args(d, &n);
      if (!n) {
        disp_arg_err(d);
        return NULL;
      }
      struct json *codes = jget_or_new(a, m, "status_code", JSON_ARRAY);
      for (int i = 0; i < n; i++) {
        const char *arg = strlen(args[i]) == 3 && !strcmp(args[i] + 1, "xx") ? arena_strndup(a, args[i], 1) : args[i];
        long long v;
        if (!go_atoi(arg, &v)) {
          disp_errf(d, "bad status value '%s': strconv.Atoi: parsing \"%s\": invalid syntax", arg, arg);
          return NULL;
        }
        jpush(a, codes, jint(a, v, disp_pos(d)));
      }
    } else {
      disp_errf(d, "unrecognized response matcher %s", disp_val(d));
      return NULL;
    }
  }
  return m;
}
