/* trusted_proxies ranges, as Caddy reads them (netip.ParsePrefix, or an
 * address as its full-width prefix), and the peer compared against them:
 * Caddy trusts a peer when the server's ranges or the handler's hold it. */
#include "proxy_trust.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static int trust_parse(const char *s, struct proxy_range *r)
{
  char host[64];
  const char *slash = strchr(s, '/');
  size_t n = slash ? (size_t)(slash - s) : strlen(s);
  if (n >= sizeof host)
    return -EINVAL;
  memcpy(host, s, n);
  host[n] = 0;
  r->family = strchr(host, ':') ? AF_INET6 : AF_INET;
  unsigned width = r->family == AF_INET ? 32 : 128;
  if (inet_pton(r->family, host, r->addr) != 1)
    return -EINVAL;
  char *end = NULL;
  unsigned long bits = slash ? strtoul(slash + 1, &end, 10) : width;
  if ((slash && (!slash[1] || *end)) || bits > width)
    return -EINVAL;
  r->bits = (unsigned)bits;
  return 0;
}

/* one row's list into a fresh array */
static int trust_list(const struct blob *blob, uint32_t list_off, struct proxy_range **out, size_t *count)
{
  const char *list = blob_string(blob, list_off);
  size_t n = 0;
  for (const char *p = list; *p; p += strlen(p) + 1)
    n++;
  *count = 0;
  if (!n)
    return 0;
  if (!(*out = calloc(n, sizeof **out)))
    return -ENOMEM;
  for (const char *p = list; *p; p += strlen(p) + 1) {
    if (trust_parse(p, &(*out)[*count]) < 0) {
      fprintf(stderr, "zsrt: trusted_proxies '%s' is not an IP address or CIDR range\n", p);
      return -EINVAL;
    }
    (*count)++;
  }
  return 0;
}

int proxy_trust_load(const struct blob *blob, struct proxy_trust *t)
{
  memset(t, 0, sizeof *t);
  t->servers = blob->config ? blob->config->server_count : 0;
  t->proxies = blob->config ? blob->config->proxy_count : 0;
  t->server = calloc(t->servers + 1, sizeof *t->server);
  t->proxy = calloc(t->proxies + 1, sizeof *t->proxy);
  t->server_count = calloc(t->servers + 1, sizeof *t->server_count);
  t->proxy_count = calloc(t->proxies + 1, sizeof *t->proxy_count);
  if (!t->server || !t->proxy || !t->server_count || !t->proxy_count)
    return -ENOMEM;
  for (size_t i = 0; i < t->servers; i++) {
    int rc = trust_list(blob, blob->servers[i].trusted_str, &t->server[i], &t->server_count[i]);
    if (rc < 0)
      return rc;
  }
  for (size_t i = 0; i < t->proxies; i++) {
    int rc = trust_list(blob, blob->proxies[i].trusted_str, &t->proxy[i], &t->proxy_count[i]);
    if (rc < 0)
      return rc;
  }
  return 0;
}

void proxy_trust_free(struct proxy_trust *t)
{
  for (size_t i = 0; t->server && i < t->servers; i++)
    free(t->server[i]);
  for (size_t i = 0; t->proxy && i < t->proxies; i++)
    free(t->proxy[i]);
  free(t->server);
  free(t->proxy);
  free(t->server_count);
  free(t->proxy_count);
  memset(t, 0, sizeof *t);
}

static int trust_contains(const struct proxy_range *r, int family, const uint8_t *addr)
{
  if (r->family != family)
    return 0;
  unsigned full = r->bits / 8, rest = r->bits % 8;
  if (memcmp(r->addr, addr, full) != 0)
    return 0;
  return !rest || ((r->addr[full] ^ addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

static int trust_in(const struct proxy_range *rs, size_t n, int family, const uint8_t *addr)
{
  for (size_t i = 0; i < n; i++)
    if (trust_contains(&rs[i], family, addr))
      return 1;
  return 0;
}

int proxy_trust_peer(const struct proxy_trust *t, unsigned server, unsigned proxy, const char *ip)
{
  uint8_t addr[16];
  int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
  if (inet_pton(family, ip, addr) != 1)
    return 0;
  return (server < t->servers && trust_in(t->server[server], t->server_count[server], family, addr)) ||
         (proxy < t->proxies && trust_in(t->proxy[proxy], t->proxy_count[proxy], family, addr));
}
