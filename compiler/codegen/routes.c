/* Route lists to C, in Caddy's order: a route whose matchers fail is skipped,
 * only the first matching route of a group runs, handlers run in order, a
 * terminal route stops everything after it (subroutes included). Code that
 * can never run is still generated, and checked, but into a discard buffer. */
#include <assert.h>
#include <string.h>

#include "cg.h"

/* the bit of a group name in the entry's `groups` local (lowering refused
 * servers with more groups than bits) */
static int route_group_bit(struct cg *cg, const char *name)
{
  for (size_t i = 0; i < cg->group_count; i++)
    if (strcmp(cg->groups[i], name) == 0)
      return (int)i;
  assert(cg->group_count < CG_MAX_GROUPS);
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
static int route_handlers(struct cg *cg, const struct lowered_route *r)
{
  int always = 0;
  struct strbuf *saved = NULL;
  int saved_line = 0;
  for (size_t i = 0; i < r->handler_count; i++) {
    if (handler_emit(cg, &r->handlers[i]) == 1 && !always) {
      always = 1;
      route_discard(cg, true, &saved, &saved_line);
    }
  }
  if (always)
    route_discard(cg, false, &saved, &saved_line);
  return always;
}

/* the `if` condition of a route: its group, then its matchers */
static const char *route_condition(struct cg *cg, const struct lowered_route *r, int *bit)
{
  const char *cond = match_route(cg, r);
  *bit = r->group ? route_group_bit(cg, r->group) : -1;
  if (*bit < 0 || strcmp(cond, "0") == 0)
    return cond;
  const char *g = arena_printf(cg->a, "!(groups & (1ull << %d))", *bit);
  return *cond ? arena_printf(cg->a, "%s && %s", g, cond) : g;
}

/* one route; 1 when it always runs and always ends the chain */
static int route_emit(struct cg *cg, const struct lowered_route *r, size_t index)
{
  int bit;
  const char *error_var = r->match_error ? arena_printf(cg->a, "match_error_%u", cg->fn_count) : NULL;
  cg->match_error_var = error_var;
  const char *cond = route_condition(cg, r, &bit);
  cg->match_error_var = NULL;
  bool never = strcmp(cond, "0") == 0, guarded = *cond && !never;
  struct strbuf *saved = NULL;
  int saved_line = 0;
  if (never)
    route_discard(cg, true, &saved, &saved_line);
  emit_plain(cg, "/* route %zu */", index);
  if (error_var)
    emit_stmt(cg, r->match_pos, "int %s = 0;", error_var);
  if (guarded) {
    cg->uses_req |= strstr(cond, "req") != NULL;
    emit_stmt(cg, r->match_pos, "if (%s) {", cond);
    cg->indent++;
  }
  if (bit >= 0)
    emit_stmt(cg, r->pos, "groups |= 1ull << %d; /* %s */", bit, cg->groups[bit]);
  int always = route_handlers(cg, r);
  if (!always && r->terminal) {
    cg_emit_return(cg, r->terminal_pos, "ZS_NEXT");
    always = 1;
  }
  if (guarded) {
    cg->indent--;
    emit_plain(cg, "}");
  }
  if (error_var)               /* the matcher's error ends the chain, as Caddy's MatchWithError */
    emit_stmt(cg, r->match_pos, "if (%s == 2) return ZS_ACTION(ZS_ACT_ERROR, 0);", error_var);
  if (never)
    route_discard(cg, false, &saved, &saved_line);
  return always && !guarded && !never;
}

int routes_emit(struct cg *cg, const struct lowered_route *routes, size_t count)
{
  int always = 0;
  struct strbuf *saved = NULL;
  int saved_line = 0;
  for (size_t i = 0; i < count; i++) {
    if (route_emit(cg, &routes[i], i) && !always) {
      always = 1;
      route_discard(cg, true, &saved, &saved_line);
    }
  }
  if (always)
    route_discard(cg, false, &saved, &saved_line);
  return always;
}
