/* Lowered matchers to straight-line C, one codegen function per row of
 * lower/matchers.def: a route's match sets are ORed, the matchers of a set
 * ANDed, the values of a matcher ORed, each value compared by the stdlib-bpf
 * call its lowered pattern names (lower/match.c classified them, with
 * Caddy's semantics: path cleaned and case-insensitive, host with * labels,
 * method exact, header with * wildcards). */
#include <string.h>

#include "cg.h"

/* conditions are strings: "" is always true, "0" never */
static const char *cond_join(struct cg *cg, const char **parts, size_t n, bool is_or)
{
  const char *identity = is_or ? "0" : "", *absorb = is_or ? "" : "0";
  struct strbuf sb;
  strbuf_init(&sb, cg->a);
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(parts[i], absorb) == 0)
      return absorb;
    if (strcmp(parts[i], identity) == 0)
      continue;
    strbuf_printf(&sb, "%s%s", used ? (is_or ? " || " : " && ") : "", parts[i]);
    used++;
  }
  if (used == 0)
    return identity;
  if (used == 1)
    return strbuf_cstr(&sb);
  return arena_printf(cg->a, "(%s)", strbuf_cstr(&sb));
}

static const char *const match_ops[] = {
  [LOWERED_STR_EXACT] = "ZS_STR_EXACT", [LOWERED_STR_PREFIX] = "ZS_STR_PREFIX",
  [LOWERED_STR_SUFFIX] = "ZS_STR_SUFFIX", [LOWERED_STR_CONTAINS] = "ZS_STR_CONTAINS", [LOWERED_STR_GLOB] = "ZS_STR_GLOB",
};

/* a list matcher: each value through one(), ORed */
static const char *match_list(struct cg *cg, const struct lowered_matcher *m,
                              const char *(*one)(struct cg *, const struct lowered_pattern *))
{
  const char **parts = arena_alloc(cg->a, (m->count + 1) * sizeof *parts);
  for (size_t i = 0; i < m->count; i++)
    parts[i] = one(cg, &m->patterns[i]);
  return cond_join(cg, parts, m->count, true);
}

static const char *match_path_one(struct cg *cg, const struct lowered_pattern *p)
{
  if (p->op == LOWERED_STR_ANY)
    return "";
  return arena_printf(cg->a, "zs_path_is(req, %s, %s%s)", cg_cstr(cg, p->text, p->len), match_ops[p->op],
                      p->keep_slashes ? " | ZS_PATH_KEEP_SLASHES" : "");
}

static const char *match_host_one(struct cg *cg, const struct lowered_pattern *p)
{
  const char *lit = cg_cstr(cg, p->text, p->len);
  return arena_printf(cg->a, p->wild ? "zs_host_wild(req, %s)" : "zs_host_is(req, %s)", lit);
}

static const char *match_method_one(struct cg *cg, const struct lowered_pattern *p)
{
  return arena_printf(cg->a, "zs_method_is(req, %s)", cg_cstr(cg, p->text, p->len));
}

const char *cg_match_path(struct cg *cg, const struct lowered_matcher *m)
{
  return match_list(cg, m, match_path_one);
}

const char *cg_match_host(struct cg *cg, const struct lowered_matcher *m)
{
  return match_list(cg, m, match_host_one);
}

const char *cg_match_method(struct cg *cg, const struct lowered_matcher *m)
{
  return match_list(cg, m, match_method_one);
}

/* header: every field must match; absent, present with any value, or one
 * of the values (* as prefix/suffix/substring wildcard) */
static const char *match_header_field(struct cg *cg, const struct lowered_header_field *f)
{
  const char *name = cg_cstr(cg, f->name, strlen(f->name));
  if (f->absent)
    return arena_printf(cg->a, "!zs_header_present(req, %s)", name);
  if (f->present)
    return arena_printf(cg->a, "zs_header_present(req, %s)", name);
  const char **parts = arena_alloc(cg->a, (f->count + 1) * sizeof *parts);
  for (size_t i = 0; i < f->count; i++) {
    const struct lowered_pattern *p = &f->values[i];
    const char *lit = cg_cstr(cg, p->text, p->len);
    parts[i] = p->op == LOWERED_STR_ANY ? arena_printf(cg->a, "zs_header_present(req, %s)", name)
             : arena_printf(cg->a, "zs_header_is(req, %s, %s, %s)", name, lit, match_ops[p->op]);
  }
  return cond_join(cg, parts, f->count, true);
}

const char *cg_match_header(struct cg *cg, const struct lowered_matcher *m)
{
  const char **parts = arena_alloc(cg->a, (m->field_count + 1) * sizeof *parts);
  for (size_t i = 0; i < m->field_count; i++)
    parts[i] = match_header_field(cg, &m->fields[i]);
  return cond_join(cg, parts, m->field_count, false);
}

/* Caddy's MatchProtocol: TLS or not, gRPC by its Content-Type, the HTTP
 * version through zs_proto_at (emitted once per program, codegen.c) */
const char *cg_match_protocol(struct cg *cg, const struct lowered_matcher *m)
{
  const char *p = m->protocol;
  if (strcmp(p, "https") == 0 || strcmp(p, "http") == 0)
    return p[4] == 's' ? "req->tls" : "!req->tls";
  if (strcmp(p, "grpc") == 0) {
    cg->uses_grpc = true;
    return "zs_content_type_grpc(req)";
  }
  cg->uses_proto = true;
  size_t n = strlen(p);
  bool minor = n > 7 && p[6] == '.';   /* http/1.0, http/1.1: the minor version counts */
  return arena_printf(cg->a, "zs_proto_at(%c, %c, %s)", p[5], minor ? p[7] : '0',
                      p[n - 1] == '+' ? "ZS_PROTO_AT_LEAST" : minor ? "ZS_PROTO_EXACT" : "ZS_PROTO_MAJOR");
}

/* tls: the connection speaks TLS; with early_data, requests sent before the
 * handshake completed, which zsrt never accepts (0-RTT is off) */
const char *cg_match_tls(struct cg *cg, const struct lowered_matcher *m)
{
  (void)cg;
  return m->early_data ? "0" : "req->tls";
}

/* file: a function of its own (the condition calls it) that builds the root
 * and each candidate and has the runtime stat them */
const char *cg_match_file(struct cg *cg, const struct lowered_matcher *m)
{
  const struct lowered_file_match *f = m->file;
  const char *name = arena_printf(cg->a, "zs_file_match_%u", cg->fn_count++);
  emit_flush(cg);
  struct strbuf *saved = cg->out;
  int saved_line = cg->line, saved_indent = cg->indent;
  cg->out = &cg->fns;
  cg->line = 0;
  cg->indent = 0;
  emit_plain(cg, "static __attribute__((noinline)) int %s(void)", name);
  emit_plain(cg, "{");
  cg->indent = 1;
  if (f->has_root)
    ph_emit(cg, m->pos, &f->root, "ZS_BUF_BODY");
  else
    emit_stmt(cg, m->pos, "zs_var(ZS_BUF_BODY, ZS_VAR_root);");
  static const char *const policies[] = {"ZS_FILE_FIRST_EXIST", "ZS_FILE_LARGEST", "ZS_FILE_SMALLEST", "ZS_FILE_RECENT",
                                         "ZS_FILE_FIRST_EXIST_FALLBACK"};
  emit_stmt(cg, m->pos, "zs_file_begin(%s, %s);", policies[f->policy], cg_cstr(cg, f->split ? f->split : "", f->split_len));
  size_t i = 0;
  for (; i < f->try_count && !f->tries[i].status; i++) {
    const struct lowered_file_try *t = &f->tries[i];
    ph_emit(cg, t->path.pos, &t->path, "ZS_BUF_VALUE");
    bool last = i + 1 == f->try_count;
    emit_stmt(cg, t->path.pos, "zs_file_try(%s%s%s);", t->dir ? "ZS_FILE_DIR" : "", t->dir && last ? " | " : "",
              last ? "ZS_FILE_LAST" : t->dir ? "" : "0");
  }
  if (i < f->try_count) {      /* "=404": no candidate before it matched, the error (its message the code) */
    const struct lowered_file_try *t = &f->tries[i];
    emit_stmt(cg, t->path.pos, "if (zs_file_end(0) == 1) return 1;");
    emit_stmt(cg, t->path.pos, "zs_lit(ZS_BUF_BODY, \"%d\"); zs_resp_status(%d);", t->status, t->status);
    emit_stmt(cg, t->path.pos, "return 2;");
  } else {
    emit_stmt(cg, m->pos, "return zs_file_end(0) == 1;");
  }
  emit_flush(cg);
  cg->indent = 0;
  emit_plain(cg, "}");
  strbuf_putc(cg->out, '\n');
  cg->out = saved;
  cg->line = saved_line;
  cg->indent = saved_indent;
  if (cg->match_error_var) {   /* the route keeps the result: 2 is the error */
    const char *v = cg->match_error_var;
    cg->match_error_var = NULL;
    return arena_printf(cg->a, "(%s = %s()) == 1", v, name);
  }
  return arena_printf(cg->a, "%s()", name);
}

/* query: the packed keys and values, compared by the runtime with the parsed query */
const char *cg_match_query(struct cg *cg, const struct lowered_matcher *m)
{
  return arena_printf(cg->a, "zs_query_has(%s)", cg_cstr(cg, (const char *)m->query, m->query_len));
}

/* remote_ip: the packed ranges, compared by the runtime with the peer's address */
const char *cg_match_remote_ip(struct cg *cg, const struct lowered_matcher *m)
{
  if (m->ranges_len == 0)
    return "0";
  return arena_printf(cg->a, "zs_remote_ip_in(%s)", cg_cstr(cg, (const char *)m->ranges, m->ranges_len));
}

static const char *match_one(struct cg *cg, const struct lowered_matcher *m);

/* expression: the tree as one condition; a placeholder is read by
 * zs_var_num (a number) or compared by zs_var_eq, emitted once (codegen.c) */
static const char *match_expr(struct cg *cg, const struct lowered_expr *e)
{
  static const char *const cmps[] = {"==", "!=", "<", "<=", ">", ">="};
  if (e->op == LOWERED_EXPR_MATCHER) {   /* "" (always) and "0" (never) as conditions */
    const char *c = match_one(cg, e->matcher);
    return !*c ? "1" : arena_printf(cg->a, "(%s)", c);
  }
  if (e->op == LOWERED_EXPR_NOT)
    return arena_printf(cg->a, "!(%s)", match_expr(cg, e->a));
  if (e->op != LOWERED_EXPR_CMP)
    return arena_printf(cg->a, "(%s %s %s)", match_expr(cg, e->a), e->op == LOWERED_EXPR_AND ? "&&" : "||",
                        match_expr(cg, e->b));
  if (e->number) {
    cg->uses_var_num = true;
    return arena_printf(cg->a, "zs_var_num(%d) %s %lld", e->var, cmps[e->cmp], e->value);
  }
  cg->uses_var_eq = true;
  return arena_printf(cg->a, "%szs_var_eq(%d, %s, %zu)", e->cmp == LOWERED_CMP_NE ? "!" : "", e->var,
                      cg_cstr(cg, e->text, e->len), e->len);
}

const char *cg_match_expression(struct cg *cg, const struct lowered_matcher *m)
{
  return match_expr(cg, m->expr);
}

/* path_regexp, header_regexp: the runtime matches (its captures then kept);
 * header_regexp needs every field to match */
static const char *match_regex_uses(struct cg *cg, const struct lowered_matcher *m)
{
  const char **parts = arena_alloc(cg->a, (m->regex_use_count + 1) * sizeof *parts);
  for (size_t i = 0; i < m->regex_use_count; i++) {
    const struct lowered_regex_use *u = &m->regex_uses[i];
    parts[i] = u->field ? arena_printf(cg->a, "zs_regex_match(%u, (unsigned long)%s, %zu) == 1", u->regex,
                                       cg_cstr(cg, u->field, strlen(u->field)), strlen(u->field))
                        : arena_printf(cg->a, "zs_regex_match(%u, 0, 0) == 1", u->regex);
  }
  return cond_join(cg, parts, m->regex_use_count, false);
}

const char *cg_match_path_regexp(struct cg *cg, const struct lowered_matcher *m)
{
  return match_regex_uses(cg, m);
}

const char *cg_match_header_regexp(struct cg *cg, const struct lowered_matcher *m)
{
  return match_regex_uses(cg, m);
}

static const char *match_sets(struct cg *cg, const struct lowered_match *sets, size_t count);

/* not: true when none of its match sets matches */
const char *cg_match_not(struct cg *cg, const struct lowered_matcher *m)
{
  const char *any = match_sets(cg, m->sets, m->set_count);
  if (strcmp(any, "") == 0)
    return "0";
  if (strcmp(any, "0") == 0)
    return "";
  return arena_printf(cg->a, any[0] == '(' ? "!%s" : "!(%s)", any);
}

static const char *(*const match_fns[])(struct cg *, const struct lowered_matcher *) = {
#define LOWER_MATCHER(kind, module, caddyfile, lower_fn, codegen_fn) [LOWERED_MATCH_##kind] = codegen_fn,
#include "lower/matchers.def"
#undef LOWER_MATCHER
};

static const char *match_one(struct cg *cg, const struct lowered_matcher *m)
{
  return match_fns[m->kind](cg, m);
}

/* a match set: every matcher in it must match (an empty set matches) */
static const char *match_set(struct cg *cg, const struct lowered_match *set)
{
  const char **parts = arena_alloc(cg->a, (set->count + 1) * sizeof *parts);
  for (size_t i = 0; i < set->count; i++)
    parts[i] = match_fns[set->matchers[i].kind](cg, &set->matchers[i]);
  return cond_join(cg, parts, set->count, false);
}

/* match sets: any one matching is enough (no sets matches everything) */
static const char *match_sets(struct cg *cg, const struct lowered_match *sets, size_t count)
{
  if (count == 0)
    return "";
  const char **parts = arena_alloc(cg->a, count * sizeof *parts);
  for (size_t i = 0; i < count; i++)
    parts[i] = match_set(cg, &sets[i]);
  return cond_join(cg, parts, count, true);
}

const char *match_route(struct cg *cg, const struct lowered_route *route)
{
  return route->has_match ? match_sets(cg, route->sets, route->set_count) : "";
}
