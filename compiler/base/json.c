/* JSON tree: construction, a strict parser with positions, and a writer that
 * prints exactly what Go's encoding/json prints. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

struct json *json_new(struct arena *a, enum json_kind kind, struct srcpos pos)
{
  struct json *v = arena_alloc(a, sizeof *v);
  v->kind = kind;
  v->pos = pos;
  return v;
}

struct json *json_stringn(struct arena *a, const char *s, size_t len, struct srcpos pos)
{
  struct json *v = json_new(a, JSON_STRING, pos);
  v->text = arena_strndup(a, s, len);
  v->len = len;
  return v;
}

struct json *json_string(struct arena *a, const char *s, struct srcpos pos)
{
  return json_stringn(a, s, strlen(s), pos);
}

struct json *json_number_int(struct arena *a, long long n, struct srcpos pos)
{
  struct json *v = json_new(a, JSON_NUMBER, pos);
  v->text = arena_printf(a, "%lld", n);
  v->len = strlen(v->text);
  return v;
}

struct json *json_bool(struct arena *a, bool b, struct srcpos pos)
{
  struct json *v = json_new(a, JSON_BOOL, pos);
  v->boolean = b;
  return v;
}

void json_array_push(struct arena *a, struct json *arr, struct json *v)
{
  *ARENA_PUSH(a, arr->items, arr->count, arr->cap) = v;
}

void json_object_set(struct arena *a, struct json *obj, const char *key, struct json *v)
{
  for (size_t i = 0; i < obj->count; i++)
    if (strcmp(obj->members[i].key, key) == 0) {
      obj->members[i].value = v;
      return;
    }
  struct json_member *m = ARENA_PUSH(a, obj->members, obj->count, obj->cap);
  m->key = arena_strdup(a, key);
  m->value = v;
}

struct json *json_object_get(const struct json *obj, const char *key)
{
  if (!obj || obj->kind != JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < obj->count; i++)
    if (strcmp(obj->members[i].key, key) == 0)
      return obj->members[i].value;
  return NULL;
}

bool json_object_delete(struct json *obj, const char *key)
{
  for (size_t i = 0; i < obj->count; i++)
    if (strcmp(obj->members[i].key, key) == 0) {
      memmove(&obj->members[i], &obj->members[i + 1], (obj->count - i - 1) * sizeof obj->members[0]);
      obj->count--;
      return true;
    }
  return false;
}

/* stable insertion sort: objects are small and order among equal keys cannot occur */
void json_object_sort(struct json *obj)
{
  for (size_t i = 1; i < obj->count; i++) {
    struct json_member m = obj->members[i];
    size_t j = i;
    while (j > 0 && strcmp(obj->members[j - 1].key, m.key) > 0) {
      obj->members[j] = obj->members[j - 1];
      j--;
    }
    obj->members[j] = m;
  }
}

bool json_equal(const struct json *x, const struct json *y)
{
  if (!x || !y)
    return x == y;
  if (x->kind != y->kind || x->count != y->count)
    return false;
  switch (x->kind) {
  case JSON_NULL: return true;
  case JSON_BOOL: return x->boolean == y->boolean;
  case JSON_NUMBER: return strcmp(x->text, y->text) == 0;
  case JSON_STRING: return x->len == y->len && memcmp(x->text, y->text, x->len) == 0;
  case JSON_ARRAY:
    for (size_t i = 0; i < x->count; i++)
      if (!json_equal(x->items[i], y->items[i]))
        return false;
    return true;
  case JSON_OBJECT:
    for (size_t i = 0; i < x->count; i++)
      if (strcmp(x->members[i].key, y->members[i].key) != 0 ||
          !json_equal(x->members[i].value, y->members[i].value))
        return false;
    return true;
  }
  return false;
}

long long json_int(const struct json *v, long long fallback)
{
  if (!v || v->kind != JSON_NUMBER)
    return fallback;
  char *end;
  long long n = strtoll(v->text, &end, 10);
  return *end ? fallback : n;
}

const char *json_str(const struct json *v)
{
  return v && v->kind == JSON_STRING ? v->text : NULL;
}

/* ---- parser ---- */

struct json_parser {
  struct arena *arena;
  const char *text, *p, *end, *line_start;
  const char *file;
  int line, depth;
  struct diag *diag;
  bool failed;
};

static struct srcpos json_parser_pos(struct json_parser *ps)
{
  return (struct srcpos){ps->file, ps->line, (int)(ps->p - ps->line_start) + 1};
}

static void json_parser_fail(struct json_parser *ps, const char *what)
{
  if (!ps->failed)
    diag_error(ps->diag, json_parser_pos(ps), "invalid JSON: %s", what);
  ps->failed = true;
}

static void json_skip_space(struct json_parser *ps)
{
  while (ps->p < ps->end && *ps->p && strchr(" \t\r\n", *ps->p)) {   /* strchr finds the NUL too */
    if (*ps->p == '\n') {
      ps->line++;
      ps->line_start = ps->p + 1;
    }
    ps->p++;
  }
}

static void json_put_utf8(struct strbuf *sb, unsigned cp)
{
  char b[4];
  if (cp < 0x80) { b[0] = (char)cp; strbuf_put(sb, b, 1); }
  else if (cp < 0x800) { b[0] = (char)(0xc0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3f)); strbuf_put(sb, b, 2); }
  else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | cp >> 12); b[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[2] = (char)(0x80 | (cp & 0x3f));
    strbuf_put(sb, b, 3);
  } else {
    b[0] = (char)(0xf0 | cp >> 18); b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[3] = (char)(0x80 | (cp & 0x3f));
    strbuf_put(sb, b, 4);
  }
}

static int json_hex4(struct json_parser *ps, unsigned *out)
{
  if (ps->end - ps->p < 4)
    return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = *ps->p++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

/* string = '"' { char | escape } '"' */
static int json_parse_string_bytes(struct json_parser *ps, struct strbuf *sb)
{
  ps->p++;
  while (ps->p < ps->end && *ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p;
    if (c < 0x20) {
      json_parser_fail(ps, "control character in string");
      return -1;
    }
    if (c != '\\') {
      strbuf_put(sb, ps->p++, 1);
      continue;
    }
    if (++ps->p >= ps->end)
      break;
    char e = *ps->p++;
    const char *simple = strchr("\"\\/bfnrt", e);
    if (simple && e) {
      static const char map[] = "\"\\/\b\f\n\r\t";
      strbuf_putc(sb, map[simple - "\"\\/bfnrt"]);
    } else if (e == 'u') {
      unsigned cp, lo;
      if (json_hex4(ps, &cp) < 0) {
        json_parser_fail(ps, "bad \\u escape");
        return -1;
      }
      if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
        ps->p += 2;
        if (json_hex4(ps, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
          json_parser_fail(ps, "bad surrogate pair");
          return -1;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      json_put_utf8(sb, cp);
    } else {
      json_parser_fail(ps, "bad escape");
      return -1;
    }
  }
  if (ps->p >= ps->end) {
    json_parser_fail(ps, "unterminated string");
    return -1;
  }
  ps->p++;
  return 0;
}

static struct json *json_parse_value(struct json_parser *ps);

/* object = '{' [ string ':' value { ',' string ':' value } ] '}' */
static struct json *json_parse_object(struct json_parser *ps, struct json *v)
{
  ps->p++;
  json_skip_space(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return v;
  }
  for (;;) {
    json_skip_space(ps);
    if (ps->p >= ps->end || *ps->p != '"') {
      json_parser_fail(ps, "expected a string key");
      return NULL;
    }
    struct strbuf key;
    strbuf_init(&key, ps->arena);
    if (json_parse_string_bytes(ps, &key) < 0)
      return NULL;
    json_skip_space(ps);
    if (ps->p >= ps->end || *ps->p != ':') {
      json_parser_fail(ps, "expected ':'");
      return NULL;
    }
    ps->p++;
    struct json *item = json_parse_value(ps);
    if (!item)
      return NULL;
    json_object_set(ps->arena, v, strbuf_cstr(&key), item);
    json_skip_space(ps);
    if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
    if (ps->p < ps->end && *ps->p == '}') { ps->p++; return v; }
    json_parser_fail(ps, "expected ',' or '}'");
    return NULL;
  }
}

/* array = '[' [ value { ',' value } ] ']' */
static struct json *json_parse_array(struct json_parser *ps, struct json *v)
{
  ps->p++;
  json_skip_space(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return v;
  }
  for (;;) {
    struct json *item = json_parse_value(ps);
    if (!item)
      return NULL;
    json_array_push(ps->arena, v, item);
    json_skip_space(ps);
    if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
    if (ps->p < ps->end && *ps->p == ']') { ps->p++; return v; }
    json_parser_fail(ps, "expected ',' or ']'");
    return NULL;
  }
}

/* strspn of digits bounded by the text's end: the text need not be NUL-terminated */
static size_t json_digits(const struct json_parser *ps)
{
  const char *q = ps->p;
  while (q < ps->end && *q >= '0' && *q <= '9')
    q++;
  return (size_t)(q - ps->p);
}

static struct json *json_parse_number(struct json_parser *ps, struct json *v)
{
  const char *s = ps->p;
  if (ps->p < ps->end && *ps->p == '-') ps->p++;
  size_t digits = json_digits(ps);
  if (!digits || (ps->p[0] == '0' && digits > 1)) {
    json_parser_fail(ps, "bad number");
    return NULL;
  }
  ps->p += digits;
  if (ps->p < ps->end && *ps->p == '.') {
    ps->p++;
    size_t frac = json_digits(ps);
    if (!frac) { json_parser_fail(ps, "bad number"); return NULL; }
    ps->p += frac;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
    size_t exp = json_digits(ps);
    if (!exp) { json_parser_fail(ps, "bad number"); return NULL; }
    ps->p += exp;
  }
  v->text = arena_strndup(ps->arena, s, (size_t)(ps->p - s));
  v->len = (size_t)(ps->p - s);
  return v;
}

static bool json_take_word(struct json_parser *ps, const char *w)
{
  size_t n = strlen(w);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
    return false;
  ps->p += n;
  return true;
}

static struct json *json_parse_value(struct json_parser *ps)
{
  json_skip_space(ps);
  struct srcpos pos = json_parser_pos(ps);
  if (ps->p >= ps->end) {
    json_parser_fail(ps, "unexpected end of input");
    return NULL;
  }
  if (++ps->depth > 512) {
    json_parser_fail(ps, "nesting too deep");
    return NULL;
  }
  struct json *v = NULL;
  char c = *ps->p;
  if (c == '{') v = json_parse_object(ps, json_new(ps->arena, JSON_OBJECT, pos));
  else if (c == '[') v = json_parse_array(ps, json_new(ps->arena, JSON_ARRAY, pos));
  else if (c == '"') {
    struct strbuf sb;
    strbuf_init(&sb, ps->arena);
    if (json_parse_string_bytes(ps, &sb) == 0)
      v = json_stringn(ps->arena, strbuf_cstr(&sb), sb.len, pos);
  } else if (c == '-' || (c >= '0' && c <= '9')) v = json_parse_number(ps, json_new(ps->arena, JSON_NUMBER, pos));
  else if (json_take_word(ps, "true")) v = json_bool(ps->arena, true, pos);
  else if (json_take_word(ps, "false")) v = json_bool(ps->arena, false, pos);
  else if (json_take_word(ps, "null")) v = json_new(ps->arena, JSON_NULL, pos);
  else json_parser_fail(ps, "unexpected character");
  ps->depth--;
  return v;
}

struct json *json_parse(struct arena *a, const char *text, size_t len, const char *file, struct diag *d)
{
  struct json_parser ps = {
    .arena = a, .text = text, .p = text, .end = text + len, .line_start = text,
    .file = file, .line = 1, .diag = d,
  };
  struct json *v = json_parse_value(&ps);
  if (!v)
    return NULL;
  json_skip_space(&ps);
  if (ps.p != ps.end) {
    json_parser_fail(&ps, "trailing data after the value");
    return NULL;
  }
  return v;
}

/* ---- writer ---- */

/* Bytes that Go's encoder writes as they are: everything but controls, '"',
 * '\\', the HTML-sensitive <, > and &, and 0xe2 (which may start U+2028/9). */
static bool json_plain_byte(unsigned char c)
{
  return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0xe2;
}

static void json_write_string(struct strbuf *out, const char *s, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  strbuf_putc(out, '"');
  for (size_t i = 0; i < len; i++) {
    size_t run = i;
    while (run < len && json_plain_byte((unsigned char)s[run]))
      run++;
    if (run > i) {
      strbuf_put(out, s + i, run - i);  /* runs, not bytes: most keys and values are plain */
      i = run;
      if (i == len)
        break;
    }
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      strbuf_put(out, e, 2);
    } else if (c == '\n') strbuf_put(out, "\\n", 2);
    else if (c == '\r') strbuf_put(out, "\\r", 2);
    else if (c == '\t') strbuf_put(out, "\\t", 2);
    else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      strbuf_put(out, u, 6);
    } else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
               ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
      strbuf_put(out, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
      i += 2;
    } else strbuf_putc(out, (char)c);
  }
  strbuf_putc(out, '"');
}

static void json_write_newline(struct strbuf *out, bool indent, int depth)
{
  static const char tabs[] = "\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
  if (!indent)
    return;
  if ((size_t)depth < sizeof tabs - 1) {
    strbuf_put(out, tabs, (size_t)depth + 1);
    return;
  }
  strbuf_putc(out, '\n');
  for (int i = 0; i < depth; i++)
    strbuf_putc(out, '\t');
}

static void json_write_value(struct strbuf *out, const struct json *v, bool indent, int depth)
{
  switch (v->kind) {
  case JSON_NULL: strbuf_puts(out, "null"); break;
  case JSON_BOOL: strbuf_puts(out, v->boolean ? "true" : "false"); break;
  case JSON_NUMBER: strbuf_puts(out, v->text); break;
  case JSON_STRING: json_write_string(out, v->text, v->len); break;
  case JSON_ARRAY:
    strbuf_putc(out, '[');
    for (size_t i = 0; i < v->count; i++) {
      if (i) strbuf_putc(out, ',');
      json_write_newline(out, indent, depth + 1);
      json_write_value(out, v->items[i], indent, depth + 1);
    }
    if (v->count) json_write_newline(out, indent, depth);
    strbuf_putc(out, ']');
    break;
  case JSON_OBJECT:
    strbuf_putc(out, '{');
    for (size_t i = 0; i < v->count; i++) {
      if (i) strbuf_putc(out, ',');
      json_write_newline(out, indent, depth + 1);
      json_write_string(out, v->members[i].key, strlen(v->members[i].key));
      strbuf_puts(out, indent ? ": " : ":");
      json_write_value(out, v->members[i].value, indent, depth + 1);
    }
    if (v->count) json_write_newline(out, indent, depth);
    strbuf_putc(out, '}');
    break;
  }
}

void json_write(struct strbuf *out, const struct json *v, bool indent)
{
  json_write_value(out, v, indent, 0);
}
