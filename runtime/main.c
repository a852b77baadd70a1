/* zsrt's command line: serve a blob (zsrt [options] SITE.zsb), ask a running
 * zsrt to reload (zsrt reload --pidfile FILE [SITE.zsb]), install or remove
 * the local CA's root in the system trust store (zsrt trust|untrust), or run one request
 * through a blob (zsrt --run-request FILE [--port N] SITE.zsb), or manage ACME
 * certificates in storage (zsrt certs obtain|list: the zsrt-acme process). Built with
 * ZSRT_NO_NET (the static aarch64 build) only the last exists. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run_request.h"
#include "auth.h"
#ifndef ZSRT_NO_NET
#include "blob_sign.h"
#include "loader.h"
#include "server.h"
#include "cert_manager.h"
#include "site_tls.h"
#include "storage.h"
#endif

#define ZSRT_VERSION "0.1.0"
#define MAIN_MAX_ALLOW 32

struct main_args {
  const char *blob;
  const char *request;
  int port;
  int workers;
  int reload;                  /* the `reload` subcommand */
  int trust;                   /* `trust`: 1, `untrust`: -1 */
  const char *storage;
  const char *pidfile;
  const char *user, *group;
  const char *verify_key;
  int reuse_port, no_sandbox;
  const char *allow_read[MAIN_MAX_ALLOW];
  size_t allow_read_count;
};

static int main_usage(FILE *f, int code)
{
  fprintf(f, "usage: zsrt [--workers N] [--pidfile FILE] [--user USER [--group GROUP]]\n"
             "            [--reuse-port] [--no-sandbox] [--allow-read DIR]... [--verify-key PUB.pem] SITE.zsb\n"
             "       zsrt reload --pidfile FILE [--verify-key PUB.pem] [SITE.zsb]\n"
             "       zsrt trust|untrust [--storage DIR | SITE.zsb]\n"
             "       zsrt certs obtain --ca URL [--ca-root PEM] [--email E] [--http-port N] --storage DIR NAME...\n"
             "       zsrt certs list --storage DIR\n"
             "       zsrt --run-request FILE [--port N] SITE.zsb\n"
             "       zsrt --version | --help\n");
  return code;
}

static int main_number(const char *s, int *out)
{
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0 || v > 65535)
    return -1;
  *out = (int)v;
  return 0;
}

/* an option with a value; 1 when arg was one, -1 for a bad value */
static int main_parse_valued(struct main_args *a, const char *arg, const char *next)
{
  if (strcmp(arg, "--run-request") == 0)
    a->request = next;
  else if (strcmp(arg, "--port") == 0)
    return main_number(next, &a->port) < 0 ? -1 : 1;
  else if (strcmp(arg, "--workers") == 0)
    return main_number(next, &a->workers) < 0 ? -1 : 1;
  else if (strcmp(arg, "--pidfile") == 0)
    a->pidfile = next;
  else if (strcmp(arg, "--user") == 0)
    a->user = next;
  else if (strcmp(arg, "--group") == 0)
    a->group = next;
  else if (strcmp(arg, "--verify-key") == 0)
    a->verify_key = next;
  else if (strcmp(arg, "--storage") == 0)
    a->storage = next;
  else if (strcmp(arg, "--allow-read") == 0 && a->allow_read_count < MAIN_MAX_ALLOW)
    a->allow_read[a->allow_read_count++] = next;
  else
    return 0;
  return 1;
}

/* returns -1 on a usage error, 1 when the program should exit 0 (help, version) */
static int main_parse(int argc, char **argv, struct main_args *a)
{
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "reload") == 0) {
    a->reload = 1;
    first = 2;
  } else if (argc > 1 && (strcmp(argv[1], "trust") == 0 || strcmp(argv[1], "untrust") == 0)) {
    a->trust = argv[1][0] == 't' ? 1 : -1;
    first = 2;
  }
  for (int i = first; i < argc; i++) {
    const char *arg = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
      return main_usage(stdout, 1);
    if (strcmp(arg, "--version") == 0) {
      printf("zsrt %s\n", ZSRT_VERSION);
      return 1;
    }
    int rc = next ? main_parse_valued(a, arg, next) : 0;
    if (rc < 0)
      return -1;
    if (rc > 0) {
      i++;
    } else if (strcmp(arg, "--reuse-port") == 0) {
      a->reuse_port = 1;
    } else if (strcmp(arg, "--no-sandbox") == 0) {
      a->no_sandbox = 1;
    } else if (arg[0] != '-' && !a->blob) {
      a->blob = arg;
    } else {
      return -1;
    }
  }
  if (a->group && !a->user)
    return -1;
  if (a->reload)
    return a->pidfile ? 0 : -1;
  if (a->trust)
    return a->blob && a->storage ? -1 : 0;
  return a->blob ? 0 : -1;
}

#ifndef ZSRT_NO_NET
/* --verify-key: every blob served, at start and at reload, must carry a
 * valid detached signature (SITE.zsb.sig) by this key */
static int main_check_signature(void *arg, const char *path, const struct blob *b, char *err,
                                size_t err_len)
{
  return blob_sign_verify(arg, path, b, err, err_len);
}

static int main_serve(const struct main_args *a)
{
  struct blob blob = { .fd = -1 };
  char err[512];
  /* a SIGHUP or SIGTERM while the blob loads waits for server_run, which
   * blocks them for good, instead of killing the process */
  sigset_t early;
  sigemptyset(&early);
  sigaddset(&early, SIGHUP);
  sigaddset(&early, SIGTERM);
  sigaddset(&early, SIGINT);
  sigprocmask(SIG_BLOCK, &early, NULL);
  struct blob_sign_key *key = NULL;
  if (a->verify_key && !(key = blob_sign_key_load(a->verify_key, err, sizeof err))) {
    fprintf(stderr, "zsrt: %s\n", err);
    return 1;
  }
  if (blob_open(a->blob, &blob, err, sizeof err) < 0 ||
      (key && blob_sign_verify(key, a->blob, &blob, err, sizeof err) < 0)) {
    fprintf(stderr, "zsrt: %s\n", err);
    blob_close(&blob);
    blob_sign_key_free(key);
    return 1;
  }
  struct server_options opt = { .workers = a->workers, .header_timeout_ms = 10000,
                                .idle_timeout_ms = 60000, .max_body = 10 << 20,
                                .blob_path = a->blob, .reuse_port = a->reuse_port,
                                .pidfile = a->pidfile, .user = a->user, .group = a->group,
                                .no_sandbox = a->no_sandbox, .allow_read = a->allow_read,
                                .allow_read_count = a->allow_read_count,
                                .check_blob = key ? main_check_signature : NULL, .check_arg = key };
  int rc = server_run(&blob, &opt);
  if (rc < 0)
    fprintf(stderr, "zsrt: %s: %s\n", a->blob, strerror(-rc));
  blob_close(&blob);
  blob_sign_key_free(key);
  return rc < 0 ? 1 : 0;
}

/* the pid in the file, when that process is a zsrt (a stale pid file must
 * not signal whatever process now has the number) */
static long main_read_pid(const char *pidfile, char *err, size_t err_len)
{
  FILE *f = fopen(pidfile, "r");
  long pid = 0;
  if (!f || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
    snprintf(err, err_len, "%s: %s", pidfile, f ? "no pid in the file" : strerror(errno));
    if (f)
      fclose(f);
    return -1;
  }
  fclose(f);
  char path[64], comm[64] = "";
  snprintf(path, sizeof path, "/proc/%ld/comm", pid);
  f = fopen(path, "r");
  if (!f || !fgets(comm, sizeof comm, f) || strncmp(comm, "zsrt", 4) != 0) {
    snprintf(err, err_len, "%s: process %ld is not a running zsrt", pidfile, pid);
    if (f)
      fclose(f);
    return -1;
  }
  fclose(f);
  return pid;
}

/* zsrt reload: like `caddy reload`, refuses a bad blob before the server
 * sees it (when SITE.zsb is given), then sends SIGHUP; the server logs the
 * outcome ("admin.api" "load complete" or "request error") */
static int main_reload(const struct main_args *a)
{
  char err[512];
  if (a->blob) {
    struct blob blob = { .fd = -1 };
    struct blob_sign_key *key = a->verify_key ? blob_sign_key_load(a->verify_key, err, sizeof err) : NULL;
    int bad = (a->verify_key && !key) || blob_open(a->blob, &blob, err, sizeof err) < 0 ||
              (key && blob_sign_verify(key, a->blob, &blob, err, sizeof err) < 0);
    blob_close(&blob);
    blob_sign_key_free(key);
    if (bad) {
      fprintf(stderr, "zsrt reload: %s\n", err);
      return 1;
    }
  }
  long pid = main_read_pid(a->pidfile, err, sizeof err);
  if (pid < 0 || kill((pid_t)pid, SIGHUP) != 0) {
    fprintf(stderr, "zsrt reload: %s\n", pid < 0 ? err : strerror(errno));
    return 1;
  }
  return 0;
}

/* zsrt trust: as `caddy trust`, the local CA's root (created in the storage
 * when it is not there yet) goes into the system trust store; untrust
 * removes it. The storage is --storage, the blob's, or Caddy's default. */
static int main_trust(const struct main_args *a)
{
  char err[512] = "", storage[4096], cmd[600] = "";
  struct blob blob = { .fd = -1 };
  if (a->blob && blob_open(a->blob, &blob, err, sizeof err) < 0) {
    fprintf(stderr, "zsrt trust: %s\n", err);
    return 1;
  }
  if (a->storage)
    snprintf(storage, sizeof storage, "%s", a->storage);
  else
    storage_root(&blob, storage, sizeof storage);
  const char *name = blob.config && blob.config->tls_app_count ? blob_string(&blob, blob.tls_apps[0].ca_name_str) : "";
  struct tls_ca_config cfg = { .storage = storage, .id = "local", .name = name[0] ? name : NULL };
  struct tls_ca ca;
  struct tls_trust_target target = { 0 };
  int rc = tls_ca_open(&ca, &cfg, (int64_t)time(NULL), err, sizeof err);
  blob_close(&blob);
  if (rc == 0) {
    rc = a->trust > 0 ? tls_ca_install_trust(&ca, &target, cmd, sizeof cmd, err, sizeof err)
                      : tls_ca_uninstall_trust(&ca, &target, cmd, sizeof cmd, err, sizeof err);
    tls_ca_close(&ca);
  }
  if (rc < 0) {
    fprintf(stderr, "zsrt %s: %s\n", a->trust > 0 ? "trust" : "untrust", err);
    return 1;
  }
  printf("%s: %s\n", storage, cmd);
  return 0;
}
#endif

#ifndef ZSRT_NO_NET
/* `zsrt certs ...` runs zsrt-acme, installed next to zsrt: the ACME client
 * and its account key live in a process of their own, with their own TLS
 * library (docs/acme.md) */
static int main_certs(int argc, char **argv)
{
  char path[4200];
  int rc = cert_manager_path(path, sizeof path);
  if (rc < 0) {
    fprintf(stderr, "zsrt certs: cannot find zsrt's own path: %s\n", strerror(-rc));
    return 1;
  }
  argv[1] = path;
  execv(path, argv + 1);
  fprintf(stderr, "zsrt certs: cannot run %s: %s\n", path, strerror(errno));
  (void)argc;
  return 1;
}
#endif

int main(int argc, char **argv)
{
  struct main_args a = { 0 };
#ifndef ZSRT_NO_NET
  if (argc > 1 && strcmp(argv[1], "certs") == 0)
    return main_certs(argc, argv);
#endif
  int rc = main_parse(argc, argv, &a);
  if (rc != 0)
    return rc > 0 ? 0 : main_usage(stderr, 2);
#ifndef ZSRT_NO_NET
  if (a.request)
    return run_request_main(a.request, a.port, a.blob, stdout, auth_verify);
#else
  if (a.request)
    return run_request_main(a.request, a.port, a.blob, stdout, NULL);
#endif
#ifndef ZSRT_NO_NET
  if (a.reload)
    return main_reload(&a);
  if (a.trust)
    return main_trust(&a);
  return main_serve(&a);
#else
  fprintf(stderr, "zsrt: this build only supports --run-request\n");
  return 2;
#endif
}
