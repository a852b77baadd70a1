/* The storage root a blob names (storage.h): shared by the TLS contexts,
 * the HTTP-01 and TLS-ALPN-01 answers and `zsrt trust`. The challenge
 * files are a few hundred bytes read with one open and read, as
 * file_server reads its files. */
#include "storage.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acme/acme_keys.h"
#include "loader.h"

void storage_root(const struct blob *b, char *out, size_t cap)
{
  const char *set = b && b->config && b->config->tls_app_count ? blob_string(b, b->tls_apps[0].storage_str) : "";
  const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  if (set[0])
    snprintf(out, cap, "%s", set);
  else if (xdg && xdg[0] == '/')
    snprintf(out, cap, "%s/caddy", xdg);
  else if (home && home[0])
    snprintf(out, cap, "%s/.local/share/caddy", home);
  else
    snprintf(out, cap, "./caddy");
}


const struct zs_tls_cert *storage_acme_row(const struct blob *b, const char *host)
{
  for (unsigned i = 0; i < b->config->tls_cert_count; i++) {
    const struct zs_tls_cert *row = &b->tls_certs[i];
    const char *names[16];
    size_t n = (row->flags & ZS_CERT_ACME) ? blob_list(b, row->name_str, names, 16) : 0;
    for (size_t k = 0; k < n && k < 16; k++)
      if (strcasecmp(names[k], host) == 0)
        return row;
  }
  return NULL;
}

int storage_read_challenge(const char *root, const char *ca, const char *host, const char *suffix, char *buf, size_t cap)
{
  char key[1024], issuer[1024], name[600], path[4096 + 2048];
  acme_store_issuer_key(ca, key, sizeof key);
  acme_store_safe(key, issuer, sizeof issuer);
  acme_store_safe(host, name, sizeof name);
  if (cap < 2 ||
      snprintf(path, sizeof path, "%s/acme/%s/challenge_tokens/%s%s", root, issuer, name, suffix) >= (int)sizeof path)
    return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return (int)n;
}
