/* Does a certificate the tls app loads (load_files, load_folders) cover a
 * name? Caddy asks its certificate cache at start (HasCertificateForSubject)
 * and then manages no certificate for the name; zsc reads the same files at
 * compile time when they are there. A file that is not readable now covers
 * nothing (zsrt loads it at start all the same). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/hostname.h"
#include "lower_parts.h"

#define LOADED_MAX_DEPTH 16      /* folders below a load_folders root that are walked */

/* does any certificate in the PEM file name `name` in its SANs (or CN)? */
static bool loaded_file_covers(const char *path, const char *name)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  bool covered = false, ip = hostname_is_ip(name);
  X509 *cert;
  while (!covered && (cert = PEM_read_X509(f, NULL, NULL, NULL))) {
    covered = ip ? X509_check_ip_asc(cert, name, 0) == 1 : X509_check_host(cert, name, 0, 0, NULL) == 1;
    X509_free(cert);
  }
  fclose(f);
  return covered;
}

/* Caddy's FolderLoader: every *.pem bundle below dir */
static bool loaded_folder_covers(struct lower *l, const char *dir, const char *name, int depth)
{
  DIR *d = depth < LOADED_MAX_DEPTH ? opendir(dir) : NULL;
  if (!d)
    return false;
  bool covered = false;
  struct dirent *e;
  while (!covered && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    const char *path = arena_printf(l->a, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) < 0)
      continue;
    size_t n = strlen(e->d_name);
    if (S_ISDIR(st.st_mode))
      covered = loaded_folder_covers(l, path, name, depth + 1);
    else if (n >= 4 && strcasecmp(e->d_name + n - 4, ".pem") == 0)
      covered = loaded_file_covers(path, name);
  }
  closedir(d);
  return covered;
}

bool lower_loaded_covers(struct lower *l, const struct lowered_config *cfg, const char *name)
{
  for (size_t i = 0; i < cfg->cert_count; i++) {
    const struct lowered_tls_cert *c = &cfg->certs[i];
    if (!c->internal && c->chain &&
        (c->folder ? loaded_folder_covers(l, c->chain, name, 0) : loaded_file_covers(c->chain, name)))
      return true;
  }
  return false;
}
