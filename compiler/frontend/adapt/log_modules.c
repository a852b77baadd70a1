/* Log writer and encoder modules in the Caddyfile: stdout/stderr/discard,
 * file (with rolling), net; console/json, filter (field filters), append and
 * journald encoders. Each reads the segment that starts at its name. */
#include <math.h>
#include <string.h>

#include "adapt.h"

static struct json *module_obj(struct helper *h, const char *key, const char *name)
{
  struct json *m = jobj(h->ad->arena);
  jset(h->ad->arena, m, key, jstr(h->ad->arena, name, disp_pos(&h->d)));
  return m;
}

static int log_arg(struct helper *h, const char **out)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  *out = disp_val(&h->d);
  return 0;
}

static int file_roll_list(struct helper *h, struct json *w, const char *key, bool ints)
{
  struct arena *a = h->ad->arena;
  struct json *list = jget_or_new(a, w, key, JSON_ARRAY);
  while (disp_next_arg(&h->d)) {
    const char *p = disp_val(&h->d);
    while (*p) {
      const char *comma = strchr(p, ',');
      size_t n = comma ? (size_t)(comma - p) : strlen(p);
      const char *item = arena_strndup(a, p, n);
      long long v;
      if (ints && go_atoi(item, &v))
        jpush(a, list, jint(a, v, disp_pos(&h->d)));
      else
        jpush(a, list, jstr(a, item, disp_pos(&h->d)));
      p += n + (comma != NULL);
    }
  }
  return 0;
}

/* One `output file` option: its parser, the writer key it sets, and whether
 * it takes one value (read before the name is even checked, as Caddy does). */
struct file_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *w, const struct file_row *row, const char *v);
  const char *key;
  bool value;
};

static int file_set_bool(struct helper *h, struct json *w, const struct file_row *row, const char *v)
{
  (void)v;
  jset(h->ad->arena, w, row->key, jbool(h->ad->arena, !strcmp(row->name, "roll_local_time")));
  return 0;
}

/* roll_at TIME[,TIME]... / roll_minutes N[,N]... */
static int file_set_list(struct helper *h, struct json *w, const struct file_row *row, const char *v)
{
  (void)v;
  return file_roll_list(h, w, row->key, !strcmp(row->name, "roll_minutes"));
}

static int file_set_string(struct helper *h, struct json *w, const struct file_row *row, const char *v)
{
  jset(h->ad->arena, w, row->key, jstr(h->ad->arena, v, disp_pos(&h->d)));
  return 0;
}

/* roll_size SIZE, in whole megabytes rounded up */
static int file_set_size_mb(struct helper *h, struct json *w, const struct file_row *row, const char *v)
{
  long long n;
  if (go_parse_size(v, &n) < 0)
    return disp_errf(&h->d, "parsing size: %s", v);
  jset(h->ad->arena, w, row->key, jint(h->ad->arena, (long long)ceil((double)n / 1048576.0), disp_pos(&h->d)));
  return 0;
}

/* roll_keep N (anything else is not understood) */
static int file_set_keep(struct helper *h, struct json *w, const struct file_row *row, const char *v)
{
  long long n;
  if (!go_atoi(v, &n))
    return disp_errf(&h->d, "unrecognized subdirective '%s'", row->name);
  jset(h->ad->arena, w, row->key, jint(h->ad->arena, n, disp_pos(&h->d)));
  return 0;
}

/* roll_keep_for DURATION (whole days, rounded up) / roll_interval DURATION (ns) */
static int file_set_duration(struct helper *h, struct json *w, const struct file_row *row, const char *v)
{
  long long n;
  if (go_parse_duration(v, &n) < 0)
    return disp_errf(&h->d, "parsing duration: %s", v);
  if (!strcmp(row->name, "roll_keep_for"))
    n = (long long)ceil((double)n / 3.6e12 / 24.0);
  jset(h->ad->arena, w, row->key, jint(h->ad->arena, n, disp_pos(&h->d)));
  return 0;
}

static const struct file_row file_rows[] = {
  {"roll_disabled", file_set_bool, "roll", false},
  {"roll_uncompressed", file_set_bool, "roll_gzip", false},
  {"roll_local_time", file_set_bool, "roll_local_time", false},
  {"roll_at", file_set_list, "roll_at", false},
  {"roll_minutes", file_set_list, "roll_minutes", false},
  {"mode", file_set_string, "mode", true},
  {"dir_mode", file_set_string, "dir_mode", true},
  {"roll_compression", file_set_string, "roll_compression", true},
  {"roll_size", file_set_size_mb, "roll_size_mb", true},
  {"roll_keep", file_set_keep, "roll_keep", true},
  {"roll_keep_for", file_set_duration, "roll_keep_days", true},
  {"roll_interval", file_set_duration, "roll_interval", true},
};

static int file_option(struct helper *h, struct json *w, const char *sub)
{
  const struct file_row *row = TABLE_FIND(file_rows, sub);
  const char *v = NULL;
  if ((!row || row->value) && log_arg(h, &v) < 0)
    return -1;
  if (!row)
    return disp_errf(&h->d, "unrecognized subdirective '%s'", sub);
  return row->parse(h, w, row, v);
}

/* net's block: soft_start, dial_timeout DURATION */
static int net_option(struct helper *h, struct json *w, const char *sub)
{
  struct arena *a = h->ad->arena;
  if (!strcmp(sub, "soft_start"))
    jset(a, w, "soft_start", jbool(a, true));
  else if (!strcmp(sub, "dial_timeout") && disp_next_arg(&h->d)) {
    struct json *d = go_duration_json(&h->d, disp_val(&h->d));
    if (!d)
      return -1;
    jset(a, w, "dial_timeout", d);
  } else
    return disp_errf(&h->d, "unrecognized subdirective '%s'", sub);
  return 0;
}

/* file PATH { options } / net ADDRESS { options }: the target under key, then the block */
static int writer_with_target(struct helper *h, struct json *w, const char *key, int (*option)(struct helper *, struct json *, const char *))
{
  const char *target = NULL;
  if (log_arg(h, &target) < 0)
    return -1;
  jset(h->ad->arena, w, key, jstr(h->ad->arena, target, disp_pos(&h->d)));
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);)
    if (option(h, w, disp_val(&h->d)) < 0)
      return -1;
  return 0;
}

static int writer_file(struct helper *h, struct json *w)
{
  return writer_with_target(h, w, "filename", file_option);
}

static int writer_net(struct helper *h, struct json *w)
{
  return writer_with_target(h, w, "address", net_option);
}

static int writer_plain(struct helper *h, struct json *w)
{
  (void)h, (void)w;
  return 0;
}

/* The writer modules `output` knows, each with its Caddyfile syntax. */
static const struct writer_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *w);
} writer_rows[] = {
  {"stdout", writer_plain}, {"stderr", writer_plain}, {"discard", writer_plain},
  {"file", writer_file}, {"net", writer_net},
};

/* output stdout|stderr|discard|file PATH {...}|net ADDR {...} */
int log_writer(struct helper *h, struct json *cl)
{
  const char *name = NULL;
  if (log_arg(h, &name) < 0)
    return -1;
  struct json *w = module_obj(h, "output", name);
  const struct writer_row *row = TABLE_FIND(writer_rows, name);
  if (!row)
    return disp_errf(&h->d, "getting module named 'caddy.logging.writers.%s': module not registered: caddy.logging.writers.%s", name, name);
  if (row->parse(h, w) < 0)
    return -1;
  jset(h->ad->arena, cl, "writer", w);
  return 0;
}

static struct json *log_encoder_module(struct helper *h, const char *name);

static int filter_actions(struct helper *h, struct json *f, const char *key)
{
  struct arena *a = h->ad->arena;
  struct json *actions = jarr(a);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    struct json *act = jobj(a);
    const char *type = disp_val(&h->d), *v = NULL;
    if (strcmp(type, "replace") && strcmp(type, "hash") && strcmp(type, "delete"))
      return disp_errf(&h->d, "unrecognized subdirective %s", type);
    jset(a, act, "type", jstr(a, type, disp_pos(&h->d)));
    if (log_arg(h, &v) < 0)
      return -1;
    jset(a, act, key, jstr(a, v, disp_pos(&h->d)));
    if (!strcmp(type, "replace")) {
      if (log_arg(h, &v) < 0)
        return -1;
      jset(a, act, "value", jstr(a, v, disp_pos(&h->d)));
    }
    jpush(a, actions, act);
  }
  jset(a, f, "actions", actions);
  return 0;
}

static int filter_ip_mask(struct helper *h, struct json *f)
{
  struct arena *a = h->ad->arena;
  long long n;
  for (int i = 0; i < 2 && disp_next_arg(&h->d); i++) {
    if (!go_atoi(disp_val(&h->d), &n))
      return disp_errf(&h->d, "error parsing %s CIDR mask: %s", i ? "IPv6" : "IPv4", disp_val(&h->d));
    jset(a, f, i ? "ipv6_cidr" : "ipv4_cidr", jint(a, n, disp_pos(&h->d)));
  }
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    if ((strcmp(sub, "ipv4") && strcmp(sub, "ipv6")) || !disp_next_arg(&h->d) || !go_atoi(disp_val(&h->d), &n))
      return disp_errf(&h->d, "unrecognized subdirective %s", sub);
    jset(a, f, sub[3] == '4' ? "ipv4_cidr" : "ipv6_cidr", jint(a, n, disp_pos(&h->d)));
  }
  return 0;
}

/* regexp [PATTERN [VALUE]]: kept per field in regexps until the block ends,
 * since several of them on one field merge into one multi_regexp filter */
static int log_regexp_filter(struct helper *h, struct json *regexps, const char *field)
{
  struct arena *a = h->ad->arena;
  struct json *op = jobj(a);
  if (disp_next_arg(&h->d) && *disp_val(&h->d))
    jset(a, op, "regexp", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  if (disp_next_arg(&h->d) && *disp_val(&h->d))
    jset(a, op, "value", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  jpush(a, jget_or_new(a, regexps, field, JSON_ARRAY), op);
  return 0;
}

/* The fields' regexp filters: one stays a regexp filter, more become multi_regexp. */
static int log_regexp_merge(struct helper *h, struct json *fields, struct json *regexps)
{
  struct arena *a = h->ad->arena;
  for (size_t i = 0; i < regexps->count; i++) {
    const char *field = regexps->members[i].key;
    struct json *ops = regexps->members[i].value, *f;
    if (ops->count == 1) {
      f = ops->items[0];
      jset(a, f, "filter", jstr(a, "regexp", (struct srcpos){0}));
      json_object_sort(f);
    } else {
      for (size_t k = 0; k < ops->count; k++) {
        const char *re = json_str(json_object_get(ops->items[k], "regexp"));
        const char *why = k >= 50 ? "cannot add operation: maximum 50 operations allowed"
                          : !re || !*re ? "regexp pattern cannot be empty"
                          : strlen(re) > 1000 ? arena_printf(a, "regexp pattern too long: %zu characters (maximum 1000)", strlen(re))
                                              : NULL;
        if (why)
          return fe_fail(h->d.err, disp_pos(&h->d), "adding regexp operation for field %s: %s", field, why);
      }
      f = jobj(a);
      jset(a, f, "filter", jstr(a, "multi_regexp", (struct srcpos){0}));
      jset(a, f, "operations", ops);
    }
    jset(a, fields, field, f);
  }
  return 0;
}

/* FIELD FILTER [args] [{ }] with the cursor on FIELD */
static int log_field_filter(struct helper *h, struct json *fields, struct json *regexps)
{
  struct arena *a = h->ad->arena;
  const char *field = disp_val(&h->d), *name = NULL;
  if (log_arg(h, &name) < 0)
    return -1;
  if (!strcmp(name, "regexp"))
    return log_regexp_filter(h, regexps, field);
  struct json *f = module_obj(h, "filter", name);
  if (!strcmp(name, "replace") || !strcmp(name, "rename")) {
    if (disp_next_arg(&h->d))
      jset(a, f, "value", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  } else if (!strcmp(name, "ip_mask")) {
    if (filter_ip_mask(h, f) < 0)
      return -1;
  } else if (!strcmp(name, "query") || !strcmp(name, "cookie")) {
    if (filter_actions(h, f, name[0] == 'q' ? "parameter" : "name") < 0)
      return -1;
  } else if (strcmp(name, "delete") && strcmp(name, "hash"))
    return disp_errf(&h->d, "getting module named 'caddy.logging.encoders.filter.%s': module not registered", name);
  if (json_object_get(regexps, field))
    return disp_errf(&h->d, "cannot mix regexp filters with other filter types for field %s", field);
  if (json_object_get(fields, field))
    return disp_errf(&h->d, "field %s already has a filter; multiple non-regexp filters per field are not supported", field);
  jset(a, fields, field, f);
  return 0;
}

static int log_wrap(struct helper *h, struct json *enc)
{
  const char *name = NULL;
  if (log_arg(h, &name) < 0)
    return -1;
  struct json *w = log_encoder_module(h, name);
  if (!w)
    return -1;
  jset(h->ad->arena, enc, "wrap", w);
  return 0;
}

static int log_scalar_field(struct helper *h, struct json *fields)
{
  const char *field = disp_val(&h->d);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, fields, field, go_scalar(h->ad->arena, disp_token(&h->d)));
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

/* filter and append: wrap + fields, long form in a fields block or short form */
static int log_wrapping_encoder(struct helper *h, struct json *enc, bool append)
{
  struct json *fields = jobj(h->ad->arena), *regexps = jobj(h->ad->arena);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    int r = 0;
    if (!strcmp(sub, "wrap"))
      r = log_wrap(h, enc);
    else if (!strcmp(sub, "fields"))
      for (int inner = h->d.nesting; r == 0 && disp_next_block(&h->d, inner);)
        r = append ? log_scalar_field(h, fields) : log_field_filter(h, fields, regexps);
    else
      r = append ? log_scalar_field(h, fields) : log_field_filter(h, fields, regexps);
    if (r < 0)
      return -1;
  }
  if (log_regexp_merge(h, fields, regexps) < 0)
    return -1;
  if (fields->count)
    jset(h->ad->arena, enc, "fields", fields);
  return 0;
}

static int log_plain_encoder(struct helper *h, struct json *enc)
{
  static const char *const keys[] = {"message_key", "level_key", "time_key", "name_key", "caller_key",
                                     "stacktrace_key", "line_ending", "time_format", "duration_format", "level_format"};
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d), *v = NULL;
    if (!strcmp(sub, "time_local")) {
      jset(h->ad->arena, enc, "time_local", jbool(h->ad->arena, true));
      continue;
    }
    bool known = false;
    for (int i = 0; i < 10; i++)
      known = known || !strcmp(sub, keys[i]);
    if (!known)
      return disp_errf(&h->d, "unrecognized subdirective %s", sub);
    if (log_arg(h, &v) < 0)
      return -1;
    jset(h->ad->arena, enc, sub, jstr(h->ad->arena, v, disp_pos(&h->d)));
  }
  return 0;
}

static int encoder_filter(struct helper *h, struct json *enc)
{
  return log_wrapping_encoder(h, enc, false);
}

static int encoder_append(struct helper *h, struct json *enc)
{
  return log_wrapping_encoder(h, enc, true);
}

/* The encoder modules `format` knows (journald wraps another, as filter does). */
static const struct encoder_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *enc);
} encoder_rows[] = {
  {"console", log_plain_encoder}, {"json", log_plain_encoder}, {"filter", encoder_filter},
  {"append", encoder_append}, {"journald", encoder_filter},
};

static struct json *log_encoder_module(struct helper *h, const char *name)
{
  struct json *enc = module_obj(h, "format", name);
  const struct encoder_row *row = TABLE_FIND(encoder_rows, name);
  int r = row ? row->parse(h, enc)
              : disp_errf(&h->d, "getting module named 'caddy.logging.encoders.%s': module not registered: caddy.logging.encoders.%s", name, name);
  return r < 0 ? NULL : enc;
}

int log_encoder(struct helper *h, struct json *cl)
{
  const char *name = NULL;
  if (log_arg(h, &name) < 0)
    return -1;
  struct json *enc = log_encoder_module(h, name);
  if (!enc)
    return -1;
  jset(h->ad->arena, cl, "encoder", enc);
  return 0;
}
