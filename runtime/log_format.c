/* A logger's encoder options (abi/config.def logger: keys, time, duration
 * and level formats, line ending) applied as zap applies the EncoderConfig
 * Caddy makes of them: the time by zap's epoch encoders, its ISO 8601 one
 * or a Go time layout, durations in seconds, nanoseconds, milliseconds or
 * as Go's Duration.String, levels lower, upper or in ANSI color. */
#include "log_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loader.h"

/* zap's AppendFloat64: the shortest decimals that read back as v, fixed notation */
size_t log_format_float(char *out, size_t cap, double v)
{
  int n = 0;
  for (int d = 0; d <= 17; d++) {
    n = snprintf(out, cap, "%.*f", d, v);
    if (n > 0 && (size_t)n < cap && strtod(out, NULL) == v)
      break;
  }
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static size_t fmt_put(char *out, size_t cap, size_t at, const char *s, size_t n)
{
  if (at + n < cap)
    memcpy(out + at, s, n);
  return at + n;
}

static size_t fmt_num(char *out, size_t cap, size_t at, long v, int width, char pad)
{
  char num[24];
  int n = snprintf(num, sizeof num, "%0*ld", pad == '0' ? width : 0, v);
  while (pad == ' ' && n < width && at + 1 < cap)
    out[at++] = ' ', width--;
  return fmt_put(out, cap, at, num, (size_t)n);
}

/* a zone offset: sign, hours, minutes [, seconds], colons or not, Z for UTC */
static size_t fmt_zone(char *out, size_t cap, size_t at, long off, int z, int colons, int parts)
{
  if (z && off == 0)
    return fmt_put(out, cap, at, "Z", 1);
  at = fmt_put(out, cap, at, off < 0 ? "-" : "+", 1);
  long a = labs(off);
  at = fmt_num(out, cap, at, a / 3600, 2, '0');
  if (parts > 1) {
    at = colons ? fmt_put(out, cap, at, ":", 1) : at;
    at = fmt_num(out, cap, at, a / 60 % 60, 2, '0');
  }
  if (parts > 2) {
    at = colons ? fmt_put(out, cap, at, ":", 1) : at;
    at = fmt_num(out, cap, at, a % 60, 2, '0');
  }
  return at;
}

/* .000 or .999 (",": the same with a comma): fixed, or trailing zeros trimmed */
static size_t fmt_frac(char *out, size_t cap, size_t at, char sep, long nsec, int digits, int trim)
{
  char d[10];
  snprintf(d, sizeof d, "%09ld", nsec);
  int n = digits > 9 ? 9 : digits;
  while (trim && n > 0 && d[n - 1] == '0')
    n--;
  if (n == 0)
    return at;
  at = fmt_put(out, cap, at, &sep, 1);
  return fmt_put(out, cap, at, d, (size_t)n);
}

static int fmt_has(const char *s, const char *p)
{
  return strncmp(s, p, strlen(p)) == 0;
}

struct fmt_zone_form {
  const char *text;
  int z, colons, parts;
};

static const struct fmt_zone_form fmt_zones[] = {
  {"Z07:00:00", 1, 1, 3}, {"-07:00:00", 0, 1, 3}, {"Z070000", 1, 0, 3}, {"-070000", 0, 0, 3},
  {"Z07:00", 1, 1, 2},    {"-07:00", 0, 1, 2},    {"Z0700", 1, 0, 2},   {"-0700", 0, 0, 2},
  {"Z07", 1, 0, 1},       {"-07", 0, 0, 1},
};

static const char *const fmt_months[] = {"January", "February", "March", "April", "May", "June", "July",
                                         "August", "September", "October", "November", "December"};
static const char *const fmt_days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

/* one layout element at *p (Go's nextStdChunk); 0 when *p is literal text */
static int fmt_chunk(const char **p, const struct tm *tm, long nsec, char *out, size_t cap, size_t *at)
{
  const char *s = *p;
  int h12 = tm->tm_hour % 12 ? tm->tm_hour % 12 : 12;
  struct { const char *text; long v; int width; char pad; } nums[] = {
    {"2006", tm->tm_year + 1900, 4, '0'}, {"002", tm->tm_yday + 1, 3, '0'}, {"__2", tm->tm_yday + 1, 3, ' '},
    {"01", tm->tm_mon + 1, 2, '0'}, {"02", tm->tm_mday, 2, '0'}, {"_2", tm->tm_mday, 2, ' '},
    {"03", h12, 2, '0'}, {"04", tm->tm_min, 2, '0'}, {"05", tm->tm_sec, 2, '0'},
    {"06", (tm->tm_year + 1900) % 100, 2, '0'}, {"15", tm->tm_hour, 2, '0'},
    {"1", tm->tm_mon + 1, 0, 0}, {"2", tm->tm_mday, 0, 0}, {"3", h12, 0, 0}, {"4", tm->tm_min, 0, 0},
    {"5", tm->tm_sec, 0, 0},
  };
  if (fmt_has(s, "January") || fmt_has(s, "Monday")) {
    const char *w = s[0] == 'J' ? fmt_months[tm->tm_mon] : fmt_days[tm->tm_wday];
    *at = fmt_put(out, cap, *at, w, strlen(w));
    *p += s[0] == 'J' ? 7 : 6;
    return 1;
  }
  if (fmt_has(s, "Jan") || fmt_has(s, "Mon")) {
    *at = fmt_put(out, cap, *at, s[0] == 'J' ? fmt_months[tm->tm_mon] : fmt_days[tm->tm_wday], 3);
    *p += 3;
    return 1;
  }
  if (fmt_has(s, "MST")) {
    const char *z = tm->tm_zone && (tm->tm_zone[0] < '0' || tm->tm_zone[0] > '9') ? tm->tm_zone : NULL;
    *at = z ? fmt_put(out, cap, *at, z, strlen(z)) : fmt_zone(out, cap, *at, tm->tm_gmtoff, 0, 0, 2);
    *p += 3;
    return 1;
  }
  if (fmt_has(s, "PM") || fmt_has(s, "pm")) {
    const char *m = tm->tm_hour >= 12 ? (s[0] == 'P' ? "PM" : "pm") : (s[0] == 'P' ? "AM" : "am");
    *at = fmt_put(out, cap, *at, m, 2);
    *p += 2;
    return 1;
  }
  for (size_t i = 0; i < sizeof fmt_zones / sizeof fmt_zones[0]; i++)
    if (fmt_has(s, fmt_zones[i].text)) {
      *at = fmt_zone(out, cap, *at, tm->tm_gmtoff, fmt_zones[i].z, fmt_zones[i].colons, fmt_zones[i].parts);
      *p += strlen(fmt_zones[i].text);
      return 1;
    }
  if ((s[0] == '.' || s[0] == ',') && (s[1] == '0' || s[1] == '9')) {
    size_t n = 1;
    while (s[n] == s[1])
      n++;
    if (s[n] < '0' || s[n] > '9') {
      *at = fmt_frac(out, cap, *at, s[0], nsec, (int)n - 1, s[1] == '9');
      *p += n;
      return 1;
    }
  }
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
    if (fmt_has(s, nums[i].text)) {
      *at = fmt_num(out, cap, *at, nums[i].v, nums[i].width, nums[i].pad);
      *p += strlen(nums[i].text);
      return 1;
    }
  return 0;
}

size_t log_format_layout(char *out, size_t cap, const char *layout, const struct tm *tm, long nsec)
{
  size_t at = 0;
  for (const char *p = layout; *p;)
    if (!fmt_chunk(&p, tm, nsec, out, cap, &at))
      at = fmt_put(out, cap, at, p++, 1);
  if (at >= cap)
    return 0;
  out[at] = '\0';
  return at;
}

/* v / unit with its fraction of digits, trailing zeros trimmed ("1.5", "250") */
static int fmt_scaled(char *out, size_t cap, unsigned long long v, unsigned long long unit, int digits)
{
  char frac[16];
  snprintf(frac, sizeof frac, "%0*llu", digits, v % unit);
  int n = digits;
  while (n > 0 && frac[n - 1] == '0')
    n--;
  frac[n] = '\0';
  return snprintf(out, cap, "%llu%s%s", v / unit, n ? "." : "", frac);
}

/* Go's Duration.String: 1.5s, 2m3.04s, 1h0m0s, 250ms, 3.2µs, 17ns, 0s */
size_t log_format_go_duration(char *out, size_t cap, unsigned long long ns)
{
  char secs[40];
  if (ns < 1000)
    return (size_t)snprintf(out, cap, "%lluns", ns);
  if (ns < 1000000ull) {
    fmt_scaled(secs, sizeof secs, ns, 1000ull, 3);
    return (size_t)snprintf(out, cap, "%s\xc2\xb5s", secs);
  }
  if (ns < 1000000000ull) {
    fmt_scaled(secs, sizeof secs, ns, 1000000ull, 6);
    return (size_t)snprintf(out, cap, "%sms", secs);
  }
  unsigned long long whole = ns / 1000000000ull, h = whole / 3600, m = whole / 60 % 60;
  fmt_scaled(secs, sizeof secs, ns % 60000000000ull, 1000000000ull, 9);
  if (h)
    return (size_t)snprintf(out, cap, "%lluh%llum%ss", h, m, secs);
  if (m)
    return (size_t)snprintf(out, cap, "%llum%ss", m, secs);
  return (size_t)snprintf(out, cap, "%ss", secs);
}

/* the time as the logger's time_format writes it; *quoted: it is a string */
size_t log_format_time(char *out, size_t cap, const struct zs_logger *g, const char *layout,
                       const struct timespec *now, int *quoted)
{
  unsigned long long ns = (unsigned long long)now->tv_sec * 1000000000ull + (unsigned long long)now->tv_nsec;
  struct tm tm;
  *quoted = g->time_format >= ZS_TIME_ISO8601;
  switch (g->time_format) {
  case ZS_TIME_UNIX_MILLI: return log_format_float(out, cap, (double)ns / 1e6);
  case ZS_TIME_UNIX_NANO: return (size_t)snprintf(out, cap, "%llu", ns);
  case ZS_TIME_ISO8601:        /* zap's encoder takes the entry's time as it is: local */
    localtime_r(&now->tv_sec, &tm);
    return log_format_layout(out, cap, "2006-01-02T15:04:05.000Z0700", &tm, now->tv_nsec);
  case ZS_TIME_LAYOUT:
    if (g->flags & ZS_LOGGER_TIME_LOCAL)
      localtime_r(&now->tv_sec, &tm);
    else if (gmtime_r(&now->tv_sec, &tm))
      tm.tm_zone = "UTC";      /* Go's name for it, where C says GMT */
    return log_format_layout(out, cap, layout, &tm, now->tv_nsec);
  default: return log_format_float(out, cap, (double)ns / 1e9);
  }
}

size_t log_format_level(char *out, size_t cap, const struct zs_logger *g, int error)
{
  const char *word = g->level_format == ZS_LEVEL_LOWER ? (error ? "error" : "info")
                     : g->level_format == ZS_LEVEL_UPPER ? (error ? "ERROR" : "INFO")
                     : error ? "\x1b[31mERROR\x1b[0m" : "\x1b[34mINFO\x1b[0m";
  return (size_t)snprintf(out, cap, "%s", word);
}

size_t log_format_duration(char *out, size_t cap, const struct zs_logger *g, unsigned long long ns, int *quoted)
{
  *quoted = g->duration_format == ZS_DURATION_STRING;
  switch (g->duration_format) {
  case ZS_DURATION_NANOS: return (size_t)snprintf(out, cap, "%llu", ns);
  case ZS_DURATION_MILLIS: return log_format_float(out, cap, (double)ns / 1e6);
  case ZS_DURATION_STRING: return log_format_go_duration(out, cap, ns);
  default: return log_format_float(out, cap, (double)ns / 1e9);
  }
}

int log_format_is_default(const struct blob *b, const struct zs_logger *g)
{
  return g->time_format == ZS_TIME_UNIX_SECONDS && g->duration_format == ZS_DURATION_SECONDS &&
         g->level_format == ZS_LEVEL_LOWER && !strcmp(blob_string(b, g->msg_key_str), "msg") &&
         !strcmp(blob_string(b, g->level_key_str), "level") && !strcmp(blob_string(b, g->time_key_str), "ts") &&
         !strcmp(blob_string(b, g->name_key_str), "logger") && !strcmp(blob_string(b, g->line_ending_str), "\n");
}
