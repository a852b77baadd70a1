/* reverse_proxy's header_up and header_down: Caddy's header ops (add, set,
 * delete, replace with a substring or a regular expression) applied to the
 * request sent upstream and to the upstream's response (proxy_hdr.c). */
#ifndef ZSRT_PROXY_HDR_H
#define ZSRT_PROXY_HDR_H

#include <stddef.h>

#include "exec.h"
#include "response.h"

struct blob;

/* a proxy record's replace searches, compiled once per worker */
struct proxy_replace {
  const char *search;
  size_t len;
  void *re;                    /* pcre2_code, NULL for a substring search */
  void *match;                 /* its pcre2_match_data */
};

/* header fields being edited: values the ops make go into store */
struct proxy_hdr_list {
  struct response_header *items;
  size_t count, cap;
  char *store;
  size_t store_cap, store_used;
};

/* compiles the replace_str of every proxy record into one array per record
 * (*out[i], *counts[i]); 0 or -errno, with a message on stderr */
int proxy_hdr_compile(const struct blob *blob, struct proxy_replace ***out, size_t **counts);
void proxy_hdr_free(struct proxy_replace **compiled, size_t *counts, size_t proxy_count);

/* applies the decision's ops of target (ZS_HDR_UP or ZS_HDR_DOWN) in program
 * order; 0, or -ENOSPC when the list or its store is full */
int proxy_hdr_apply(struct proxy_hdr_list *l, const struct exec_decision *dec, unsigned target,
                    const struct proxy_replace *replaces, size_t replace_count);

/* 1 when the decision has ops for target */
int proxy_hdr_has(const struct exec_decision *dec, unsigned target);

#endif
