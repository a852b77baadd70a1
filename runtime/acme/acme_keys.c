/* certmagic's storage key names, without any library: StorageKeys.Safe and
 * the ACME issuer key of a CA URL. Shared by zsrt-acme, which writes the
 * storage, and zsrt, which reads certificates and challenge tokens from it. */
#include "acme_keys.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* lower case, trimmed, " "->"_", "+"->"_plus_", "*"->"wildcard_", ":"->"-",
 * ".." dropped, then everything but [A-Za-z0-9_@.-] removed */
void acme_store_safe(const char *in, char *out, size_t cap)
{
  size_t n = 0, len = strlen(in);
  while (len && isspace((unsigned char)in[len - 1]))
    len--;
  while (len && isspace((unsigned char)*in))
    in++, len--;
  for (size_t i = 0; i < len && n + 10 < cap; i++) {
    char ch = (char)tolower((unsigned char)in[i]);
    const char *rep = ch == ' ' ? "_" : ch == '+' ? "_plus_" : ch == '*' ? "wildcard_" : ch == ':' ? "-" : NULL;
    if (ch == '.' && i + 1 < len && in[i + 1] == '.') {
      i++;
      continue;
    }
    if (rep) {
      memcpy(out + n, rep, strlen(rep));
      n += strlen(rep);
    } else if (isalnum((unsigned char)ch) || ch == '_' || ch == '@' || ch == '.' || ch == '-') {
      out[n++] = ch;
    }
  }
  out[n] = '\0';
}

/* certmagic's ACMEIssuer.issuerKey: the URL's host, then its path with
 * slashes as hyphens, trimmed of hyphens */
void acme_store_issuer_key(const char *ca_url, char *out, size_t cap)
{
  const char *host = strstr(ca_url, "://");
  host = host ? host + 3 : ca_url;
  size_t hl = strcspn(host, "/?#");
  const char *path = host + hl;
  size_t pl = *path == '/' ? strcspn(path, "?#") : 0;
  char p[1024];
  size_t n = 0;
  for (size_t i = 0; i < pl && n + 1 < sizeof p; i++)
    p[n++] = path[i] == '/' || path[i] == '\\' ? '-' : path[i];
  p[n] = '\0';
  char *trim = p;
  while (*trim == '-')
    trim++;
  while (n && p[n - 1] == '-' && &p[n - 1] >= trim)
    p[--n] = '\0';
  snprintf(out, cap, "%.*s%s%s", (int)hl, host, *trim ? "-" : "", trim);
}

