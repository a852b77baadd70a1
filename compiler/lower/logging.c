/* Access logs: the logging app's loggers (logging.logs) and each server's
 * logs, lowered to the logger and access_log rows. Which loggers take a
 * logger name is decided here, by Caddy's include/exclude rule, so the
 * runtime only follows bits. Not here: the line's fields (runtime/access_log). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lower_parts.h"

#define LOWER_MAX_LOGGERS 31   /* bits of access_log.loggers */

int lower_one_of(struct lower *l, const struct json *v, const char *what, const char *const *names,
                        bool nocase, unsigned *out)
{
  const char *s = lower_string(l, v, what);
  for (unsigned i = 0; s && names[i]; i++)
    if ((nocase ? strcasecmp(s, names[i]) : strcmp(s, names[i])) == 0) {
      *out = i;
      return 0;
    }
  if (s)
    lower_refuse(l, v, "%s '%s'", what, s);
  return -1;
}

static int lower_writer_output(struct lower *l, const struct json *v, void *record)
{
  static const char *const names[] = {"stderr", "stdout", "discard", "file", NULL};   /* enum zs_log_output */
  return lower_one_of(l, v, "log output", names, false, &((struct lowered_logger *)record)->output);
}

static int lower_writer_filename(struct lower *l, const struct json *v, void *record)
{
  struct lowered_logger *g = record;
  g->path = lower_string(l, v, "log file name");
  return g->path ? 0 : -1;
}

static int lower_writer_mode(struct lower *l, const struct json *v, void *record)
{
  struct lowered_logger *g = record;
  const char *s = lower_string(l, v, "log file mode");
  char *end = NULL;
  long mode = s ? strtol(s, &end, 8) : -1;
  if (!s || *end || mode <= 0 || mode > 07777) {
    lower_refuse(l, v, "log file mode '%s'", s ? s : "");
    return -1;
  }
  g->mode = (unsigned)mode;
  return 0;
}

static int lower_writer_roll(struct lower *l, const struct json *v, void *record)
{
  bool on = true;
  int bad = lower_bool(l, v, "log file roll", &on);
  ((struct lowered_logger *)record)->roll_off = !on;
  return bad;
}

static int lower_writer_gzip(struct lower *l, const struct json *v, void *record)
{
  bool on = true;
  int bad = lower_bool(l, v, "log file roll_gzip", &on);
  ((struct lowered_logger *)record)->roll_plain = !on;
  return bad;
}

static int lower_writer_local_time(struct lower *l, const struct json *v, void *record)
{
  return lower_bool(l, v, "log file roll_local_time", &((struct lowered_logger *)record)->roll_local_time);
}

/* a whole number 0..0x7fffffff; Caddy's zero means its default. Negative
 * values (lumberjack: keep all, or every write too large) are refused. */
static int lower_roll_count(struct lower *l, const struct json *v, const char *what, unsigned *out)
{
  char *end = NULL;
  long long n = v && v->kind == JSON_NUMBER ? strtoll(v->text, &end, 10) : -1;
  if (!end || *end || n < 0 || n > 0x7fffffff) {
    lower_refuse(l, v, "%s '%s'", what, v && v->kind == JSON_NUMBER ? v->text : "");
    return -1;
  }
  *out = (unsigned)n;
  return 0;
}

static int lower_writer_size(struct lower *l, const struct json *v, void *record)
{
  return lower_roll_count(l, v, "log file roll_size", &((struct lowered_logger *)record)->roll_size_mb);
}

static int lower_writer_keep(struct lower *l, const struct json *v, void *record)
{
  return lower_roll_count(l, v, "log file roll_keep", &((struct lowered_logger *)record)->roll_keep);
}

static int lower_writer_keep_days(struct lower *l, const struct json *v, void *record)
{
  return lower_roll_count(l, v, "log file roll_keep_for", &((struct lowered_logger *)record)->roll_keep_days);
}

/* what lumberjack does as Caddy's file writer sets it up; newer Caddy's
 * roll_interval, roll_at, roll_minutes, dir_mode and roll_compression are not
 * done and so refused where they are written */
static const struct lower_key lower_writer_keys[] = {
  {"output", NULL, lower_writer_output}, {"filename", NULL, lower_writer_filename},
  {"mode", "mode", lower_writer_mode}, {"roll", "roll_disabled", lower_writer_roll},
  {"roll_size_mb", "roll_size", lower_writer_size}, {"roll_keep", "roll_keep", lower_writer_keep},
  {"roll_keep_days", "roll_keep_for", lower_writer_keep_days},
  {"roll_local_time", "roll_local_time", lower_writer_local_time},
  {"roll_gzip", "roll_uncompressed", lower_writer_gzip},
  {"roll_interval", "roll_interval", lower_key_refused}, {"roll_at", "roll_at", lower_key_refused},
  {"roll_minutes", "roll_minutes", lower_key_refused}, {"dir_mode", "dir_mode", lower_key_refused},
  {"roll_compression", "roll_compression", lower_key_refused},
  {NULL, NULL, NULL},
};

static int lower_logger_writer(struct lower *l, const struct json *v, void *record)
{
  struct lowered_logger *g = record;
  const struct json *output = v && v->kind == JSON_OBJECT ? json_object_get(v, "output") : NULL;
  if (output && lower_writer_output(l, output, record))
    return -1;   /* the module is what is refused, not its options */
  int bad = lower_object_keys(l, v, lower_writer_keys, "log output", record);
  if (!bad && g->output == ZS_LOG_FILE && !g->path) {
    lower_refuse(l, v, "a log file without a file name");
    return -1;
  }
  if (g->output != ZS_LOG_FILE || g->roll_off) {
    g->roll_size_mb = g->roll_keep = g->roll_keep_days = 0;   /* Caddy opens a plain file */
    return bad;
  }
  /* Caddy's FileWriter.OpenWriter: zero is its default */
  g->roll_size_mb = g->roll_size_mb ? g->roll_size_mb : 100;
  g->roll_keep = g->roll_keep ? g->roll_keep : 10;
  g->roll_keep_days = g->roll_keep_days ? g->roll_keep_days : 90;
  return bad;
}

static int lower_logger_level(struct lower *l, const struct json *v, void *record)
{
  static const char *const names[] = {"debug", "info", "warn", "error", NULL};   /* enum zs_log_level */
  return lower_one_of(l, v, "log level", names, true, &((struct lowered_logger *)record)->level);
}

static int lower_name_list(struct lower *l, const struct json *v, const char ***out, size_t *count)
{
  if (!v || v->kind != JSON_ARRAY) {
    lower_refuse(l, v, "a logger name list that is not an array");
    return -1;
  }
  *out = arena_alloc(l->a, (v->count + 1) * sizeof **out);
  for (size_t i = 0; i < v->count; i++)
    if (!((*out)[(*count)++] = lower_string(l, v->items[i], "logger name")))
      return -1;
  return 0;
}

static int lower_logger_include(struct lower *l, const struct json *v, void *record)
{
  struct lowered_logger *g = record;
  return lower_name_list(l, v, &g->include, &g->include_count);
}

static int lower_logger_exclude(struct lower *l, const struct json *v, void *record)
{
  struct lowered_logger *g = record;
  return lower_name_list(l, v, &g->exclude, &g->exclude_count);
}

static const struct lower_key lower_logger_keys[] = {
  {"writer", "output", lower_logger_writer}, {"encoder", "format", lower_log_encoder},
  {"level", "level", lower_logger_level}, {"include", "include", lower_logger_include},
  {"exclude", "exclude", lower_logger_exclude}, {"sampling", "sampling", lower_key_refused},
  {NULL, NULL, NULL},
};

static const struct lower_key lower_logging_keys[] = {
  {"logs", NULL, NULL}, {"sink", "sink", lower_key_refused}, {NULL, NULL, NULL},
};

int lower_logging(struct lower *l, const struct json *logging, struct lowered_config *out)
{
  const struct json *logs = logging ? json_object_get(logging, "logs") : NULL;
  int bad = logging ? lower_object_keys(l, logging, lower_logging_keys, "logging", NULL) : 0;
  size_t count = logs && logs->kind == JSON_OBJECT ? logs->count : 0;
  if (count >= LOWER_MAX_LOGGERS) {
    lower_refuse(l, logs, "more than %d loggers", LOWER_MAX_LOGGERS - 1);
    return -1;
  }
  out->loggers = arena_alloc(l->a, (count + 1) * sizeof *out->loggers);
  bool has_default = false;
  for (size_t i = 0; i < count; i++) {
    struct lowered_logger *g = &out->loggers[out->logger_count++];
    *g = (struct lowered_logger){.name = logs->members[i].key, .level = ZS_LEVEL_INFO};
    lower_log_encoder_defaults(g);
    has_default |= strcmp(g->name, "default") == 0;
    bad |= lower_object_keys(l, logs->members[i].value, lower_logger_keys, "logger", g);
  }
  if (!has_default) {  /* Caddy's default logger: stderr, everything at INFO */
    out->loggers[out->logger_count] = (struct lowered_logger){.name = "default", .level = ZS_LEVEL_INFO};
    lower_log_encoder_defaults(&out->loggers[out->logger_count++]);
  }
  return bad;
}

/* the length of the longest namespace of list that name is in, dot-wise */
static size_t lower_longest_namespace(const char *name, const char **list, size_t count)
{
  size_t best = 0, len = strlen(name);
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(list[i]);
    if (n <= len && strncmp(name, list[i], n) == 0 && (name[n] == '.' || name[n] == '\0') && n > best)
      best = n;
  }
  return best;
}

/* Caddy's CustomLog.loggerAllowed: no lists take all; else the better match of
 * include and exclude wins, and a non-empty include must match */
static bool lower_logger_takes(const struct lowered_logger *g, const char *name)
{
  if (!g->include_count && !g->exclude_count)
    return true;
  size_t accept = lower_longest_namespace(name, g->include, g->include_count);
  size_t reject = lower_longest_namespace(name, g->exclude, g->exclude_count);
  if (g->include_count && !accept)
    return false;
  return accept > reject || (!g->include_count && !reject);
}

static void lower_access_row(struct lower *l, const struct lowered_config *cfg, struct lowered_server *s,
                             const char *host, const char *logger, bool skip)
{
  struct lowered_access_log *row = &s->access_logs[s->access_log_count++];
  row->host = host;
  row->name = logger && *logger ? arena_printf(l->a, "http.log.access.%s", logger) : "http.log.access";
  row->skip = skip;
  row->loggers = 0;
  for (size_t i = 0; i < cfg->logger_count; i++)
    if (lower_logger_takes(&cfg->loggers[i], row->name))
      row->loggers |= 1u << i;
}

static const struct lower_key lower_logs_keys[] = {
  {"default_logger_name", NULL, NULL}, {"logger_names", NULL, NULL}, {"skip_hosts", NULL, NULL},
  {"skip_unmapped_hosts", NULL, NULL}, {"should_log_credentials", "log_credentials", lower_key_refused},
  {NULL, NULL, NULL},
};

/* a server's logs: one row per named host and skipped host, then the default */
int lower_server_logs(struct lower *l, const struct json *v, const struct lowered_config *cfg,
                      struct lowered_server *s)
{
  if (lower_object_keys(l, v, lower_logs_keys, "server logs", NULL))
    return -1;
  const struct json *names = json_object_get(v, "logger_names"), *skips = json_object_get(v, "skip_hosts");
  size_t n = skips && skips->kind == JSON_ARRAY ? skips->count : 0;
  for (size_t i = 0; names && names->kind == JSON_OBJECT && i < names->count; i++) {
    const struct json *to = names->members[i].value;
    n += to->kind == JSON_ARRAY ? to->count : 1;
  }
  s->access_logs = arena_alloc(l->a, (n + 1) * sizeof *s->access_logs);
  /* a host names one logger (Caddy 2.6) or a list of them (2.8): a row each */
  for (size_t i = 0; names && names->kind == JSON_OBJECT && i < names->count; i++) {
    const struct json *to = names->members[i].value;
    size_t count = to->kind == JSON_ARRAY ? to->count : 1;
    for (size_t k = 0; k < count; k++) {
      const char *name = lower_string(l, to->kind == JSON_ARRAY ? to->items[k] : to, "logger name");
      if (!name)
        return -1;
      lower_access_row(l, cfg, s, names->members[i].key, name, false);
    }
  }
  for (size_t i = 0; skips && skips->kind == JSON_ARRAY && i < skips->count; i++) {
    const char *host = lower_string(l, skips->items[i], "skip_hosts entry");
    if (!host)
      return -1;
    lower_access_row(l, cfg, s, host, NULL, true);
  }
  const struct json *dflt = json_object_get(v, "default_logger_name");
  const char *to = dflt ? lower_string(l, dflt, "default_logger_name") : "";
  if (!to)
    return -1;
  lower_access_row(l, cfg, s, "", to, lower_is_true(json_object_get(v, "skip_unmapped_hosts")));
  return 0;
}
