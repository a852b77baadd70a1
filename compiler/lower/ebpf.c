/* The ebpf handler: a user's eBPF program (C or a prebuilt object) and its
 * arguments. Lowering resolves the file against the Caddyfile that names it
 * and packs the arguments; the pipeline compiles, links and verifies the
 * program with the site, so nothing is read here. */
#include <string.h>

#include "lower_parts.h"

#define LOWER_EBPF_MAX_ARGS 64        /* what zs_arg's index reaches; a guard, not a need */

/* the file as written, relative to the folder of the Caddyfile it is in */
static const char *lower_ebpf_resolve(struct lower *l, const char *written, struct srcpos pos)
{
  const char *from = pos.file ? pos.file : l->input;
  const char *slash = from ? strrchr(from, '/') : NULL;
  if (written[0] == '/' || !slash)
    return written;
  return arena_printf(l->a, "%.*s/%s", (int)(slash - from), from, written);
}

/* one plugin per file: the same program named twice is linked once */
static int lower_ebpf_program(struct lower *l, const struct json *v, struct lowered_ebpf *e)
{
  const char *written = lower_string(l, v, "ebpf program");
  if (!written)
    return -1;
  size_t n = strlen(written);
  bool object = n > 2 && strcmp(written + n - 2, ".o") == 0;
  if (!object && !(n > 2 && strcmp(written + n - 2, ".c") == 0)) {
    lower_refuse(l, v, "ebpf program '%s' that is neither a .c source nor a .o eBPF object", written);
    return -1;
  }
  e->program = written;
  struct srcpos pos = lower_pos(l, v);
  const char *path = lower_ebpf_resolve(l, written, pos);
  for (size_t i = 0; i < l->plugin_count; i++)
    if (strcmp(l->plugins[i].path, path) == 0) {
      e->plugin = (unsigned)i;
      return 0;
    }
  struct lowered_plugin *p = ARENA_PUSH(l->a, l->plugins, l->plugin_count, l->plugin_cap);
  *p = (struct lowered_plugin){.path = path, .written = written, .pos = pos, .object = object};
  e->plugin = (unsigned)(l->plugin_count - 1);
  return 0;
}

/* appends name NUL value NUL */
static void lower_ebpf_pack(struct lower *l, struct lowered_ebpf *e, const char *name, const char *value)
{
  size_t nn = strlen(name) + 1, vn = strlen(value) + 1;
  char *buf = arena_alloc(l->a, e->args_len + nn + vn);
  memcpy(buf, e->args, e->args_len);
  memcpy(buf + e->args_len, name, nn);
  memcpy(buf + e->args_len + nn, value, vn);
  e->args = buf;
  e->args_len += nn + vn;
  e->argc++;
}

static int lower_ebpf_arg(struct lower *l, struct lowered_ebpf *e, const char *name, const struct json *v)
{
  const char *value = lower_string(l, v, "ebpf argument");
  if (!value)
    return -1;
  if (e->argc >= LOWER_EBPF_MAX_ARGS) {
    lower_refuse(l, v, "ebpf argument beyond the %d it takes", LOWER_EBPF_MAX_ARGS);
    return -1;
  }
  lower_ebpf_pack(l, e, name, value);
  return 0;
}

static int lower_ebpf_args(struct lower *l, const struct json *v, struct lowered_ebpf *e)
{
  if (v->kind != JSON_ARRAY) {
    lower_refuse(l, v, "ebpf args that is not a list");
    return -1;
  }
  e->positional = 0;
  for (size_t i = 0; i < v->count; i++) {
    if (lower_ebpf_arg(l, e, "", v->items[i]) < 0)
      return -1;
    e->positional++;
  }
  return 0;
}

static int lower_ebpf_named(struct lower *l, const struct json *v, struct lowered_ebpf *e)
{
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "ebpf named_args that is not an object");
    return -1;
  }
  for (size_t i = 0; i < v->count; i++) {
    if (v->members[i].key[0] == '\0') {
      lower_refuse(l, v->members[i].value, "ebpf named argument without a name");
      return -1;
    }
    if (lower_ebpf_arg(l, e, v->members[i].key, v->members[i].value) < 0)
      return -1;
  }
  return 0;
}

/* the members are checked by the table, then lowered in a fixed order:
 * positional arguments before named ones, whatever the JSON's member order,
 * so zs_arg's indices are the positions as written */
static const struct lower_key lower_ebpf_keys[] = {
  {"handler", NULL, NULL}, {"program", NULL, NULL}, {"args", NULL, NULL}, {"named_args", NULL, NULL},
  {NULL, NULL, NULL},
};

int lower_ebpf(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  struct lowered_ebpf *e = &out->u.ebpf;
  *e = (struct lowered_ebpf){.args = ""};
  l->ebpf_seen = true;
  if (lower_keys(l, h, lower_ebpf_keys, "ebpf", e) < 0)
    return -1;
  const struct json *program = json_object_get(h, "program"), *args = json_object_get(h, "args");
  const struct json *named = json_object_get(h, "named_args");
  if (!program) {
    lower_refuse(l, h, "ebpf without a program");
    return -1;
  }
  if (lower_ebpf_program(l, program, e) < 0 || (args && lower_ebpf_args(l, args, e) < 0) ||
      (named && lower_ebpf_named(l, named, e) < 0))
    return -1;
  return 0;
}
