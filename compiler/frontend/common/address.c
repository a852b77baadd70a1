/* Site addresses: [scheme://]host[:port][/path] as Caddy's ParseAddress and
 * Address.Normalize (host lowercased outside placeholders, IPv6 canonical). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/common/address.h"
#include "frontend/common/gojson.h"

/* net.SplitHostPort: 0 on success. */
static int address_split_host_port(struct arena *a, const char *s, const char **host, const char **port)
{
  const char *colon = strrchr(s, ':');
  if (!colon)
    return -1;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close + 1 != colon)
      return -1;
    *host = arena_strndup(a, s + 1, (size_t)(close - s - 1));
  } else {
    if (memchr(s, ':', (size_t)(colon - s)) || strpbrk(s, "[]"))
      return -1;
    *host = arena_strndup(a, s, (size_t)(colon - s));
  }
  *port = arena_strdup(a, colon + 1);
  return 0;
}

static const char *address_lower_outside_placeholders(struct arena *a, const char *s)
{
  char *out = arena_strdup(a, s);
  int depth = 0;
  for (char *p = out; *p; p++) {
    depth += *p == '{';
    if (depth == 0)
      *p = (char)tolower((unsigned char)*p);
    if (*p == '}' && depth > 0)
      depth--;
  }
  return out;
}

const char *address_normalize_host(struct arena *a, const char *host)
{
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  if (strchr(host, ':') && inet_pton(AF_INET6, host, buf) == 1 && inet_ntop(AF_INET6, buf, text, sizeof text))
    host = arena_strdup(a, text);
  return address_lower_outside_placeholders(a, host);
}

int address_parse(struct arena *a, const char *key, struct address *out, char **errmsg)
{
  memset(out, 0, sizeof *out);
  out->original = key;
  out->scheme = "";
  out->port = "";
  out->path = "";
  const char *rest = key, *sep = strstr(key, "://");
  if (sep) {
    out->scheme = arena_strndup(a, key, (size_t)(sep - key));
    rest = sep + 3;
  }
  const char *slash = strchr(rest, '/');
  const char *hostport = slash ? arena_strndup(a, rest, (size_t)(slash - rest)) : rest;
  if (address_split_host_port(a, hostport, &out->host, &out->port) < 0 &&
      address_split_host_port(a, arena_printf(a, "%s:", hostport), &out->host, &out->port) < 0) {
    out->host = hostport;
    out->port = "";
  }
  if (slash)
    out->path = arena_strdup(a, slash);
  if (*out->port) {
    long long n;
    if (!go_atoi(out->port, &n)) {
      *errmsg = arena_printf(a, "invalid port '%s': strconv.Atoi: parsing \"%s\": invalid syntax", out->port, out->port);
      return -1;
    }
    if (n < 0 || n > 65535) {
      *errmsg = arena_printf(a, "port %lld is out of range", n);
      return -1;
    }
  }
  out->scheme = address_lower_outside_placeholders(a, out->scheme);
  out->host = address_normalize_host(a, out->host);
  return 0;
}
