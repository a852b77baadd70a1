/* certmagic's subject rules (SubjectQualifiesForCert, SubjectIsInternal,
 * SubjectQualifiesForPublicCert), read from its source: names only, no
 * lookups. */
#include "hostname.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

bool hostname_is_ip(const char *s)
{
  unsigned char buf[16];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* 127/8, 10/8, 172.16/12, 192.168/16, ::1, fe80::/10, fc00::/7 */
static bool hostname_internal_ip(const char *s)
{
  unsigned char b[16];
  if (inet_pton(AF_INET, s, b) == 1)
    return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168);
  if (inet_pton(AF_INET6, s, b) != 1)
    return false;
  static const unsigned char loopback[16] = {[15] = 1};
  return memcmp(b, loopback, 16) == 0 || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || (b[0] & 0xfe) == 0xfc;
}

static bool hostname_has_suffix(const char *s, size_t n, const char *suffix)
{
  size_t k = strlen(suffix);
  if (n < k)
    return false;
  for (size_t i = 0; i < k; i++)
    if (tolower((unsigned char)s[n - k + i]) != suffix[i])
      return false;
  return true;
}

bool hostname_is_internal(const char *s)
{
  size_t n = strlen(s);
  if (n && s[n - 1] == '.')
    n--;
  static const char *const suffixes[] = {".localhost", ".local", ".internal", ".home.arpa"};
  if (n == 9 && hostname_has_suffix(s, n, "localhost"))
    return true;
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    if (hostname_has_suffix(s, n, suffixes[i]))
      return true;
  char ip[64];
  if (n >= sizeof ip)
    return false;
  memcpy(ip, s, n);
  ip[n] = 0;
  return hostname_internal_ip(ip);
}

bool hostname_qualifies_for_cert(const char *s)
{
  size_t n = strlen(s);
  bool blank = strspn(s, " \t\r\n") == n;
  const char *star = strchr(s, '*');
  return !blank && s[0] != '.' && s[n - 1] != '.' &&
         (!star || strncmp(s, "*.", 2) == 0 || strcmp(s, "*") == 0) &&
         !strpbrk(s, "()[]{}<> \t\n\"\\!@#$%^&|;'+=");
}

bool hostname_qualifies_for_public_cert(const char *s)
{
  if (!hostname_qualifies_for_cert(s) || hostname_is_internal(s))
    return false;
  const char *star = strchr(s, '*');
  if (!star)
    return true;
  int dots = 0;
  for (const char *p = s; *p; p++)
    dots += *p == '.';
  return !strchr(star + 1, '*') && dots > 1 && strlen(s) > 2 && strncmp(s, "*.", 2) == 0;
}
