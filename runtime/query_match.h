/* Caddy's query matcher over a raw query, parsed as Go's url.ParseQuery
 * parses it: a packed spec (helpers.def query_match; lower/match_query.c) of keys,
 * each with the values one of which it must have ("*": any). */
#ifndef ZSRT_QUERY_MATCH_H
#define ZSRT_QUERY_MATCH_H

#include <stddef.h>

#define QUERY_PART_MAX 8192      /* a decoded key or value (the request target is shorter) */

/* The next "key=value" of the query from *at, decoded into key and val (each
 * QUERY_PART_MAX bytes): 1, 0 at the end, -1 for a pair that does not parse
 * (a bad escape, a ';'), which url.Query() skips and ParseQuery reports. */
int query_pair_next(const char *q, size_t n, size_t *at, char *key, long *key_len, char *val, long *val_len);

/* 1 when every key of spec has one of its values in the query (a spec
 * without keys: when the query has no parameters), 0 when not or when the
 * query does not parse (a bad escape, a ';'), -EINVAL for a malformed spec */
int query_match(const char *query, size_t n, const unsigned char *spec, size_t spec_len);

#endif
