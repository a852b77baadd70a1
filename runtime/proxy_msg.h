/* Building the messages of a proxied exchange (proxy_msg.c); proxy.c does
 * the I/O. Every builder writes into buf and returns its length or -ENOSPC. */
#ifndef ZSRT_PROXY_MSG_H
#define ZSRT_PROXY_MSG_H

#include "proxy.h"
#include "proxy_hdr.h"

/* the request head for the upstream: method, c's kept target, Host (the
 * request's, or dial, the upstream address, when it has none), end-to-end
 * headers, X-Forwarded-For/-Proto/-Host (the request's own kept when the
 * peer is trusted), then header_up's ops (fields is the empty list they are
 * gathered in), Content-Length when has_body (Transfer-Encoding: chunked
 * when body_len is -1), Connection and Upgrade when the client asks for an
 * upgrade (Caddy puts them back after dropping hop-by-hop fields) */
int proxy_build_request(const struct conn *c, const struct exchange *ex, const char *dial, int has_body, int64_t body_len,
                        int trusted, struct proxy_hdr_list *fields, const struct proxy_replace *replaces,
                        size_t replace_count, char *buf, size_t cap);

/* the client's answer to an upstream head as a response: status, the
 * upstream's end-to-end headers, header_down's ops, the kept header ops,
 * Server; 0 or -ENOSPC */
int proxy_response_from_upstream(struct worker *w, struct exchange *ex, const struct http1_response *ur);
/* the Content-Length the client is told, or -1 (none known: chunked in HTTP/1.1) */
int64_t proxy_response_length(const struct http1_response *ur);

/* the head for the client, through response_write_head, of the response
 * proxy_response_from_upstream made: upstream status and headers, the kept
 * header ops, Server, Date, and our framing (Content-Length, or chunked when
 * client_chunked) */
int proxy_build_response_head(struct worker *w, struct exchange *ex, const struct http1_response *ur,
                              int client_chunked, char *buf, size_t cap);

/* Caddy's answer when no upstream answered: status (502, 503, 504) with no body */
int proxy_build_bad_gateway(struct worker *w, const struct exchange *ex, int status, char *buf, size_t cap);

/* percent-encodes a decoded path for the request line */
int proxy_escape_path(const char *path, size_t len, char *buf, size_t cap);

#endif
