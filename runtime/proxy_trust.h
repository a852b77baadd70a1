/* trusted_proxies for reverse_proxy: the peers whose X-Forwarded-* headers
 * are kept (the server's static ranges, or the handler's own), parsed from
 * the blob once per worker (proxy_trust.c). */
#ifndef ZSRT_PROXY_TRUST_H
#define ZSRT_PROXY_TRUST_H

#include <stddef.h>
#include <stdint.h>

struct blob;

/* per server row and per proxy row: ranges packed as the remote_ip
 * matcher's (abi ZS_IP_RANGE_SIZE bytes each), and their bytes */
struct proxy_trust {
  unsigned char **server, **proxy;
  size_t *server_count, *proxy_count;   /* bytes of packed ranges */
  size_t servers, proxies;
};

/* 0 or -errno (-EINVAL, with a message on stderr, for a range that does not parse) */
int proxy_trust_load(const struct blob *blob, struct proxy_trust *t);
void proxy_trust_free(struct proxy_trust *t);

/* 1 when ip (textual, as conn_info holds it) is trusted for this server and proxy */
int proxy_trust_peer(const struct proxy_trust *t, unsigned server, unsigned proxy, const char *ip);

#endif
