/* Caddy's query matcher over a raw query, parsed as Go's url.ParseQuery
 * parses it: a packed spec (helpers.def query_match; lower/match_query.c) of keys,
 * each with the values one of which it must have ("*": any). */
#ifndef ZSRT_QUERY_MATCH_H
#define ZSRT_QUERY_MATCH_H

#include <stddef.h>

/* 1 when every key of spec has one of its values in the query (a spec
 * without keys: when the query has no parameters), 0 when not or when the
 * query does not parse (a bad escape, a ';'), -EINVAL for a malformed spec */
int query_match(const char *query, size_t n, const unsigned char *spec, size_t spec_len);

#endif
