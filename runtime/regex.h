/* The blob's regular expressions (path_regexp, header_regexp), compiled by
 * PCRE2 with its JIT when a worker's cage is made for the blob, never per
 * request; a match keeps its capture groups in the decision, where
 * {http.regexp.NAME.GROUP} reads them. */
#ifndef ZSRT_REGEX_H
#define ZSRT_REGEX_H

#include <stddef.h>

#include "exec.h"

struct blob;
struct regex_set;

/* one compiled regex per row of the blob's regex table; 0 or -errno (a
 * pattern PCRE2 refuses: -EINVAL, said on stderr) */
int regex_set_create(const struct blob *blob, struct regex_set **out);
void regex_set_destroy(struct regex_set *set);

/* 1 when regex id matches subject (its groups then replace those of its
 * name in dec), 0 when not (or when PCRE2's match limit is reached: a
 * pattern that backtracks without end fails instead of stalling the worker),
 * -EINVAL for an id outside the set, -ENOSPC when the captures do not fit */
int regex_match(struct regex_set *set, unsigned id, const char *subject, size_t len, struct exec_decision *dec);

/* Go's path.Clean, a trailing slash kept (Caddy's cleanPath): the path
 * path_regexp matches; its length, or -ENOSPC */
long regex_clean_path(const char *path, size_t len, char *out, size_t cap);

/* the capture of key (name << 16 | group), or NULL when none is kept */
const struct exec_capture *regex_capture(const struct exec_decision *dec, unsigned key);

#endif
