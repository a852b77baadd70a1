/* `zsrt-acme manage`: the certificate manager zsrt starts (never a worker;
 * it holds the account keys). For each name it keeps a certificate in
 * storage: obtained when missing, renewed when a third of its lifetime is
 * left (certmagic's window), scanned every renew_interval, retried after a
 * failure on certmagic's backoff. Each time a name's certificate in storage
 * is new (obtained here or by another node sharing the storage) it writes
 * "NAME\n" to the notify pipe, and zsrt reloads its contexts from storage.
 * HTTP-01 and TLS-ALPN-01 are answered by zsrt's HTTP and TLS listeners
 * from what the order publishes in storage. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acme.h"

#define MANAGE_MAX_ISSUERS 16
#define MANAGE_MAX_NAMES 1024
#define MANAGE_RENEW_INTERVAL 600    /* certmagic's default scan: 10 min */

struct manage_name {
  const char *name;
  size_t first, count;             /* its issuers */
  int64_t next;                    /* when to look at it again */
  int64_t stored_at;               /* mtime of the certificate last announced */
  unsigned fails;
};

struct manage {
  const char *storage;
  int notify_fd;
  int64_t renew_interval;
  struct acme_issuer issuers[MANAGE_MAX_ISSUERS];
  size_t issuer_count;
  struct manage_name names[MANAGE_MAX_NAMES];
  size_t name_count;
};

static volatile sig_atomic_t manage_stop;

static void manage_on_signal(int sig)
{
  (void)sig;
  manage_stop = 1;
}

/* certmagic's retry intervals after a failed obtain, in seconds; the last repeats */
static int64_t manage_backoff(unsigned fails)
{
  static const int64_t steps[] = {60, 120, 120, 300, 600, 600, 600, 1200, 1200, 1200, 1200, 1800, 1800,
                                  1800, 1800, 1800, 1800, 3600, 3600, 3600, 7200, 7200, 10800, 21600};
  size_t n = sizeof steps / sizeof steps[0];
  return steps[fails - 1 < n ? fails - 1 : n - 1];
}

static int manage_parse_num(const char *s, long lo, long hi, long *out)
{
  char *end;
  errno = 0;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || errno || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* "http-01,tls-alpn-01" (either or both) as ACME_CH_* bits */
static int manage_parse_challenges(const char *s, unsigned *out)
{
  unsigned bits = 0;
  while (*s) {
    size_t n = strcspn(s, ",");
    if (n == 7 && strncmp(s, "http-01", 7) == 0)
      bits |= ACME_CH_HTTP01;
    else if (n == 11 && strncmp(s, "tls-alpn-01", 11) == 0)
      bits |= ACME_CH_TLSALPN01;
    else
      return -1;
    s += n + (s[n] == ',');
  }
  *out = bits;
  return bits ? 0 : -1;
}

/* --storage DIR --notify-fd N [--renew-interval S]
 * (--issuer CA [--challenges LIST] [--ca-root PEM] [--email E])... (--name NAME FIRST COUNT)... */
static int manage_parse(int argc, char **argv, struct manage *m)
{
  m->notify_fd = -1;
  m->renew_interval = MANAGE_RENEW_INTERVAL;
  struct acme_issuer *iss = NULL;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    long v, first, count;
    if (!next)
      return -1;
    if (strcmp(arg, "--storage") == 0) {
      m->storage = next;
    } else if (strcmp(arg, "--notify-fd") == 0 && manage_parse_num(next, 0, 1 << 20, &v) == 0) {
      m->notify_fd = (int)v;
    } else if (strcmp(arg, "--renew-interval") == 0 && manage_parse_num(next, 1, 0x7fffffff, &v) == 0) {
      m->renew_interval = v;
    } else if (strcmp(arg, "--issuer") == 0 && m->issuer_count < MANAGE_MAX_ISSUERS) {
      iss = &m->issuers[m->issuer_count++];
      iss->ca = next;
      iss->challenges = ACME_CH_ALL;   /* certmagic's default: both */
    } else if (strcmp(arg, "--challenges") == 0 && iss && manage_parse_challenges(next, &iss->challenges) == 0) {
      /* the issuer's challenge types */
    } else if (strcmp(arg, "--ca-root") == 0 && iss) {
      iss->ca_root = next;
    } else if (strcmp(arg, "--email") == 0 && iss) {
      iss->email = next;
    } else if (strcmp(arg, "--name") == 0 && i + 3 < argc && m->name_count < MANAGE_MAX_NAMES &&
               manage_parse_num(argv[i + 2], 0, MANAGE_MAX_ISSUERS - 1, &first) == 0 &&
               manage_parse_num(argv[i + 3], 1, MANAGE_MAX_ISSUERS, &count) == 0 &&
               (size_t)(first + count) <= m->issuer_count) {
      m->names[m->name_count++] = (struct manage_name){.name = next, .first = (size_t)first, .count = (size_t)count};
      i += 2;
    } else {
      return -1;
    }
    i++;
  }
  return m->storage && m->name_count ? 0 : -1;
}

/* the mtime of the newest fresh certificate stored for n, 0 when none is fresh */
static int64_t manage_stored(struct manage *m, const struct manage_name *n, int64_t now)
{
  for (size_t i = n->first; i < n->first + n->count; i++) {
    char path[4096];
    struct stat st;
    if (acme_store_cert_fresh(&m->issuers[i].store, n->name, now) &&
        acme_store_cert_path(&m->issuers[i].store, n->name, "crt", path, sizeof path) == 0 && stat(path, &st) == 0)
      return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  }
  return 0;
}

static void manage_notify(struct manage *m, const char *name)
{
  char line[600];
  int len = snprintf(line, sizeof line, "%s\n", name);
  if (m->notify_fd >= 0 && len > 0 && len < (int)sizeof line && write(m->notify_fd, line, (size_t)len) < 0 &&
      errno == EPIPE)
    manage_stop = 1;   /* zsrt is gone */
}

static void manage_one(struct manage *m, struct manage_name *n, int64_t now)
{
  int64_t stored = manage_stored(m, n, now);
  if (!stored) {
    char path[4096];
    int64_t nb, na;
    if (acme_store_cert_path(&m->issuers[n->first].store, n->name, "crt", path, sizeof path) == 0 &&
        acme_store_cert_validity(path, &nb, &na) == 0)
      acme_log("info", "tls.renew", "certificate is in configured renewal window", "identifier", n->name, NULL);
    int rc = acme_obtain_name(m->storage, &m->issuers[n->first], n->count, n->name);
    stored = rc == 0 ? manage_stored(m, n, (int64_t)time(NULL)) : 0;
    if (!stored) {
      n->fails++;
      char wait[32];
      snprintf(wait, sizeof wait, "%lld", (long long)manage_backoff(n->fails));
      acme_log("error", "tls.obtain", "will retry", "identifier", n->name, "retrying_in", wait, NULL);
      n->next = now + manage_backoff(n->fails);
      return;
    }
  }
  n->fails = 0;
  if (stored != n->stored_at) {
    n->stored_at = stored;
    manage_notify(m, n->name);
  }
  n->next = now + m->renew_interval;
}

int acme_manage_main(int argc, char **argv)
{
  struct manage *m = calloc(1, sizeof *m);
  if (!m || manage_parse(argc, argv, m) < 0) {
    fprintf(stderr, "usage: zsrt-acme manage --storage DIR --notify-fd N [--renew-interval S] "
                    "(--issuer CA [--challenges http-01,tls-alpn-01] [--ca-root PEM] [--email E])... "
                    "(--name NAME FIRST COUNT)...\n");
    free(m);
    return 2;
  }
  for (size_t i = 0; i < m->issuer_count; i++)
    acme_store_init(&m->issuers[i].store, m->storage, m->issuers[i].ca);
  signal(SIGTERM, manage_on_signal);
  signal(SIGINT, manage_on_signal);
  acme_log("info", "tls", "certificate manager started", "storage", m->storage, NULL);
  while (!manage_stop) {
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < m->name_count && !manage_stop; i++)
      if (now >= m->names[i].next)
        manage_one(m, &m->names[i], now);
    sleep(1);
  }
  for (size_t i = 0; i < m->issuer_count; i++)
    acme_issuer_close(&m->issuers[i]);
  free(m);
  return 0;
}
