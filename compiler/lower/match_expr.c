/* The expression matcher: Caddy's CEL, in the subset zsc compiles to
 * straight-line code: placeholders compared with a number or a string
 * (==, !=, <, <=, >, >=, in [...]), joined by &&, || and !, in parentheses.
 * Anything else (method calls, matcher functions, other operands) is refused,
 * naming what was found. Not the CEL evaluator: there is none at run time. */
#include <stdlib.h>
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

#define LOWER_EXPR_MAX_STR 128    /* longest string a placeholder is compared with (codegen's buffer) */

struct expr_parser {
  struct lower *l;
  const struct json *node;
  const char *s;
  size_t len, at;
  bool failed;
};

static void expr_fail(struct expr_parser *p, const char *what)
{
  if (p->failed)
    return;
  p->failed = true;
  size_t n = 0;
  while (p->at + n < p->len && n < 24 && p->s[p->at + n] != ' ')
    n++;
  if (p->at >= p->len)
    lower_refuse(p->l, p->node, "expression '%s': %s at its end", p->s, what);
  else
    lower_refuse(p->l, p->node, "expression '%s': %s at '%.*s'", p->s, what, (int)n, p->s + p->at);
}

static void expr_space(struct expr_parser *p)
{
  while (p->at < p->len && strchr(" \t\r\n", p->s[p->at]))
    p->at++;
}

/* the next token is word (an operator); consumed when it is */
static bool expr_eat(struct expr_parser *p, const char *word)
{
  expr_space(p);
  size_t n = strlen(word);
  if (p->len - p->at < n || memcmp(p->s + p->at, word, n) != 0)
    return false;
  p->at += n;
  return true;
}

static struct lowered_expr *expr_new(struct expr_parser *p, enum lowered_expr_op op)
{
  struct lowered_expr *e = arena_alloc(p->l->a, sizeof *e);
  memset(e, 0, sizeof *e);
  e->op = op;
  return e;
}

/* one side of a comparison: a placeholder (*var set), a number or a string */
struct expr_operand {
  int var;
  bool number, string;
  long long value;
  const char *text;
  size_t len;
};

static bool expr_placeholder(struct expr_parser *p, struct expr_operand *o)
{
  const char *close = memchr(p->s + p->at, '}', p->len - p->at);
  if (!close) {
    expr_fail(p, "an unclosed placeholder");
    return false;
  }
  const char *key = p->s + p->at + 1;
  size_t n = (size_t)(close - key);
  o->var = lower_var_id(key, n);
  if (o->var == 0) {
    lower_refuse(p->l, p->node, "placeholder {%.*s} in an expression", (int)n, key);
    p->failed = true;
    return false;
  }
  if (o->var >= ZS_VAR_error_status_code && o->var <= ZS_VAR_error_id && !p->l->in_errors) {
    lower_refuse(p->l, p->node, "placeholder {%.*s} outside handle_errors", (int)n, key);
    p->failed = true;
    return false;
  }
  if (o->var == ZS_VAR_error_message && !p->l->error_message)
    p->l->error_message = p->node;
  p->at = (size_t)(close - p->s) + 1;
  return true;
}

/* "..." or '...' with CEL's simple escapes \\ \" \' */
static bool expr_string(struct expr_parser *p, struct expr_operand *o)
{
  char quote = p->s[p->at++];
  char *out = arena_alloc(p->l->a, p->len - p->at + 1);
  size_t n = 0;
  while (p->at < p->len && p->s[p->at] != quote) {
    char ch = p->s[p->at++];
    if (ch == '\\') {
      if (p->at >= p->len || !strchr("\\\"'", p->s[p->at])) {
        expr_fail(p, "an escape other than \\\\, \\\" or \\'");
        return false;
      }
      ch = p->s[p->at++];
    }
    out[n++] = ch;
  }
  if (p->at >= p->len) {
    expr_fail(p, "an unclosed string");
    return false;
  }
  p->at++;
  out[n] = '\0';
  if (n > LOWER_EXPR_MAX_STR) {
    expr_fail(p, "a string longer than 128 bytes");
    return false;
  }
  o->string = true;
  o->text = out;
  o->len = n;
  return true;
}

static bool expr_number(struct expr_parser *p, struct expr_operand *o)
{
  char *end;
  long long v = strtoll(p->s + p->at, &end, 10);
  if (end == p->s + p->at || (size_t)(end - p->s) > p->len || v > 0x7fffffff || v < -0x7fffffff) {
    expr_fail(p, "a number out of range");
    return false;
  }
  p->at = (size_t)(end - p->s);
  o->number = true;
  o->value = v;
  return true;
}

static bool expr_operand(struct expr_parser *p, struct expr_operand *o)
{
  memset(o, 0, sizeof *o);
  expr_space(p);
  char ch = p->at < p->len ? p->s[p->at] : '\0';
  bool ok = false;
  if (ch == '{')
    ok = expr_placeholder(p, o);
  else if (ch == '"' || ch == '\'')
    ok = expr_string(p, o);
  else if ((ch >= '0' && ch <= '9') || ch == '-')
    ok = expr_number(p, o);
  else
    expr_fail(p, "an operand other than a placeholder, a number or a string");
  if (ok) {
    expr_space(p);
    if (p->at < p->len && p->s[p->at] == '.') {
      expr_fail(p, "a method call");
      return false;
    }
  }
  return ok;
}

/* {http.error.status_code} is Caddy's one number placeholder (an int in
 * the replacer); the others are strings, compared with == and != only */
static struct lowered_expr *expr_compare(struct expr_parser *p, const struct expr_operand *ph,
                                         enum lowered_expr_cmp cmp, const struct expr_operand *lit)
{
  bool number_var = ph->var == ZS_VAR_error_status_code;
  if (!ph->var || lit->var) {
    expr_fail(p, "a comparison that is not of a placeholder with a constant");
    return NULL;
  }
  if (number_var != lit->number || (!number_var && cmp != LOWERED_CMP_EQ && cmp != LOWERED_CMP_NE)) {
    expr_fail(p, number_var ? "a comparison of a number with a string" : "an ordering of strings");
    return NULL;
  }
  struct lowered_expr *e = expr_new(p, LOWERED_EXPR_CMP);
  e->var = ph->var;
  e->cmp = cmp;
  e->number = lit->number;
  e->value = lit->value;
  e->text = lit->text;
  e->len = lit->len;
  return e;
}

static struct lowered_expr *expr_or_of(struct expr_parser *p, struct lowered_expr *a, struct lowered_expr *b)
{
  if (!a)
    return b;
  struct lowered_expr *e = expr_new(p, LOWERED_EXPR_OR);
  e->a = a;
  e->b = b;
  return e;
}

/* operand in [constant, ...]: any one equal */
static struct lowered_expr *expr_in(struct expr_parser *p, const struct expr_operand *ph)
{
  if (!expr_eat(p, "[")) {
    expr_fail(p, "'in' without a list");
    return NULL;
  }
  struct lowered_expr *any = NULL;
  if (expr_eat(p, "]")) {
    expr_fail(p, "an empty list");
    return NULL;
  }
  do {
    struct expr_operand lit;
    struct lowered_expr *eq;
    if (!expr_operand(p, &lit) || !(eq = expr_compare(p, ph, LOWERED_CMP_EQ, &lit)))
      return NULL;
    any = expr_or_of(p, any, eq);
  } while (expr_eat(p, ","));
  if (!expr_eat(p, "]")) {
    expr_fail(p, "a list without its ']'");
    return NULL;
  }
  return any;
}

static const struct {
  const char *op;
  enum lowered_expr_cmp cmp, flipped;
} expr_cmps[] = {
  {"==", LOWERED_CMP_EQ, LOWERED_CMP_EQ}, {"!=", LOWERED_CMP_NE, LOWERED_CMP_NE},
  {"<=", LOWERED_CMP_LE, LOWERED_CMP_GE}, {">=", LOWERED_CMP_GE, LOWERED_CMP_LE},
  {"<", LOWERED_CMP_LT, LOWERED_CMP_GT}, {">", LOWERED_CMP_GT, LOWERED_CMP_LT},
};

static struct lowered_expr *expr_or(struct expr_parser *p);

/* a call's argument: a string, or a map {'k': 'v' | ['v', ...], ...} (header, query) */
static struct json *expr_arg(struct expr_parser *p)
{
  struct srcpos pos = p->node->pos;
  struct expr_operand o;
  if (expr_eat(p, "{")) {
    struct json *map = json_new(p->l->a, JSON_OBJECT, pos);
    do {
      struct json *vals = json_new(p->l->a, JSON_ARRAY, pos);
      if (!expr_operand(p, &o) || !o.string || !expr_eat(p, ":")) {
        expr_fail(p, "a map entry other than a string key");
        return NULL;
      }
      const char *key = o.text;
      bool list = expr_eat(p, "[");
      do {
        if (!expr_operand(p, &o) || !o.string) {
          expr_fail(p, "a map value that is not a string");
          return NULL;
        }
        json_array_push(p->l->a, vals, json_stringn(p->l->a, o.text, o.len, pos));
      } while (list && expr_eat(p, ","));
      if (list && !expr_eat(p, "]")) {
        expr_fail(p, "a list without its ']'");
        return NULL;
      }
      json_object_set(p->l->a, map, key, vals);
    } while (expr_eat(p, ","));
    if (!expr_eat(p, "}")) {
      expr_fail(p, "a map without its '}'");
      return NULL;
    }
    return map;
  }
  if (!expr_operand(p, &o) || !o.string) {
    if (!p->failed)
      expr_fail(p, "an argument that is not a string");
    return NULL;
  }
  return json_stringn(p->l->a, o.text, o.len, pos);
}

/* the arguments of a call, up to ')' */
static size_t expr_args(struct expr_parser *p, struct json **args, size_t cap)
{
  size_t n = 0;
  if (expr_eat(p, ")"))
    return 0;
  do {
    if (n == cap) {
      expr_fail(p, "more arguments than zsc reads");
      return 0;
    }
    if (!(args[n++] = expr_arg(p)))
      return 0;
  } while (expr_eat(p, ","));
  if (!expr_eat(p, ")"))
    expr_fail(p, "a call without its ')'");
  return n;
}

static bool expr_all_strings(struct json **args, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (args[i]->kind != JSON_STRING)
      return false;
  return n > 0;
}

/* a call's arguments as the matcher's JSON value (Caddy's CEL macros) */
static struct json *expr_call_value(struct expr_parser *p, const char *fn, struct json **args, size_t n)
{
  struct arena *a = p->l->a;
  struct srcpos pos = p->node->pos;
  bool strings = expr_all_strings(args, n);
  if (strings && (!strcmp(fn, "path") || !strcmp(fn, "method") || !strcmp(fn, "host"))) {
    struct json *list = json_new(a, JSON_ARRAY, pos);
    for (size_t i = 0; i < n; i++)
      json_array_push(a, list, args[i]);
    return list;
  }
  if (strings && !strcmp(fn, "remote_ip")) {
    struct json *obj = json_new(a, JSON_OBJECT, pos), *list = json_new(a, JSON_ARRAY, pos);
    for (size_t i = 0; i < n; i++)
      json_array_push(a, list, args[i]);
    json_object_set(a, obj, "ranges", list);
    return obj;
  }
  if (strings && n == 1 && !strcmp(fn, "protocol"))
    return args[0];
  if (strings && (n == 1 || n == 2) && !strcmp(fn, "path_regexp")) {
    struct json *obj = json_new(a, JSON_OBJECT, pos);
    if (n == 2)
      json_object_set(a, obj, "name", args[0]);
    json_object_set(a, obj, "pattern", args[n - 1]);
    return obj;
  }
  if (strings && (n == 2 || n == 3) && !strcmp(fn, "header_regexp")) {
    struct json *obj = json_new(a, JSON_OBJECT, pos), *re = json_new(a, JSON_OBJECT, pos);
    if (n == 3)
      json_object_set(a, re, "name", args[0]);
    json_object_set(a, re, "pattern", args[n - 1]);
    json_object_set(a, obj, args[n - 2]->text, re);
    return obj;
  }
  if (n == 1 && args[0]->kind == JSON_OBJECT && (!strcmp(fn, "header") || !strcmp(fn, "query")))
    return args[0];
  return NULL;
}

/* name(args): the matcher of that name, compiled as the matcher itself */
static struct lowered_expr *expr_call(struct expr_parser *p, const char *fn)
{
  struct json *args[16];
  size_t n = expr_args(p, args, 16);
  if (p->failed)
    return NULL;
  struct json *v = expr_call_value(p, fn, args, n);
  if (!v) {
    expr_fail(p, arena_printf(p->l->a, "a call of %s() with these arguments", fn));
    return NULL;
  }
  struct lowered_expr *e = expr_new(p, LOWERED_EXPR_MATCHER);
  e->matcher = arena_alloc(p->l->a, sizeof *e->matcher);
  memset(e->matcher, 0, sizeof *e->matcher);
  if (lower_matcher_module(p->l, fn, v, e->matcher) < 0) {
    p->failed = true;
    return NULL;
  }
  return e;
}

/* primary := '(' or ')' | name '(' args ')' | operand ( cmp operand | 'in' list ) */
static struct lowered_expr *expr_primary(struct expr_parser *p)
{
  if (expr_eat(p, "(")) {
    struct lowered_expr *e = expr_or(p);
    if (e && !expr_eat(p, ")")) {
      expr_fail(p, "a '(' without its ')'");
      return NULL;
    }
    return e;
  }
  expr_space(p);
  size_t word = 0;
  while (p->at + word < p->len && ((p->s[p->at + word] >= 'a' && p->s[p->at + word] <= 'z') || p->s[p->at + word] == '_'))
    word++;
  if (word > 0 && p->at + word < p->len && p->s[p->at + word] == '(') {
    const char *fn = arena_strndup(p->l->a, p->s + p->at, word);
    p->at += word + 1;
    return expr_call(p, fn);
  }
  struct expr_operand left, right;
  if (!expr_operand(p, &left))
    return NULL;
  expr_space(p);
  if (p->len - p->at >= 2 && memcmp(p->s + p->at, "in", 2) == 0 &&
      (p->at + 2 == p->len || strchr(" \t[", p->s[p->at + 2]))) {
    p->at += 2;
    return expr_in(p, &left);
  }
  for (size_t i = 0; i < sizeof expr_cmps / sizeof expr_cmps[0]; i++) {
    if (!expr_eat(p, expr_cmps[i].op))
      continue;
    if (!expr_operand(p, &right))
      return NULL;
    return left.var ? expr_compare(p, &left, expr_cmps[i].cmp, &right)
                    : expr_compare(p, &right, expr_cmps[i].flipped, &left);
  }
  expr_fail(p, "an operator");
  return NULL;
}

/* unary := '!' unary | primary */
static struct lowered_expr *expr_unary(struct expr_parser *p)
{
  expr_space(p);
  if (p->at + 1 < p->len && p->s[p->at] == '!' && p->s[p->at + 1] != '=') {
    p->at++;
    struct lowered_expr *a = expr_unary(p);
    if (!a)
      return NULL;
    struct lowered_expr *e = expr_new(p, LOWERED_EXPR_NOT);
    e->a = a;
    return e;
  }
  return expr_primary(p);
}

/* and := unary ('&&' unary)*; or := and ('||' and)* */
static struct lowered_expr *expr_chain(struct expr_parser *p, bool is_or)
{
  struct lowered_expr *e = is_or ? expr_chain(p, false) : expr_unary(p);
  while (e && expr_eat(p, is_or ? "||" : "&&")) {
    struct lowered_expr *b = is_or ? expr_chain(p, false) : expr_unary(p);
    if (!b)
      return NULL;
    struct lowered_expr *j = expr_new(p, is_or ? LOWERED_EXPR_OR : LOWERED_EXPR_AND);
    j->a = e;
    j->b = b;
    e = j;
  }
  return e;
}

static struct lowered_expr *expr_or(struct expr_parser *p)
{
  return expr_chain(p, true);
}

/* "expr" as a string, or {"expr": ..., "name": ...} (a named matcher, 2.8+) */
int lower_match_expression(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  const struct json *text = v;
  if (v->kind == JSON_OBJECT) {
    text = json_object_get(v, "expr");
    const struct json *name = json_object_get(v, "name");
    if (!text || (name && name->kind != JSON_STRING) || v->count != 1u + (name != NULL)) {
      lower_refuse(l, v, "expression matcher object");
      return -1;
    }
  }
  if (text->kind != JSON_STRING) {
    lower_refuse(l, text, "expression matcher that is not a string");
    return -1;
  }
  struct expr_parser p = {.l = l, .node = text, .s = text->text, .len = text->len};
  out->expr = expr_or(&p);
  expr_space(&p);
  if (out->expr && p.at < p.len)
    expr_fail(&p, "more text");
  return p.failed || !out->expr ? -1 : 0;
}
