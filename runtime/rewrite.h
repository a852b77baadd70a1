/* The string work of Caddy's rewrite handler, as Go's net/url and strings do
 * it: escaping, unescaping, buildQueryString's joining, trimPathSuffix and
 * strings.Replace. Pure functions over caller buffers; helpers.c applies them
 * to the request. Each returns a length, or a negative errno. */
#ifndef ZSRT_REWRITE_H
#define ZSRT_REWRITE_H

#include <stddef.h>

/* url.QueryEscape: -ENOSPC when out (cap bytes) is too small */
long rewrite_query_escape(const char *s, size_t n, char *out, size_t cap);

/* URL.EscapedPath of a path without RawPath: escape(path, encodePath) */
long rewrite_path_escape(const char *s, size_t n, char *out, size_t cap);

/* url.PathEscape with its "%2F" put back to '/' (escapePathPreservingSlashes) */
long rewrite_segments_escape(const char *s, size_t n, char *out, size_t cap);

/* url.PathUnescape: -EINVAL on a bad escape (out needs n bytes) */
long rewrite_path_unescape(const char *s, size_t n, char *out);

/* url.QueryUnescape: also '+' for a space */
long rewrite_query_unescape(const char *s, size_t n, char *out);

/* A query whose components are marked (ZS_QUERY_KEY before a key,
 * ZS_QUERY_VALUE before a value, abi/helpers.h) joined as buildQueryString
 * does: '=' before each value, '&' before a key only when it and what came
 * before both have bytes. out needs n bytes. */
size_t rewrite_query_join(const char *s, size_t n, char *out);

/* A query from a placeholder marked the way buildQueryString splits it, its
 * braces escaped (%7B, %7D) so that nothing in it is read as a placeholder */
long rewrite_query_mark(const char *s, size_t n, char *out, size_t cap);

/* trimPathSuffix: how many bytes of the escaped path stay when it ends with
 * suffix (case-insensitively; an escape in the path compares decoded unless
 * the suffix has one there too), or -1 when it does not */
long rewrite_suffix_match(const char *raw, size_t n, const char *suffix, size_t suffix_len);

/* strings.Replace(s, find, with, limit), limit <= 0 for all; find not empty */
long rewrite_replace(const char *s, size_t n, const char *find, size_t find_len, const char *with,
                     size_t with_len, long limit, char *out, size_t cap);

#endif
