/* A logger's encoder (json, console) and its options, as Caddy's
 * LogEncoderConfig makes a zapcore.EncoderConfig of them
 * (modules/logging/encoders.go): field keys, line ending, time, duration
 * and level formats, with the defaults of zap's production config and of
 * Caddy's console encoder filled in here. The filter encoder is refused. */
#include <string.h>

#include "abi/blob.h"
#include "lower_parts.h"

/* the named time formats that are Go layouts */
static const struct {
  const char *name, *layout;
} log_time_layouts[] = {
  {"rfc3339", "2006-01-02T15:04:05Z07:00"},
  {"rfc3339_nano", "2006-01-02T15:04:05.999999999Z07:00"},
  {"wall", "2006/01/02 15:04:05"},
  {"wall_milli", "2006/01/02 15:04:05.000"},
  {"wall_nano", "2006/01/02 15:04:05.000000000"},
  {"common_log", "02/Jan/2006:15:04:05 -0700"},
};

static void log_time_format(struct lowered_logger *g, const char *f)
{
  static const char *const epochs[] = {"unix_seconds_float", "unix_milli_float", "unix_nano", "iso8601"};
  g->time_layout = NULL;
  for (unsigned i = 0; i < sizeof epochs / sizeof epochs[0]; i++)
    if (!*f || strcmp(f, epochs[i]) == 0) {
      g->time_format = *f ? i : ZS_TIME_UNIX_SECONDS;
      return;
    }
  g->time_format = ZS_TIME_LAYOUT;
  g->time_layout = f;          /* any other value is a layout, as time.Format takes it */
  for (size_t i = 0; i < sizeof log_time_layouts / sizeof log_time_layouts[0]; i++)
    if (strcmp(f, log_time_layouts[i].name) == 0)
      g->time_layout = log_time_layouts[i].layout;
}

static int log_encoder_string(struct lower *l, const struct json *v, const char **out, const char *what)
{
  return (*out = lower_string(l, v, what)) ? 0 : -1;
}

#define LOG_KEY_FN(field, json_key)                                                   \
  static int log_encoder_##field(struct lower *l, const struct json *v, void *record) \
  {                                                                                   \
    return log_encoder_string(l, v, &((struct lowered_logger *)record)->field, json_key); \
  }
LOG_KEY_FN(msg_key, "message_key")
LOG_KEY_FN(level_key, "level_key")
LOG_KEY_FN(time_key, "time_key")
LOG_KEY_FN(name_key, "name_key")
LOG_KEY_FN(line_ending, "line_ending")
#undef LOG_KEY_FN

/* caller_key, stacktrace_key: Caddy's loggers add neither a caller nor a
 * stack trace, so the keys name fields no line has */
static int log_encoder_unused_key(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  return lower_string(l, v, "log format key") ? 0 : -1;
}

static int log_encoder_time_format(struct lower *l, const struct json *v, void *record)
{
  const char *f = lower_string(l, v, "time_format");
  if (!f)
    return -1;
  log_time_format(record, f);
  return 0;
}

static int log_encoder_time_local(struct lower *l, const struct json *v, void *record)
{
  (void)l;
  ((struct lowered_logger *)record)->time_local = lower_is_true(v);
  return 0;
}

/* unknown names are seconds, as Caddy's switch defaults */
static int log_encoder_duration_format(struct lower *l, const struct json *v, void *record)
{
  const char *f = lower_string(l, v, "duration_format");
  if (!f)
    return -1;
  struct lowered_logger *g = record;
  g->duration_format = !strcmp(f, "ns") || !strcmp(f, "nano") || !strcmp(f, "nanos")    ? ZS_DURATION_NANOS
                       : !strcmp(f, "ms") || !strcmp(f, "milli") || !strcmp(f, "millis") ? ZS_DURATION_MILLIS
                       : !strcmp(f, "string")                                            ? ZS_DURATION_STRING
                                                                                         : ZS_DURATION_SECONDS;
  return 0;
}

/* an unknown name leaves zap without a level encoder: the level is left out */
static int log_encoder_level_format(struct lower *l, const struct json *v, void *record)
{
  const char *f = lower_string(l, v, "level_format");
  if (!f)
    return -1;
  struct lowered_logger *g = record;
  if (!*f || !strcmp(f, "lower"))
    g->level_format = ZS_LEVEL_LOWER;
  else if (!strcmp(f, "upper"))
    g->level_format = ZS_LEVEL_UPPER;
  else if (!strcmp(f, "color"))
    g->level_format = ZS_LEVEL_COLOR;
  else
    g->level_key = "";
  return 0;
}

static int log_encoder_format(struct lower *l, const struct json *v, void *record)
{
  static const char *const names[] = {"json", "console", NULL};   /* enum zs_log_format */
  return lower_one_of(l, v, "log format", names, false, &((struct lowered_logger *)record)->format);
}

static const struct lower_key log_encoder_keys[] = {
  {"format", NULL, log_encoder_format}, {"message_key", "message_key", log_encoder_msg_key},
  {"level_key", "level_key", log_encoder_level_key}, {"time_key", "time_key", log_encoder_time_key},
  {"name_key", "name_key", log_encoder_name_key}, {"caller_key", "caller_key", log_encoder_unused_key},
  {"stacktrace_key", "stacktrace_key", log_encoder_unused_key},
  {"line_ending", "line_ending", log_encoder_line_ending}, {"time_format", "time_format", log_encoder_time_format},
  {"time_local", "time_local", log_encoder_time_local},
  {"duration_format", "duration_format", log_encoder_duration_format},
  {"level_format", "level_format", log_encoder_level_format}, {NULL, NULL, NULL},
};

/* zap's production keys, and Caddy's console defaults (wall_milli, color) */
void lower_log_encoder_defaults(struct lowered_logger *g)
{
  g->msg_key = "msg";
  g->level_key = "level";
  g->time_key = "ts";
  g->name_key = "logger";
  g->line_ending = "\n";
  log_time_format(g, g->format == ZS_LOG_CONSOLE ? "wall_milli" : "");
  g->duration_format = ZS_DURATION_SECONDS;
  g->level_format = g->format == ZS_LOG_CONSOLE ? ZS_LEVEL_COLOR : ZS_LEVEL_LOWER;
}

int lower_log_encoder(struct lower *l, const struct json *v, void *record)
{
  struct lowered_logger *g = record;
  const struct json *format = v && v->kind == JSON_OBJECT ? json_object_get(v, "format") : NULL;
  if (format && log_encoder_format(l, format, record))
    return -1;   /* the module is what is refused, not its options */
  lower_log_encoder_defaults(g);
  /* Caddy's console encoder fills its defaults in only where they are empty */
  const struct json *tf = v ? json_object_get(v, "time_format") : NULL, *lf = v ? json_object_get(v, "level_format") : NULL;
  int bad = lower_object_keys(l, v, log_encoder_keys, "log format", record);
  if (g->format == ZS_LOG_CONSOLE && tf && tf->kind == JSON_STRING && !*tf->text)
    log_time_format(g, "wall_milli");
  if (g->format == ZS_LOG_CONSOLE && lf && lf->kind == JSON_STRING && !*lf->text)
    g->level_format = ZS_LEVEL_COLOR;
  return bad;
}
