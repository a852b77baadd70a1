/* reverse_proxy upstream addresses (parseUpstreamDialAddress): scheme or
 * network prefix, implied ports, placeholders left for request time, and
 * port ranges expanded into one upstream per port. */
#include <stdlib.h>
#include <string.h>

#include "adapt.h"
#include "proxy.h"

static const char *proxy_join_host_port(struct arena *a, const char *host, const char *port)
{
  return strchr(host, ':') ? arena_printf(a, "[%s]:%s", host, port) : arena_printf(a, "%s:%s", host, port);
}

static bool proxy_is_unix(const char *network)
{
  return !strcmp(network, "unix") || !strcmp(network, "unixgram") || !strcmp(network, "unixpacket") ||
         !strcmp(network, "fd") || !strcmp(network, "fdgram");
}

/* caddy.SplitNetworkAddress, without its error (the host is then the whole text) */
static void proxy_split_network(struct arena *a, const char *addr, const char **network, const char **host, const char **port)
{
  const char *slash = strchr(addr, '/');
  *network = slash ? arena_strndup(a, addr, (size_t)(slash - addr)) : "";
  const char *rest = slash ? slash + 1 : addr;
  *port = "";
  if (proxy_is_unix(*network) || !strcmp(*network, "unix+h2c")) {
    *host = rest;
    return;
  }
  const char *colon = strrchr(rest, ':');
  if (rest[0] == '[') {
    const char *close = strchr(rest, ']');
    *host = close ? arena_strndup(a, rest + 1, (size_t)(close - rest - 1)) : rest;
    *port = close && close[1] == ':' ? close + 2 : "";
  } else if (colon && !memchr(rest, ':', (size_t)(colon - rest))) {
    *host = arena_strndup(a, rest, (size_t)(colon - rest));
    *port = colon + 1;
  } else
    *host = rest;
}

/* scheme://host[:port] */
static int proxy_parse_url(struct helper *h, const char *addr, struct proxy_addr *pa)
{
  struct arena *a = h->ad->arena;
  const char *sep = strstr(addr, "://");
  pa->scheme = arena_strndup(a, addr, (size_t)(sep - addr));
  const char *rest = sep + 3;
  if (strpbrk(rest, "/?#"))
    return disp_errf(&h->d, "for now, URLs for proxy upstreams only support scheme, host, and port components");
  const char *network;
  proxy_split_network(a, rest, &network, &pa->host, &pa->port);
  if (!strcmp(pa->scheme, "http") && !strcmp(pa->port, "443"))
    return disp_errf(&h->d, "upstream address has conflicting scheme (http://) and port (:443, the HTTPS port)");
  if (!strcmp(pa->scheme, "https") && !strcmp(pa->port, "80"))
    return disp_errf(&h->d, "upstream address has conflicting scheme (https://) and port (:80, the HTTP port)");
  if (!strcmp(pa->scheme, "h2c") && !strcmp(pa->port, "443"))
    return disp_errf(&h->d, "upstream address has conflicting scheme (h2c://) and port (:443, the HTTPS port)");
  if (!*pa->port)
    pa->port = !strcmp(pa->scheme, "https") ? "443" : "80";
  return 0;
}

int proxy_parse_upstream(struct helper *h, const char *addr, struct proxy_addr *pa)
{
  memset(pa, 0, sizeof *pa);
  pa->network = pa->scheme = pa->port = "";
  if (strstr(addr, "://")) {
    if (strchr(addr, '{'))
      return disp_errf(&h->d, "due to parsing difficulties, placeholders are not allowed when an upstream address contains a scheme");
    if (proxy_parse_url(h, addr, pa) < 0)
      return -1;
  } else {
    proxy_split_network(h->ad->arena, addr, &pa->network, &pa->host, &pa->port);
    if (!*pa->port && !strchr(pa->host, '{') && !proxy_is_unix(pa->network) && strcmp(pa->network, "unix+h2c"))
      pa->port = "80";
  }
  if (!strcmp(pa->network, "unix+h2c")) {
    pa->network = "unix";
    pa->scheme = "h2c";
  }
  return 0;
}

const char *proxy_dial(struct arena *a, const struct proxy_addr *pa)
{
  if (*pa->network) {
    if (proxy_is_unix(pa->network) || !*pa->port)
      return arena_printf(a, "%s/%s", pa->network, pa->host);
    return arena_printf(a, "%s/%s", pa->network, proxy_join_host_port(a, pa->host, pa->port));
  }
  if (!*pa->port && strchr(pa->host, '{'))
    return pa->host;
  return proxy_join_host_port(a, pa->host, pa->port);
}

/* Appends the upstream(s) for addr to upstreams. */
int proxy_append_upstream(struct helper *h, struct json *upstreams, const char *addr, const char **common_scheme)
{
  struct arena *a = h->ad->arena;
  struct proxy_addr pa;
  if (proxy_parse_upstream(h, addr, &pa) < 0)
    return fe_wrap(h->ad->err, "parsing upstream '%s': ", addr);
  if (!strcmp(pa.scheme, "wss") || !strcmp(pa.scheme, "ws"))
    return disp_errf(&h->d, "the scheme %s:// is only supported in browsers; use %s:// instead", pa.scheme,
                     pa.scheme[2] ? "https" : "http");
  if (*pa.scheme && strcmp(pa.scheme, "http") && strcmp(pa.scheme, "https") && strcmp(pa.scheme, "h2c"))
    return disp_errf(&h->d, "unsupported URL scheme %s://", pa.scheme);
  if (**common_scheme && strcmp(pa.scheme, *common_scheme))
    return disp_errf(&h->d, "for now, all proxy upstreams must use the same scheme (transport protocol); "
                     "expecting '%s://' but got '%s://'", *common_scheme, pa.scheme);
  *common_scheme = pa.scheme;
  const char *dash = strchr(pa.port, '-');
  if (dash && !strchr(pa.port, '{') && !proxy_is_unix(pa.network)) {
    long lo = strtol(pa.port, NULL, 10), hi = strtol(dash + 1, NULL, 10);
    for (long p = lo; p <= hi; p++) {
      struct json *up = jobj(a);
      jset(a, up, "dial", jstr(a, proxy_join_host_port(a, pa.host, arena_printf(a, "%ld", p)), disp_pos(&h->d)));
      jpush(a, upstreams, up);
    }
    return 0;
  }
  struct json *up = jobj(a);
  jset(a, up, "dial", jstr(a, proxy_dial(a, &pa), disp_pos(&h->d)));
  jpush(a, upstreams, up);
  return 0;
}
