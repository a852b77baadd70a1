/* trusted_proxies ranges, as Caddy reads them (netip.ParsePrefix, or an
 * address as its full-width prefix), and the peer compared against them:
 * Caddy trusts a peer when the server's ranges or the handler's hold it. */
#include "proxy_trust.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../abi/helpers.h"
#include "helpers.h"
#include "loader.h"

/* netip.ParsePrefix, or an address as its full-width prefix (zsc checked
 * the text the same way): family 4 or 6, bits, 16 address bytes */
static int trust_parse(const char *s, unsigned char *r)
{
  char host[64];
  const char *slash = strchr(s, '/');
  size_t n = slash ? (size_t)(slash - s) : strlen(s);
  if (n >= sizeof host)
    return -EINVAL;
  memcpy(host, s, n);
  host[n] = 0;
  memset(r, 0, ZS_IP_RANGE_SIZE);
  int v6 = strchr(host, ':') != NULL;
  unsigned width = v6 ? 128 : 32;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, host, r + 2) != 1)
    return -EINVAL;
  char *end = NULL;
  unsigned long bits = slash ? strtoul(slash + 1, &end, 10) : width;
  if ((slash && (!slash[1] || *end)) || bits > width)
    return -EINVAL;
  r[0] = v6 ? 6 : 4;
  r[1] = (unsigned char)bits;
  return 0;
}

/* one row's list into a fresh array */
static int trust_list(const struct blob *blob, uint32_t list_off, unsigned char **out, size_t *count)
{
  const char *list = blob_string(blob, list_off);
  size_t n = 0;
  for (const char *p = list; *p; p += strlen(p) + 1)
    n++;
  *count = 0;
  if (!n)
    return 0;
  if (!(*out = calloc(n, ZS_IP_RANGE_SIZE)))
    return -ENOMEM;
  for (const char *p = list; *p; p += strlen(p) + 1) {
    if (trust_parse(p, *out + *count) < 0) {
      fprintf(stderr, "zsrt: trusted_proxies '%s' is not an IP address or CIDR range\n", p);
      return -EINVAL;
    }
    *count += ZS_IP_RANGE_SIZE;
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

int proxy_trust_peer(const struct proxy_trust *t, unsigned server, unsigned proxy, const char *ip)
{
  return (server < t->servers && helper_ip_in(ip, t->server[server], t->server_count[server])) ||
         (proxy < t->proxies && helper_ip_in(ip, t->proxy[proxy], t->proxy_count[proxy]));
}
