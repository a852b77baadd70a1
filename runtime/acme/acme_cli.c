/* zsrt-acme, the certificate manager's process (run by `zsrt certs`):
 *   obtain: for each name, under certmagic's lock, load the certificate from
 *           storage when it is fresh, else order it (HTTP-01) and store it;
 *   list:   the certificates in storage with issuer and expiry.
 * Log lines go to stderr in Caddy's JSON shape; a failure leaves the old
 * certificate in place and sets the exit status. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme.h"


struct acme_cli {
  const char *ca, *ca_root, *email, *storage;
  int http_port;
  const char *names[ACME_MAX_NAMES];
  size_t count;
};

static int acme_cli_usage(void)
{
  fprintf(stderr, "usage: zsrt certs obtain --ca URL [--ca-root PEM] [--email E] [--http-port N] --storage DIR NAME...\n"
                  "       zsrt certs list --storage DIR\n");
  return 2;
}

/* what HTTP-01 can prove: a DNS name (no wildcard) or an IP address */
static int acme_cli_name_ok(const char *name)
{
  size_t len = strlen(name);
  if (len == 0 || len > 253 || strchr(name, '*') || strchr(name, '/') || name[0] == '.' || name[0] == '-')
    return 0;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
          *p == '-' || *p == ':'))
      return 0;
  return 1;
}

static int acme_cli_parse(int argc, char **argv, struct acme_cli *a)
{
  a->http_port = 80;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    const char **slot = strcmp(arg, "--ca") == 0 ? &a->ca : strcmp(arg, "--ca-root") == 0 ? &a->ca_root
                      : strcmp(arg, "--email") == 0 ? &a->email : strcmp(arg, "--storage") == 0 ? &a->storage
                      : NULL;
    if (slot && next) {
      *slot = next;
      i++;
    } else if (strcmp(arg, "--http-port") == 0 && next) {
      char *end;
      long port = strtol(next, &end, 10);
      if (*end || port <= 0 || port > 65535)
        return -1;
      a->http_port = (int)port;
      i++;
    } else if (arg[0] != '-' && a->count < ACME_MAX_NAMES) {
      if (!acme_cli_name_ok(arg)) {
        fprintf(stderr, "zsrt certs: %s: not a name HTTP-01 can validate (wildcards need DNS-01)\n", arg);
        return -1;
      }
      a->names[a->count++] = arg;
    } else {
      return -1;
    }
  }
  return a->storage ? 0 : -1;
}

static int acme_cli_obtain(int argc, char **argv)
{
  struct acme_cli a = { 0 };
  if (acme_cli_parse(argc, argv, &a) < 0 || !a.ca || a.count == 0)
    return acme_cli_usage();
  /* HTTP-01 only: the answerer below is the one this command runs */
  struct acme_issuer iss = { .ca = a.ca, .ca_root = a.ca_root, .email = a.email, .challenges = ACME_CH_HTTP01 };
  char err[ACME_ERR_MAX];
  int failed = 0;
  acme_store_init(&iss.store, a.storage, a.ca);
  int solver = acme_solver_start(&iss.store, a.http_port, err, sizeof err);
  if (solver < 0) {
    acme_log("error", "tls.obtain", "could not start the HTTP-01 answerer", "error", err, NULL);
    return 1;
  }
  for (size_t i = 0; i < a.count; i++)
    failed += acme_obtain_name(a.storage, &iss, 1, a.names[i]) < 0;
  acme_issuer_close(&iss);
  acme_solver_stop(solver);
  return failed ? 1 : 0;
}

/* name, issuer, expiry and state of one stored certificate; its key must match */
static void acme_cli_list_one(const char *dir, const char *issuer, const char *name, int64_t now)
{
  char crt[9000], key[9000], when[32];
  if (snprintf(crt, sizeof crt, "%s/%s.crt", dir, name) >= (int)sizeof crt ||
      snprintf(key, sizeof key, "%s/%s.key", dir, name) >= (int)sizeof key)
    return;
  FILE *cf = fopen(crt, "re"), *kf = fopen(key, "re");
  X509 *x = cf ? PEM_read_X509(cf, NULL, NULL, NULL) : NULL;
  EVP_PKEY *k = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
  int64_t nb, na;
  const char *state = "unreadable";
  when[0] = '\0';
  if (x && acme_store_cert_validity(crt, &nb, &na) == 0) {
    time_t t = (time_t)na;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    state = !k || X509_check_private_key(x, k) != 1 ? "key-mismatch" : now >= na ? "expired"
          : now >= na - (na - nb) / 3 ? "due" : "valid";
  }
  printf("%s\t%s\t%s\t%s\n", name, issuer, when[0] ? when : "-", state);
  X509_free(x);
  EVP_PKEY_free(k);
  if (cf)
    fclose(cf);
  if (kf)
    fclose(kf);
}

static int acme_cli_list(int argc, char **argv)
{
  struct acme_cli a = { 0 };
  if (acme_cli_parse(argc, argv, &a) < 0 || a.count)
    return acme_cli_usage();
  char top[4096], dir[8400];
  snprintf(top, sizeof top, "%s/certificates", a.storage);
  DIR *issuers = opendir(top);
  if (!issuers) {
    fprintf(stderr, "zsrt certs list: %s: %s\n", top, strerror(errno));
    return 1;
  }
  int64_t now = (int64_t)time(NULL);
  for (struct dirent *i; (i = readdir(issuers));) {
    snprintf(dir, sizeof dir, "%s/%s", top, i->d_name);
    DIR *names = i->d_name[0] == '.' ? NULL : opendir(dir);
    for (struct dirent *n; names && (n = readdir(names));) {
      if (n->d_name[0] == '.')
        continue;
      char site[8400 + 256];
      snprintf(site, sizeof site, "%s/%s", dir, n->d_name);
      acme_cli_list_one(site, i->d_name, n->d_name, now);
    }
    if (names)
      closedir(names);
  }
  closedir(issuers);
  return 0;
}

int main(int argc, char **argv)
{
  /* a CA or validator that hangs up must not end the process mid-write */
  signal(SIGPIPE, SIG_IGN);
  /* `zsrt certs VERB ...` execs this with argv[1] = VERB */
  if (argc >= 2 && strcmp(argv[1], "obtain") == 0)
    return acme_cli_obtain(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "list") == 0)
    return acme_cli_list(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "manage") == 0)
    return acme_manage_main(argc - 2, argv + 2);
  return acme_cli_usage();
}
