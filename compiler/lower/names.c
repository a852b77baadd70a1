/* Where a refusal is reported and how it names what the user wrote: a node's
 * own position when it has one; else the directive token that produced it
 * (the adapter records it as the object's origin), named by the word there,
 * once per directive; else the enclosing construct; never no position. */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "base/file.h"
#include "lower_parts.h"

/* the first positioned value inside node (depth first), or NULL */
static const struct json *lower_positioned_at(const struct json *node, int depth)
{
  if (!node || depth > 32)
    return NULL;
  if (node->pos.line > 0)
    return node;
  for (size_t i = 0; i < node->count; i++) {
    const struct json *child = node->kind == JSON_ARRAY ? node->items[i]
                             : node->kind == JSON_OBJECT ? node->members[i].value : NULL;
    const struct json *found = lower_positioned_at(child, depth + 1);
    if (found)
      return found;
  }
  return NULL;
}

const struct json *lower_positioned(const struct json *node)
{
  return lower_positioned_at(node, 0);
}

/* where node's code comes from: its first positioned value, else the
 * enclosing handler or route (a synthesized object has no token of its own) */
struct srcpos lower_pos(struct lower *l, const struct json *node)
{
  const struct json *at = lower_positioned(node);
  return at ? at->pos : l->pos;
}

/* the first directive origin in node or below it */
static struct srcpos lower_origin_in(const struct json *node, int depth)
{
  if (!node || depth > 32 || node->origin.line > 0)
    return node && depth <= 32 ? node->origin : (struct srcpos){0};
  for (size_t i = 0; i < node->count; i++) {
    const struct json *child = node->kind == JSON_ARRAY ? node->items[i]
                             : node->kind == JSON_OBJECT ? node->members[i].value : NULL;
    struct srcpos found = lower_origin_in(child, depth + 1);
    if (found.line > 0)
      return found;
  }
  return (struct srcpos){0};
}

static const char *lower_source(struct lower *l, const char *path)
{
  for (size_t i = 0; i < l->source_count; i++)
    if (strcmp(l->sources[i].path, path) == 0)
      return l->sources[i].text;
  struct lower_source *s = ARENA_PUSH(l->a, l->sources, l->source_count, l->source_cap);
  char *text = NULL;
  size_t len = 0;
  s->path = arena_strdup(l->a, path);
  s->text = file_read_all(l->a, path, &text, &len) < 0 ? NULL : text;
  return s->text;
}

/* the start of line `line` in the file of pos, or NULL */
static const char *lower_line(struct lower *l, struct srcpos pos)
{
  const char *p = pos.file && pos.line > 0 ? lower_source(l, pos.file) : NULL;
  for (int n = 1; p && n < pos.line; n++) {
    p = strchr(p, '\n');
    p = p ? p + 1 : NULL;
  }
  return p;
}

static bool lower_word_char(char c)
{
  return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static const char *lower_word(struct lower *l, const char *p)
{
  size_t n = 0;
  while (lower_word_char(p[n]))
    n++;
  return n ? arena_strndup(l->a, p, n) : NULL;
}

/* the word (a directive or subdirective name) at pos, or NULL */
const char *lower_word_at(struct lower *l, struct srcpos pos)
{
  const char *line = lower_line(l, pos);
  if (!line || pos.col <= 0)
    return NULL;
  for (int i = 0; i < pos.col - 1; i++)
    if (line[i] == '\n' || !line[i])
      return NULL;
  return lower_word(l, line + pos.col - 1);
}

/* the first word of at's line (a subdirective, whose arguments carry the
 * positions), with its position */
const char *lower_line_word(struct lower *l, struct srcpos at, struct srcpos *word_pos)
{
  const char *line = lower_line(l, at);
  if (!line)
    return NULL;
  int col = 1;
  while (line[col - 1] == ' ' || line[col - 1] == '\t')
    col++;
  *word_pos = (struct srcpos){at.file, at.line, col};
  return lower_word(l, line + col - 1);
}

const char *lower_directive_name(struct lower *l, struct srcpos origin, const char *fallback)
{
  const char *w = origin.line > 0 ? lower_word_at(l, origin) : NULL;
  return w ? w : fallback;
}

static void lower_report(struct lower *l, struct srcpos pos, const char *what)
{
  if (pos.line <= 0)   /* nothing positioned at all: still file:line:col */
    pos = (struct srcpos){pos.file ? pos.file : l->input, 1, 1};
  diag_error(l->d, pos, "zsc cannot compile %s yet", what);
  l->errors++;
}

/* a refusal's words, in the arena */
static const char *lower_vformat(struct lower *l, const char *fmt, va_list ap)
{
  struct strbuf sb;
  strbuf_init(&sb, l->a);
  strbuf_vprintf(&sb, fmt, ap);
  return strbuf_cstr(&sb);
}

void lower_refuse_at(struct lower *l, struct srcpos pos, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  const char *what = lower_vformat(l, fmt, ap);
  va_end(ap);
  lower_report(l, pos, what);
}

static bool lower_refused_before(struct lower *l, struct srcpos origin)
{
  for (size_t i = 0; i < l->refused_count; i++)
    if (l->refused[i].line == origin.line && l->refused[i].col == origin.col &&
        strcmp(l->refused[i].file, origin.file) == 0)
      return true;
  *ARENA_PUSH(l->a, l->refused, l->refused_count, l->refused_cap) = origin;
  return false;
}

/* something a directive synthesized, refused at the directive: once */
static void lower_refuse_directive(struct lower *l, struct srcpos origin, const char *what)
{
  const char *name = lower_word_at(l, origin);
  if (lower_refused_before(l, origin)) {
    l->errors++;
    return;
  }
  if (!name)
    lower_report(l, origin, what);
  else if (what)   /* what the directive made, in JSON terms: the detail */
    diag_error(l->d, origin, "zsc cannot compile directive '%s' yet (it needs %s)", name, what), l->errors++;
  else
    lower_refuse_at(l, origin, "directive '%s'", name);
}

void lower_refuse(struct lower *l, const struct json *node, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  const char *what = lower_vformat(l, fmt, ap);
  va_end(ap);
  const struct json *own = lower_positioned(node);
  struct srcpos origin = lower_origin_in(node, 0);
  if (origin.line <= 0)
    origin = l->origin;
  if (own)
    lower_report(l, own->pos, what);
  else if (origin.line > 0)
    lower_refuse_directive(l, origin, what);
  else
    lower_report(l, l->pos.line > 0 ? l->pos : l->server_pos, what);
}

/* a handler or matcher module zsc has no row for: the directive as written
 * when the adapter recorded it, else the module's JSON name */
void lower_refuse_module(struct lower *l, const struct json *obj, const char *kind, const char *module)
{
  if (obj->origin.line > 0 && lower_word_at(l, obj->origin)) {
    lower_refuse_directive(l, obj->origin, NULL);
    return;
  }
  const struct json *name = json_object_get(obj, "handler");
  lower_refuse(l, name ? name : obj, "%s '%s'", kind, module);
}

static bool lower_name_in(const char *names, const char *w)
{
  size_t n = strlen(w);
  for (const char *p = names; (p = strstr(p, w)); p += n)
    if ((p == names || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
      return true;
  return false;
}

static bool lower_token_start(const char *bol, const char *p)
{
  return p == bol || p[-1] == ' ' || p[-1] == '\t';
}

static bool lower_token_end(char c)
{
  return !c || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* the last whole token before pos on its line that is one of names: the
 * line's subdirective, or the argument that picks a form (strip_suffix) */
static const char *lower_word_before(struct lower *l, struct srcpos pos, const char *names, struct srcpos *at)
{
  const char *line = lower_line(l, pos), *found = NULL;
  for (const char *p = line; p && *p && *p != '\n' && p - line < pos.col - 1; p++) {
    const char *w = lower_token_start(line, p) ? lower_word(l, p) : NULL;
    if (!w || !lower_token_end(p[strlen(w)]))
      continue;
    if (lower_name_in(names, w)) {
      found = w;
      *at = (struct srcpos){pos.file, pos.line, (int)(p - line) + 1};
    }
    p += strlen(w) - 1;
  }
  return found;
}

/* the first token of the directive's own text (its line and its block)
 * after the directive name that is one of names */
static const char *lower_word_in_directive(struct lower *l, struct srcpos origin, const char *names,
                                           struct srcpos *at)
{
  const char *bol = lower_line(l, origin);
  if (!bol || origin.col <= 0 || strlen(bol) < (size_t)origin.col)
    return NULL;
  int line = origin.line, depth = 0;
  for (const char *p = bol + origin.col - 1; *p; p++) {
    if (*p == '\n') {
      if (depth == 0)
        return NULL;
      line++, bol = p + 1;
      continue;
    }
    if (!lower_token_start(bol, p))
      continue;
    if (*p == '#')
      p += strcspn(p, "\n") - 1;
    else if ((*p == '{' || *p == '}') && lower_token_end(p[1]) && (depth += *p == '{' ? 1 : -1) <= 0)
      return NULL;
    const char *w = lower_word_char(*p) ? lower_word(l, p) : NULL;
    if (w && lower_token_end(p[strlen(w)]) && p - bol != origin.col - 1 && lower_name_in(names, w)) {
      *at = (struct srcpos){origin.file, line, (int)(p - bol) + 1};
      return w;
    }
    p += w ? strlen(w) - 1 : 0;
  }
  return NULL;
}

/* the token that names member v: on its own line before it, at its origin,
 * or in the text of the directive that made it */
static const char *lower_key_word(struct lower *l, const struct json *v, const char *names, struct srcpos *at)
{
  const struct json *own = lower_positioned(v);
  const char *w = own ? lower_word_before(l, own->pos, names, at) : NULL;
  if (w)
    return w;
  struct srcpos origin = lower_origin_in(v, 0);   /* v's own, or that of an object in it */
  if (origin.line > 0 && (w = lower_word_at(l, origin)) && lower_name_in(names, w)) {
    *at = origin;
    return w;
  }
  return l->origin.line > 0 ? lower_word_in_directive(l, l->origin, names, at) : NULL;
}

static bool lower_same_pos(struct srcpos x, struct srcpos y)
{
  return x.line == y.line && x.col == y.col && x.file && y.file && strcmp(x.file, y.file) == 0;
}

/* is pos on the line of the directive being lowered (an argument of it)? */
static bool lower_on_directive_line(struct lower *l, const struct json *v)
{
  const struct json *own = lower_positioned(v);
  return own && l->origin.line > 0 && own->pos.line == l->origin.line && own->pos.file && l->origin.file &&
         strcmp(own->pos.file, l->origin.file) == 0;
}

/* a member of obj zsc refuses: at the subdirective the user wrote when the
 * row names it and the source shows it; at the directive when it comes from
 * the directive's own arguments; else in JSON terms */
void lower_refuse_key(struct lower *l, const struct json *obj, const struct lower_key *row, const char *key,
                      const char *what)
{
  const struct json *v = json_object_get(obj, key);
  struct srcpos at = {0};
  const char *w = row && row->caddyfile ? lower_key_word(l, v, row->caddyfile, &at) : NULL;
  const char *owner = lower_directive_name(l, l->origin, l->directive ? l->directive : what);
  if (w && l->origin.line > 0 && !lower_same_pos(at, l->origin))
    lower_refuse_at(l, at, "%s subdirective '%s'", owner, w);
  else if (w)
    lower_refuse_directive(l, at, NULL);
  else if (lower_on_directive_line(l, v))
    lower_refuse_directive(l, l->origin, arena_printf(l->a, "%s option '%s'", what, key));
  else
    lower_refuse(l, v, "%s option '%s'", what, key);
}

/* a matcher zsc has no row for: at its name where the line shows it (a
 * named matcher's definition), at the directive when it is the directive's
 * doing (try_files), else in JSON terms */
void lower_refuse_matcher(struct lower *l, const struct json *v, const char *name)
{
  const struct json *own = lower_positioned(v);
  struct srcpos at = {0};
  if (own && lower_word_before(l, own->pos, name, &at))
    lower_refuse_at(l, at, "matcher '%s'", name);
  else if (lower_on_directive_line(l, v) || (!own && l->origin.line > 0))
    lower_refuse_directive(l, l->origin, arena_printf(l->a, "matcher '%s'", name));
  else
    lower_refuse(l, v, "matcher '%s'", name);
}
