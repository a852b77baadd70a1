/* Directive dispatch through the adaptation's table (the rows of
 * directives.def, installed by httptype_setup, so that this file never names
 * a directive), handler directives' matcher extraction, config values, and
 * building subroutes out of a segment's directives. */
#include <string.h>

#include "adapt.h"

/* The row for name in this adaptation's table (directive_table.c). */
static const struct directive *directive_find(struct adapt *ad, const char *name)
{
  return table_find(ad->directives, ad->ndirectives, sizeof ad->directives[0], name);
}

bool directive_known(struct adapt *ad, const char *name)
{
  return directive_find(ad, name) != NULL;
}

struct json *route_new(struct helper *h, struct json *matcher_set, struct json *handler)
{
  struct arena *a = h->ad->arena;
  struct json *route = jobj(a);
  if (matcher_set) {
    struct json *match = jarr(a);
    jpush(a, match, matcher_set);
    jset(a, route, "match", match);
  }
  if (handler) {
    struct json *handle = jarr(a);
    jpush(a, handle, handler);
    jset(a, route, "handle", handle);
  }
  return route;
}

void values_push(struct helper *h, struct config_values *out, const char *class, struct json *v)
{
  struct config_value *cv = ARENA_PUSH(h->ad->arena, out->items, out->count, out->cap);
  cv->class = class;
  cv->value = v;
}

void values_push_route(struct helper *h, struct config_values *out, struct json *route)
{
  values_push(h, out, "route", route);
}

size_t site_pile_count(const struct site *s, const char *class)
{
  size_t n = 0;
  for (size_t i = 0; i < s->pile.count; i++)
    n += strcmp(s->pile.items[i].class, class) == 0;
  return n;
}

/* RegisterHandlerDirective's wrapper: matcher from the first argument, then the handler. */
static int directive_run_handler(struct helper *h, handler_fn fn, struct config_values *out)
{
  if (!disp_next(&h->d))
    return disp_arg_err(&h->d);
  struct json *set;
  if (matchers_extract_set(h, &set) < 0)
    return -1;
  struct json *handler = fn(h);
  if (!handler)
    return -1;
  if (handler->kind == JSON_NULL)
    return 0;
  values_push_route(h, out, route_new(h, set, handler));
  return 0;
}

/* the directive token becomes the origin of the objects it produced that
 * have none yet (an inner directive stamped its own), so that zsc can name
 * the directive as written when it refuses one */
static void directive_stamp(struct json *v, struct srcpos at)
{
  if (v->kind == JSON_OBJECT && !v->origin.line)
    v->origin = at;
  for (size_t i = 0; (v->kind == JSON_ARRAY || v->kind == JSON_OBJECT) && i < v->count; i++)
    directive_stamp(v->kind == JSON_ARRAY ? v->items[i] : v->members[i].value, at);
}

int directive_run(struct helper *h, const char *name, struct config_values *out)
{
  const struct directive *dir = directive_find(h->ad, name);
  size_t first = out->count;
  int r = dir->handler ? directive_run_handler(h, dir->handler, out) : dir->raw(h, out);
  const char *norm = strcmp(name, "handle_path") == 0 ? "handle" : name;
  struct srcpos at = {h->d.tokens[0].file, h->d.tokens[0].line, h->d.tokens[0].col};
  for (size_t i = first; i < out->count; i++) {
    out->items[i].directive = norm;
    if (out->items[i].value)
      directive_stamp(out->items[i].value, at);
  }
  return r;
}

const char *group_next(struct adapt *ad, int *counter)
{
  (void)ad;
  return arena_printf(ad->arena, "group%d", (*counter)++);
}

struct json *subroute_handler(struct arena *a, struct json *routes)
{
  struct json *sr = jobj(a);
  jset(a, sr, "handler", jstr(a, "subroute", (struct srcpos){0}));
  if (routes && routes->count)
    jset(a, sr, "routes", routes);
  return sr;
}

/* Caddy's buildSubroute: order check and sort, mutually exclusive groups
 * (handle, rewrite always, root), then consolidation. Returns the routes. */
struct json *subroute_build(struct helper *h, struct config_values *routes, bool sort)
{
  struct arena *a = h->ad->arena;
  if (sort) {
    for (size_t i = 0; i < routes->count; i++)
      if (!directive_is_ordered(h->ad, routes->items[i].directive)) {
        fe_fail(h->ad->err, disp_pos(&h->d), "directive '%s' is not an ordered HTTP handler, so it cannot be used here - "
                "try placing within a route block or using the order global option", routes->items[i].directive);
        return NULL;
      }
    sort_routes(h->ad, routes);
  }
  static const char *const exclusive[] = {"handle", "rewrite", "root"};
  const char *groups[3] = {0};
  for (int k = 0; k < 3; k++) {
    int count = 0;
    for (size_t i = 0; i < routes->count; i++)
      count += strcmp(routes->items[i].directive, exclusive[k]) == 0;
    if (count > 1 || k == 1)
      groups[k] = group_next(h->ad, h->groups);
  }
  struct json *list = jarr(a);
  for (size_t i = 0; i < routes->count; i++) {
    struct config_value *v = &routes->items[i];
    for (int k = 0; k < 3; k++)
      if (strcmp(v->directive, exclusive[k]) == 0 && groups[k] && !v->is_subroute)
        jset(a, v->value, "group", jstr(a, groups[k], (struct srcpos){0}));
    if (v->is_subroute) {
      struct json *inner = json_object_get(v->value, "routes");
      for (size_t k = 0; inner && k < inner->count; k++)
        jpush(a, list, inner->items[k]);
    } else
      jpush(a, list, v->value);
  }
  return routes_consolidate(a, list);
}

/* parseSegmentAsConfig: the block's lines are directives of their own, with
 * matcher definitions scoped to the block. */
int segment_as_config(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  while (disp_next(&h->d)) {
    if (disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    struct dispenser segs[256];
    int nsegs = 0;
    for (int nesting = h->d.nesting; disp_next_block(&h->d, nesting);) {
      if (nsegs == 256)
        return disp_errf(&h->d, "too many directives in one block");
      segs[nsegs++] = disp_next_segment(&h->d);
    }
    struct matcher_defs *defs = arena_alloc(a, sizeof *defs);
    for (size_t i = 0; i < h->defs->count; i++)
      *ARENA_PUSH(a, defs->items, defs->count, defs->cap) = h->defs->items[i];
    struct helper sub = *h;
    sub.defs = defs;
    for (int i = 0; i < nsegs; i++)
      if (segs[i].tokens[0].text[0] == '@' && matchers_parse_definitions(&sub, &segs[i], defs) < 0)
        return -1;
    for (int i = 0; i < nsegs; i++) {
      const char *dir = segs[i].tokens[0].text;
      if (dir[0] == '@')
        continue;
      if (!directive_known(h->ad, dir)) {
        disp_errf(&h->d, "unrecognized directive: %s - are you sure your Caddyfile structure (nesting and braces) is correct?", dir);
        h->d.err->pos = (struct srcpos){segs[i].tokens[0].file, segs[i].tokens[0].line, segs[i].tokens[0].col};
        return -1;             /* Caddy's text names the block's end; the caret goes under the directive */
      }
      sub.d = segs[i];
      if (directive_run(&sub, dir, out) < 0) {
        return disp_wrap(&h->d, "parsing caddyfile tokens for '%s': ", dir);
      }
    }
  }
  return 0;
}

struct json *segment_as_subroute(struct helper *h, bool sort)
{
  struct config_values vals = {0};
  if (segment_as_config(h, &vals) < 0)
    return NULL;
  struct json *routes = subroute_build(h, &vals, sort);
  return routes ? subroute_handler(h->ad->arena, routes) : NULL;
}
