/* Durations as Caddy reads them: Go's time.ParseDuration plus "d" for days.
 * The frontend parses Caddyfile durations with it, lowering the strings of
 * Caddy JSON (a caddy.Duration is nanoseconds, or such a string). */
#include "duration.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int go_unit_scale(const char *u, size_t n, double *scale)
{
  static const struct { const char *name; double ns; } units[] = {
    {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6},
    {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9},
  };
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0) {
      *scale = units[i].ns;
      return 0;
    }
  return -1;
}

/* Go's time.ParseDuration plus Caddy's "d" for days. */
int go_parse_duration(const char *s, long long *ns)
{
  double total = 0;
  int sign = 1;
  if (*s == '-' || *s == '+')
    sign = *s++ == '-' ? -1 : 1;
  if (strcmp(s, "0") == 0)
    return *ns = 0, 0;
  if (!*s)
    return -1;
  while (*s) {
    char *end;
    if (!isdigit((unsigned char)*s) && *s != '.')
      return -1;
    double v = strtod(s, &end);
    const char *u = end;
    while (*end && !isdigit((unsigned char)*end) && *end != '.')
      end++;
    double scale;
    if (end == u || go_unit_scale(u, (size_t)(end - u), &scale) < 0)
      return -1;
    total += v * scale;
    s = end;
  }
  *ns = (long long)llround(total) * sign;
  return 0;
}

