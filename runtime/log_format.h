/* A logger's encoder options (abi/config.def logger) as zap applies them:
 * the pieces of a line that the options change. log_format.c. */
#ifndef ZSRT_LOG_FORMAT_H
#define ZSRT_LOG_FORMAT_H

#include <stddef.h>
#include <time.h>

#include "../abi/blob.h"

struct blob;

/* 1 when the logger writes Caddy's default JSON shape (the shared line fits it) */
int log_format_is_default(const struct blob *b, const struct zs_logger *g);
/* each writes into out (cap bytes) and returns the length, 0 when it does not fit */
size_t log_format_float(char *out, size_t cap, double v);
size_t log_format_layout(char *out, size_t cap, const char *layout, const struct tm *tm, long nsec);
size_t log_format_go_duration(char *out, size_t cap, unsigned long long ns);
/* the entry time, level and a duration as the logger writes them; *quoted: a JSON string */
size_t log_format_time(char *out, size_t cap, const struct zs_logger *g, const char *layout,
                       const struct timespec *now, int *quoted);
size_t log_format_level(char *out, size_t cap, const struct zs_logger *g, int error);
size_t log_format_duration(char *out, size_t cap, const struct zs_logger *g, unsigned long long ns, int *quoted);

#endif
