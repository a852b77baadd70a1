/* Strings with Caddy placeholders ({http.request.uri.path}): split by Caddy's
 * replacer rules (\{ and \} escape a brace, an unclosed brace is text) into
 * literal text and request variables. A placeholder of a namespace Caddy
 * knows but zsrt does not provide is refused. */
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

struct lower_var {
  const char *placeholder;
  const char *name;
  int id;
};

static const struct lower_var lower_vars_table[] = {
#define ZS_VAR(id, name, placeholder, settable) {placeholder, #name, id},
#include "abi/vars.def"
#undef ZS_VAR
};

/* namespaces Caddy's replacer knows at request time: a placeholder in one
 * of them is real, and we must not treat it as text */
static const char *const lower_namespaces[] = {"http.", "env.", "system.", "time.", "file.", "tls.", NULL};

static const struct lower_var *lower_var_find(const char *key, size_t len)
{
  for (size_t i = 0; i < sizeof lower_vars_table / sizeof lower_vars_table[0]; i++)
    if (len > 0 && strlen(lower_vars_table[i].placeholder) == len &&
        memcmp(lower_vars_table[i].placeholder, key, len) == 0)
      return &lower_vars_table[i];
  return NULL;
}

static bool lower_known_namespace(const char *key, size_t len)
{
  for (size_t i = 0; lower_namespaces[i]; i++) {
    size_t n = strlen(lower_namespaces[i]);
    if (len >= n && memcmp(key, lower_namespaces[i], n) == 0)
      return true;
  }
  return false;
}

void lower_text_push(struct lower *l, struct lowered_text *out, const char *s, size_t len)
{
  if (len == 0)
    return;
  const struct lowered_text_part *prev = out->count > 0 ? &out->parts[out->count - 1] : NULL;
  if (prev && prev->var == 0 && !prev->capture && !prev->field) {
    struct lowered_text_part *last = &out->parts[out->count - 1];
    char *joined = arena_alloc(l->a, last->len + len + 1);
    memcpy(joined, last->text, last->len);
    memcpy(joined + last->len, s, len);
    last->text = joined;
    last->len += len;
    return;
  }
  struct lowered_text_part *p = ARENA_PUSH(l->a, out->parts, out->count, out->cap);
  p->text = s;
  p->len = len;
}

/* the closing brace for the placeholder opened at i, skipping escaped ones */
static long lower_text_close(const char *s, size_t len, size_t i)
{
  const char *c = memchr(s + i, '}', len - i);
  if (!c)
    return -1;
  size_t end = (size_t)(c - s);
  while (end > 0 && end < len - 1 && s[end - 1] == '\\') {
    c = memchr(s + end + 1, '}', len - end - 1);
    if (!c)
      return -1;
    end = (size_t)(c - s);
  }
  return (long)end;
}

int lower_var_id(const char *key, size_t len)
{
  const struct lower_var *v = lower_var_find(key, len);
  return v ? v->id : 0;
}

/* {http.error.*} is set only for error routes (Caddy's WithError); outside
 * them it is unknown, which zsrt has no way to say */
static bool lower_error_var(const struct lower_var *v)
{
  return v->id >= ZS_VAR_error_status_code && v->id <= ZS_VAR_error_id;
}

/* {http.vars.NAME} of a name no row of vars.def has: a user variable, which
 * only ebpf programs set (unset, it is "", as in Caddy); NULL after refusing */
static const struct lower_var *lower_user_var(struct lower *l, const struct json *node, const char *key, size_t len)
{
  const char *name = arena_printf(l->a, "%.*s", (int)(len - 10), key + 10);
  size_t i = 0;
  while (i < l->user_var_count && strcmp(l->user_vars[i], name) != 0)
    i++;
  if (i == l->user_var_count) {
    if (i >= ZS_VAR_USER_COUNT) {
      lower_refuse(l, node, "placeholder {%.*s}: a config reads at most %d variables of ebpf programs", (int)len, key,
                   ZS_VAR_USER_COUNT);
      return NULL;
    }
    *ARENA_PUSH(l->a, l->user_vars, l->user_var_count, l->user_var_cap) = name;
  }
  struct lower_var *v = arena_alloc(l->a, sizeof *v);
  *v = (struct lower_var){arena_printf(l->a, "%.*s", (int)len, key), arena_printf(l->a, "user%zu", i),
                          ZS_VAR_USER_FIRST + (int)i};
  return v;
}

/* a placeholder key: 1 when it was handled (*var set, or NULL when
 * LOWER_PH_ALL drops it), 2 for a request field (*field set), 0 when it
 * stays text, -1 after refusing */
static int lower_text_key(struct lower *l, const struct json *node, enum lower_ph_mode mode, const char *key,
                          size_t len, const struct lower_var **var, struct lowered_text_part *field)
{
  *var = lower_var_find(key, len);
  if (*var && lower_error_var(*var) && !l->in_errors) {
    lower_refuse(l, node, "placeholder {%.*s} outside handle_errors", (int)len, key);
    return -1;
  }
  if (*var && (*var)->id == ZS_VAR_error_message && !l->error_message)
    l->error_message = node;
  if (*var)
    return 1;
  if (len > 10 && memcmp(key, "http.vars.", 10) == 0)
    return (*var = lower_user_var(l, node, key, len)) ? 1 : -1;
  int f = lower_text_field(l, mode, key, len, field);
  if (f > 0)
    return 2;
  if (f < 0)                   /* a bad index: unknown to Caddy's replacer */
    return mode != LOWER_PH_KNOWN ? 1 : 0;
  if (lower_known_namespace(key, len)) {
    /* a matcher's result: refused with the directive that made the matcher
     * (try_files), which is refused once for both */
    struct json at = *node;
    if (len > 14 && memcmp(key, "http.matchers.", 14) == 0 && l->origin.line > 0)
      at.pos = (struct srcpos){0};
    lower_refuse(l, &at, "placeholder {%.*s}", (int)len, key);
    return -1;
  }
  return mode != LOWER_PH_KNOWN ? 1 : 0;
}

int lower_text(struct lower *l, const struct json *node, enum lower_ph_mode mode, struct lowered_text *out)
{
  memset(out, 0, sizeof *out);
  out->constant = true;
  out->pos = lower_pos(l, node);
  const char *s = node->text;
  size_t len = node->len, cursor = 0;
  for (size_t i = 0; i < len; i++) {
    if (i > 0 && s[i - 1] == '\\' && (s[i] == '{' || s[i] == '}')) {
      lower_text_push(l, out, s + cursor, i - 1 - cursor);
      cursor = i;
      continue;
    }
    if (s[i] != '{')
      continue;
    long end = lower_text_close(s, len, i);
    if (end < 0)
      continue;
    const char *fixed = lower_proxy_placeholder(l, s + i + 1, (size_t)end - i - 1);
    if (fixed) {               /* a value the upstream fixes: text */
      lower_text_push(l, out, s + cursor, i - cursor);
      lower_text_push(l, out, fixed, strlen(fixed));
      i = (size_t)end;
      cursor = i + 1;
      continue;
    }
    size_t klen = (size_t)end - i - 1;
    if (klen > 12 && memcmp(s + i + 1, "http.regexp.", 12) == 0) {   /* a regexp matcher's capture */
      int capture = lower_regexp_capture(l, node, s + i + 13, klen - 12);
      if (!capture)
        return -1;
      lower_text_push(l, out, s + cursor, i - cursor);
      struct lowered_text_part *p = ARENA_PUSH(l->a, out->parts, out->count, out->cap);
      p->capture = capture;
      if (mode == LOWER_PH_KNOWN) {
        p->text = s + i;
        p->len = klen + 2;
      }
      out->constant = false;
      i = (size_t)end;
      cursor = i + 1;
      continue;
    }
    const struct lower_var *var;
    struct lowered_text_part field;
    int r = lower_text_key(l, node, mode, s + i + 1, (size_t)end - i - 1, &var, &field);
    if (r < 0)
      return -1;
    if (r == 0)
      continue;
    lower_text_push(l, out, s + cursor, i - cursor);
    if (r == 2) {
      *ARENA_PUSH(l->a, out->parts, out->count, out->cap) = field;
      out->constant = false;
    } else if (var) {
      struct lowered_text_part *p = ARENA_PUSH(l->a, out->parts, out->count, out->cap);
      p->var = var->id;
      p->var_name = var->name;
      /* set only by a handler that ran: ReplaceKnown keeps it as written until then */
      p->escape = mode == LOWER_PH_KNOWN && var->id == ZS_VAR_auth_user_id ? ZS_ESC_KNOWN : 0;
      out->constant = false;
    } else if (mode == LOWER_PH_QUERY) {
      lower_text_push(l, out, LOWER_QUERY_NIL, strlen(LOWER_QUERY_NIL));
    }
    i = (size_t)end;
    cursor = i + 1;
  }
  lower_text_push(l, out, s + cursor, len - cursor);
  return 0;
}
