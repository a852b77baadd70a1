/* Strings with Caddy placeholders ({http.request.uri.path}): split by Caddy's
 * replacer rules (\{ and \} escape a brace, an unclosed brace is text) into
 * literal text and request variables, then built into a helper buffer. */
#include <string.h>

#include "cg.h"

struct ph_var {
  const char *placeholder;
  const char *name;
  int id;
};

static const struct ph_var ph_vars[] = {
#define ZS_VAR(id, name, placeholder, settable) {placeholder, #name, id},
#include "abi/vars.def"
#undef ZS_VAR
};

/* namespaces Caddy's replacer knows at request time: a placeholder in one
 * of them is real, and we must not treat it as text */
static const char *const ph_namespaces[] = {"http.", "env.", "system.", "time.", "file.", "tls.", NULL};

static const struct ph_var *ph_lookup(const char *key, size_t len)
{
  for (size_t i = 0; i < sizeof ph_vars / sizeof ph_vars[0]; i++)
    if (strlen(ph_vars[i].placeholder) == len && memcmp(ph_vars[i].placeholder, key, len) == 0)
      return &ph_vars[i];
  return NULL;
}

static bool ph_known_namespace(const char *key, size_t len)
{
  for (size_t i = 0; ph_namespaces[i]; i++) {
    size_t n = strlen(ph_namespaces[i]);
    if (len >= n && memcmp(key, ph_namespaces[i], n) == 0)
      return true;
  }
  return false;
}

static void ph_push_text(struct cg *cg, struct ph_string *out, const char *s, size_t len)
{
  if (len == 0)
    return;
  if (out->count > 0 && out->parts[out->count - 1].var == 0) {
    struct ph_part *last = &out->parts[out->count - 1];
    char *joined = arena_alloc(cg->a, last->len + len + 1);
    memcpy(joined, last->text, last->len);
    memcpy(joined + last->len, s, len);
    last->text = joined;
    last->len += len;
    return;
  }
  struct ph_part *p = ARENA_PUSH(cg->a, out->parts, out->count, out->cap);
  p->text = s;
  p->len = len;
}

/* the closing brace for the placeholder opened at i, skipping escaped ones */
static long ph_close(const char *s, size_t len, size_t i)
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

/* a placeholder key: 1 when it was handled (*var set, or NULL when PH_ALL
 * drops it), 0 when it stays text, -1 after refusing */
static int ph_key(struct cg *cg, const struct json *node, enum ph_mode mode, const char *key, size_t len,
                  const struct ph_var **var)
{
  *var = ph_lookup(key, len);
  if (*var)
    return 1;
  if (ph_known_namespace(key, len)) {
    cg_refuse(cg, node, "placeholder {%.*s}", (int)len, key);
    return -1;
  }
  return mode == PH_ALL ? 1 : 0;
}

int ph_parse(struct cg *cg, const struct json *node, enum ph_mode mode, struct ph_string *out)
{
  memset(out, 0, sizeof *out);
  out->constant = true;
  const char *s = node->text;
  size_t len = node->len, cursor = 0;
  for (size_t i = 0; i < len; i++) {
    if (i > 0 && s[i - 1] == '\\' && (s[i] == '{' || s[i] == '}')) {
      ph_push_text(cg, out, s + cursor, i - 1 - cursor);
      cursor = i;
      continue;
    }
    if (s[i] != '{')
      continue;
    long end = ph_close(s, len, i);
    if (end < 0)
      continue;
    const struct ph_var *var;
    int r = ph_key(cg, node, mode, s + i + 1, (size_t)end - i - 1, &var);
    if (r < 0)
      return -1;
    if (r == 0)
      continue;
    ph_push_text(cg, out, s + cursor, i - cursor);
    if (var) {
      struct ph_part *p = ARENA_PUSH(cg->a, out->parts, out->count, out->cap);
      p->var = var->id;
      p->var_name = var->name;
      out->constant = false;
    }
    i = (size_t)end;
    cursor = i + 1;
  }
  ph_push_text(cg, out, s + cursor, len - cursor);
  return 0;
}

/* the text of a placeholder-free string (NULL when it has variables) */
const char *ph_constant(struct cg *cg, const struct ph_string *s, size_t *len)
{
  *len = 0;
  if (!s->constant)
    return NULL;
  if (s->count == 0)
    return "";
  *len = s->parts[0].len;
  return arena_strndup(cg->a, s->parts[0].text, s->parts[0].len);
}

void ph_emit(struct cg *cg, struct srcpos pos, const struct ph_string *s, const char *slot)
{
  for (size_t i = 0; i < s->count; i++) {
    const struct ph_part *p = &s->parts[i];
    if (p->var)
      emit_stmt(cg, pos, "zs_var(%s, ZS_VAR_%s);", slot, p->var_name);
    else
      emit_stmt(cg, pos, "zs_lit(%s, %s);", slot, cg_cstr(cg, p->text, p->len));
  }
}
