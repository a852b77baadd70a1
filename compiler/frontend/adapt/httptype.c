/* The typed setup (Caddy's ServerType.Setup): global options, named routes,
 * shorthand replacement, matcher definitions, each directive of each site,
 * then servers and the apps, assembled in Go's key order. */
#include <string.h>

#include "adapt.h"

static void httptype_apply_shorthands(struct adapt *ad, struct server_block *b)
{
  for (size_t s = 0; s < b->nsegs; s++)
    for (size_t t = 0; t < b->segments[s].count; t++)
      b->segments[s].tokens[t].text = shorthand_apply(ad->arena, b->segments[s].tokens[t].text);
}

static struct dispenser httptype_segment_dispenser(struct adapt *ad, struct segment *seg)
{
  struct dispenser d;
  struct token *copy = arena_alloc(ad->arena, sizeof *copy * (seg->count + 1));
  if (seg->count)
    memcpy(copy, seg->tokens, sizeof *copy * seg->count);
  disp_init(&d, ad->arena, ad->err, copy, (long)seg->count);
  return d;
}

/* extractNamedRoutes: &(name) blocks become routes invoked by name. */
static int httptype_named_route(struct adapt *ad, struct server_block *b)
{
  if (!b->nsegs)
    return 0;
  httptype_apply_shorthands(ad, b);
  struct segment whole = {0};
  for (size_t s = 0; s < b->nsegs; s++)
    for (size_t t = 0; t < b->segments[s].count; t++)
      *ARENA_PUSH(ad->arena, whole.tokens, whole.count, whole.cap) = b->segments[s].tokens[t];
  struct matcher_defs defs = {0};
  struct helper h = {.ad = ad, .defs = &defs, .block = b, .groups = &ad->named_group_counter};
  h.d = httptype_segment_dispenser(ad, &whole);
  ad->invoked = (struct name_list){0};
  struct json *sr = segment_as_subroute(&h, true);
  if (!sr)
    return -1;
  struct json *route = jobj(ad->arena), *handle = jarr(ad->arena);
  struct json *routes = json_object_get(sr, "routes");
  if (routes && routes->count == 1 && !json_object_get(routes->items[0], "match"))
    jpush(ad->arena, handle, json_object_get(routes->items[0], "handle")->items[0]);
  else
    jpush(ad->arena, handle, sr);
  jset(ad->arena, route, "handle", handle);
  for (size_t i = 0; i < ad->nnamed; i++)
    if (!strcmp(ad->named[i].name, b->keys[0].text))
      return fe_fail(ad->err, (struct srcpos){b->keys[0].file, b->keys[0].line, b->keys[0].col},
                     "cannot have duplicate named_routes: %s", b->keys[0].text);
  struct named_route *nr = ARENA_PUSH(ad->arena, ad->named, ad->nnamed, ad->namedcap);
  nr->name = b->keys[0].text;
  nr->route = route;
  nr->invokes = ad->invoked;
  ad->invoked = (struct name_list){0};
  return 0;
}

static int httptype_check_keys(struct adapt *ad, struct block_list *blocks)
{
  for (size_t i = 0; i < blocks->count; i++)
    for (size_t k = 0; k < blocks->items[i].nkeys; k++) {
      struct token *t = &blocks->items[i].keys[k];
      struct srcpos pos = {t->file, t->line, t->col};
      if (k == 0 && t->text[0] == '@')
        return fe_fail(ad->err, pos, "%s:%d: cannot define a matcher outside of a site block: '%s'", t->file, t->line, t->text);
      if (directive_known(ad, t->text))
        return fe_fail(ad->err, pos, "%s:%d: parsed '%s' as a site address, but it is a known directive; "
                       "directives must appear in a site block", t->file, t->line, t->text);
    }
  return 0;
}

/* Runs every directive of one site block into its pile. */
static int httptype_site(struct adapt *ad, struct site *site)
{
  struct server_block *b = site->block;
  httptype_apply_shorthands(ad, b);
  if (!b->nkeys) {              /* a keyless block keeps no brace token: point at its first line */
    const struct token *t = b->nsegs && b->segments[0].count ? &b->segments[0].tokens[0] : NULL;
    return fe_fail(ad->err, t ? (struct srcpos){t->file, t->line, t->col} : (struct srcpos){0},
                   "server block without any key is global configuration, and if used, it must be first");
  }
  struct matcher_defs *defs = arena_alloc(ad->arena, sizeof *defs);
  struct helper h = {.ad = ad, .defs = defs, .block = b, .groups = &ad->group_counter};
  for (size_t s = 0; s < b->nsegs; s++)
    if (b->segments[s].tokens[0].text[0] == '@') {
      struct dispenser d = httptype_segment_dispenser(ad, &b->segments[s]);
      if (matchers_parse_definitions(&h, &d, defs) < 0)
        return -1;
    }
  for (size_t s = 0; s < b->nsegs; s++) {
    struct token *t = &b->segments[s].tokens[0];
    if (t->text[0] == '@')
      continue;
    if (!directive_known(ad, t->text))
      return fe_fail(ad->err, (struct srcpos){t->file, t->line, t->col}, "%s:%d: unrecognized directive: %s%s", t->file, t->line, t->text,
                     b->has_braces ? "" : "\nDid you mean to define a second site? If so, you must use curly braces "
                     "around each site to separate their configurations.");
    h.d = httptype_segment_dispenser(ad, &b->segments[s]);
    if (directive_run(&h, t->text, &site->pile) < 0)
      return fe_wrap(ad->err, "parsing caddyfile tokens for '%s': ", t->text);
  }
  for (size_t i = 0; i < ad->invoked.count; i++)
    values_push(&h, &site->pile, "named_route", jstr(ad->arena, ad->invoked.items[i], (struct srcpos){0}));
  ad->invoked = (struct name_list){0};
  return 0;
}

struct json *apps_build(struct adapt *ad, struct site_list *sites, struct json *servers);

struct json *httptype_setup(struct adapt *ad, struct block_list *blocks)
{
  ad->options = jobj(ad->arena);
  ad->directives = directive_table;
  ad->ndirectives = directive_table_count;
  directive_order_init(ad);
  if (httptype_check_keys(ad, blocks) < 0)
    return NULL;
  size_t first = 0;
  if (blocks->count && blocks->items[0].nkeys == 0) {
    if (global_evaluate(ad, &blocks->items[0]) < 0)
      return NULL;
    first = 1;
  }
  struct site_list sites = {0};
  for (size_t i = first; i < blocks->count; i++) {
    if (blocks->items[i].is_named_route) {
      if (httptype_named_route(ad, &blocks->items[i]) < 0)
        return NULL;
      continue;
    }
    ARENA_PUSH(ad->arena, sites.items, sites.count, sites.cap)->block = &blocks->items[i];
  }
  for (size_t i = 0; i < sites.count; i++)
    if (httptype_site(ad, &sites.items[i]) < 0)
      return NULL;
  struct json *servers = servers_build(ad, &sites);
  if (!servers)
    return NULL;
  return apps_build(ad, &sites, servers);
}
