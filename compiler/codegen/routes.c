/* Route lists to C, in Caddy's order: a route whose matchers fail is skipped,
 * only the first matching route of a group runs, handlers run in order, a
 * terminal route stops everything after it (subroutes included). Code that
 * can never run is still generated, and checked, but into a discard buffer. */
#include <string.h>

#include "cg.h"

static const char *const route_keys[] = {"match", "handle", "terminal", "group", NULL};

/* the bit of a group name in the entry's `groups` local; -1 if too many */
static int route_group_bit(struct cg *cg, const char *name)
{
  for (size_t i = 0; i < cg->group_count; i++)
    if (strcmp(cg->groups[i], name) == 0)
      return (int)i;
  if (cg->group_count == CG_MAX_GROUPS)
    return -1;
  *ARENA_PUSH(cg->a, cg->groups, cg->group_count, cg->group_cap) = name;
  return (int)cg->group_count - 1;
}

/* swaps generation into the discard buffer (on) and back (off) */
static void route_discard(struct cg *cg, bool on, struct strbuf **saved, int *saved_line)
{
  emit_flush(cg);
  if (on) {
    *saved = cg->out;
    *saved_line = cg->line;
    cg->out = &cg->discard;
    return;
  }
  cg->out = *saved;
  cg->line = *saved_line;
}

/* a route's handlers; 1 when they always end the chain */
static int route_handlers(struct cg *cg, const struct json *handle)
{
  if (!handle)
    return 0;
  if (handle->kind != JSON_ARRAY) {
    cg_refuse(cg, handle, "route handle that is not a list");
    return 0;
  }
  int always = 0;
  struct strbuf *saved = NULL;
  int saved_line = 0;
  for (size_t i = 0; i < handle->count; i++) {
    if (handler_emit(cg, handle->items[i]) == 1 && !always) {
      always = 1;
      route_discard(cg, true, &saved, &saved_line);
    }
  }
  if (always)
    route_discard(cg, false, &saved, &saved_line);
  return always;
}

/* the `if` condition of a route: its group, then its matchers */
static const char *route_condition(struct cg *cg, const struct json *route, int *bit)
{
  const char *cond = match_route(cg, json_object_get(route, "match"));
  const struct json *group = json_object_get(route, "group");
  *bit = -1;
  if (!group)
    return cond;
  const char *name = cg_string(cg, group, "route group");
  if (name && (*bit = route_group_bit(cg, name)) < 0)
    cg_refuse(cg, group, "more than %d route groups in one server", CG_MAX_GROUPS);
  if (!cond || *bit < 0 || strcmp(cond, "0") == 0)
    return cond ? cond : NULL;
  const char *g = arena_printf(cg->a, "!(groups & (1ull << %d))", *bit);
  return *cond ? arena_printf(cg->a, "%s && %s", g, cond) : g;
}

/* one route; 1 when it always runs and always ends the chain */
static int route_emit(struct cg *cg, const struct json *route, size_t index)
{
  if (route->kind != JSON_OBJECT) {
    cg_refuse(cg, route, "route that is not an object");
    return 0;
  }
  cg_check_keys(cg, route, route_keys, "route");
  struct srcpos pos = cg_pos(cg, route), saved_pos = cg->pos;
  const struct json *match = json_object_get(route, "match");
  int bit;
  const char *cond = route_condition(cg, route, &bit);
  bool never = cond && strcmp(cond, "0") == 0, guarded = cond && *cond && !never;
  struct strbuf *saved = NULL;
  int saved_line = 0;
  if (never)
    route_discard(cg, true, &saved, &saved_line);
  cg->pos = pos;
  emit_plain(cg, "/* route %zu */", index);
  if (guarded) {
    cg->uses_req |= strstr(cond, "req") != NULL;
    emit_stmt(cg, cg_pos(cg, match), "if (%s) {", cond);
    cg->indent++;
  }
  if (bit >= 0)
    emit_stmt(cg, pos, "groups |= 1ull << %d; /* %s */", bit, cg->groups[bit]);
  int always = route_handlers(cg, json_object_get(route, "handle"));
  const struct json *terminal = json_object_get(route, "terminal");
  if (!always && terminal && terminal->kind == JSON_BOOL && terminal->boolean) {
    cg_emit_return(cg, cg_pos(cg, terminal), "ZS_NEXT");
    always = 1;
  }
  if (guarded) {
    cg->indent--;
    emit_plain(cg, "}");
  }
  if (never)
    route_discard(cg, false, &saved, &saved_line);
  cg->pos = saved_pos;
  return always && !guarded && !never && cond != NULL;
}

int routes_emit(struct cg *cg, const struct json *routes)
{
  if (routes->kind != JSON_ARRAY) {
    cg_refuse(cg, routes, "routes that are not a list");
    return 0;
  }
  int always = 0;
  struct strbuf *saved = NULL;
  int saved_line = 0;
  for (size_t i = 0; i < routes->count; i++) {
    if (route_emit(cg, routes->items[i], i) && !always) {
      always = 1;
      route_discard(cg, true, &saved, &saved_line);
    }
  }
  if (always)
    route_discard(cg, false, &saved, &saved_line);
  return always;
}
