/* `zsrt trust` / `zsrt untrust`: the local CA's root into (or out of) the
 * system trust store, as Caddy's truststore does on Debian: a file in
 * /usr/local/share/ca-certificates named after the root, then
 * update-ca-certificates. Folder and command are parameters so tests (and
 * packagers) can point them elsewhere or only print the command. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>

#include "tls_ca.h"
#include "tls_lib.h"

extern char **environ;

static const char *const trust_default_command[] = {"update-ca-certificates", NULL};
/* a removed root leaves its links behind unless the store is rebuilt */
static const char *const trust_default_uninstall[] = {"update-ca-certificates", "--fresh", NULL};

/* "<CN> <serial>" with spaces as underscores, as smallstep's truststore */
static int trust_file_name(const struct tls_ca *ca, const struct tls_trust_target *t, char *path, size_t cap)
{
  char cn[256];
  if (tls_ca_root_common_name(ca, cn, sizeof cn) < 0)
    return -ENOENT;
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber((X509 *)ca->root), NULL);
  char *serial = bn ? BN_bn2dec(bn) : NULL;
  BN_free(bn);
  if (!serial)
    return -ENOMEM;
  int n = snprintf(path, cap, "%s/%s %s.crt", t->dest_dir ? t->dest_dir : "/usr/local/share/ca-certificates", cn, serial);
  OPENSSL_free(serial);
  for (char *p = strrchr(path, '/'); p && *p; p++)
    *p = *p == ' ' ? '_' : *p;
  return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

static int trust_run(const struct tls_trust_target *t, const char *const *fallback, char *cmd_out, size_t cmd_cap,
                     char *err, size_t errcap)
{
  const char *const *argv = t->command ? t->command : fallback;
  size_t n = 0;
  cmd_out[0] = '\0';
  for (size_t i = 0; argv[i]; i++)
    n += (size_t)snprintf(cmd_out + n, n < cmd_cap ? cmd_cap - n : 0, "%s%s", i ? " " : "", argv[i]);
  if (t->dry_run)
    return 0;
  pid_t pid;
  int status, r = posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ);
  if (r != 0)
    return snprintf(err, errcap, "%s: %s", argv[0], strerror(r)), -r;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return snprintf(err, errcap, "%s failed", cmd_out), -EIO;
  return 0;
}

/* does path hold exactly pem? */
static int trust_same_file(const char *path, const char *pem)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  size_t len = strlen(pem);
  char *buf = malloc(len + 2);
  size_t n = buf ? fread(buf, 1, len + 1, f) : 0;
  fclose(f);
  int same = buf && n == len && memcmp(buf, pem, len) == 0;
  free(buf);
  return same;
}

int tls_ca_install_trust(const struct tls_ca *ca, const struct tls_trust_target *t, char *cmd_out, size_t cmd_cap,
                         char *err, size_t errcap)
{
  char path[4096];
  char *pem = tls_ca_root_pem(ca);
  int r = pem ? trust_file_name(ca, t, path, sizeof path) : -ENOMEM;
  if (r == 0 && t->dry_run) {
    free(pem);
    return trust_run(t, trust_default_command, cmd_out, cmd_cap, err, errcap);   /* nothing changes */
  }
  if (r == 0 && trust_same_file(path, pem)) {
    free(pem);
    snprintf(cmd_out, cmd_cap, "already installed: %s", path);
    return 0;                              /* as caddy at start: nothing to do when the root is in place */
  }
  FILE *f = r == 0 ? fopen(path, "w") : NULL;
  if (r == 0 && !f)
    r = -errno;
  if (f && (fputs(pem, f) < 0 || fclose(f) != 0))
    r = -EIO;
  free(pem);
  if (r < 0)
    return snprintf(err, errcap, "installing the root: %s", strerror(-r)), r;
  return trust_run(t, trust_default_command, cmd_out, cmd_cap, err, errcap);
}

int tls_ca_uninstall_trust(const struct tls_ca *ca, const struct tls_trust_target *t, char *cmd_out, size_t cmd_cap,
                           char *err, size_t errcap)
{
  char path[4096];
  int r = trust_file_name(ca, t, path, sizeof path);
  if (r == 0 && unlink(path) < 0 && errno != ENOENT)
    r = -errno;
  if (r < 0)
    return snprintf(err, errcap, "removing the root: %s", strerror(-r)), r;
  return trust_run(t, trust_default_uninstall, cmd_out, cmd_cap, err, errcap);
}
