/* The storage root a blob names (storage.h): shared by the TLS contexts,
 * the HTTP-01 answers and `zsrt trust`. */
#include "storage.h"

#include <stdio.h>
#include <stdlib.h>

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

