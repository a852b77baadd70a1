/* Starting zsrt-acme manage with the blob's issuers and names as arguments,
 * reading its notices, stopping it (cert_manager.h). */
#include "cert_manager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader.h"

#define CERT_MANAGER_FD 3            /* the notify pipe in the child */
#define CERT_MANAGER_MAX_ARGS 4096

int cert_manager_path(char *out, size_t cap)
{
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return -errno;
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  int len = snprintf(out, cap, "%.*s/zsrt-acme", slash ? (int)(slash - self) : 0, self);
  return len < 0 || (size_t)len >= cap ? -ENAMETOOLONG : 0;
}

struct cert_manager_args {
  const char *argv[CERT_MANAGER_MAX_ARGS];
  char nums[CERT_MANAGER_MAX_ARGS][12];
  size_t count;
};

static void cm_arg(struct cert_manager_args *a, const char *s)
{
  if (a->count < CERT_MANAGER_MAX_ARGS - 1)
    a->argv[a->count++] = s;
}

static void cm_num(struct cert_manager_args *a, unsigned long v)
{
  if (a->count >= CERT_MANAGER_MAX_ARGS - 1)
    return;
  snprintf(a->nums[a->count], sizeof a->nums[0], "%lu", v);
  a->argv[a->count] = a->nums[a->count];
  a->count++;
}

/* --storage, --notify-fd, --renew-interval, the issuers, then each name with its issuers */
static int cm_build_args(struct cert_manager_args *a, const struct blob *b, const char *path, const char *storage)
{
  cm_arg(a, path), cm_arg(a, "manage"), cm_arg(a, "--storage"), cm_arg(a, storage);
  cm_arg(a, "--notify-fd"), cm_num(a, CERT_MANAGER_FD);
  unsigned interval = b->config->tls_app_count ? b->tls_apps[0].renew_interval : 0;
  if (interval)
    cm_arg(a, "--renew-interval"), cm_num(a, interval);
  for (unsigned i = 0; i < b->config->acme_issuer_count; i++) {
    const struct zs_acme_issuer *iss = &b->acme_issuers[i];
    const char *roots[1], *email = blob_string(b, iss->email_str);
    cm_arg(a, "--issuer"), cm_arg(a, blob_string(b, iss->ca_str));
    if (iss->flags & (ZS_ACME_NO_HTTP01 | ZS_ACME_NO_TLSALPN01))
      cm_arg(a, "--challenges"), cm_arg(a, (iss->flags & ZS_ACME_NO_HTTP01) ? "tls-alpn-01" : "http-01");
    if (blob_list(b, iss->root_file_str, roots, 1) >= 1)
      cm_arg(a, "--ca-root"), cm_arg(a, roots[0]);
    if (email[0])
      cm_arg(a, "--email"), cm_arg(a, email);
  }
  size_t names = 0;
  for (unsigned i = 0; i < b->config->tls_cert_count; i++) {
    const struct zs_tls_cert *row = &b->tls_certs[i];
    const char *list[64];
    size_t n = (row->flags & ZS_CERT_ACME) ? blob_list(b, row->name_str, list, 64) : 0;
    for (size_t k = 0; k < n && k < 64; k++, names++)
      cm_arg(a, "--name"), cm_arg(a, list[k]), cm_num(a, row->issuer), cm_num(a, row->issuer_count);
  }
  a->argv[a->count] = NULL;
  return a->count < CERT_MANAGER_MAX_ARGS - 1 ? (int)names : -E2BIG;
}

/* the child: the pipe as fd 3, the signals zsrt blocks unblocked, then exec */
static void cm_child(const struct cert_manager_args *a, int wfd)
{
  prctl(PR_SET_PDEATHSIG, SIGTERM);   /* zsrt gone, manager gone */
  if (wfd == CERT_MANAGER_FD)
    fcntl(wfd, F_SETFD, 0);
  else if (dup2(wfd, CERT_MANAGER_FD) < 0)
    _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execv(a->argv[0], (char *const *)a->argv);
  _exit(127);
}

int cert_manager_start(struct cert_manager *m, const struct blob *b, const char *storage, char *err, size_t errcap)
{
  memset(m, 0, sizeof *m);
  m->fd = -1;
  char path[4200];
  struct cert_manager_args *a = calloc(1, sizeof *a);
  int rc = a ? cert_manager_path(path, sizeof path) : -ENOMEM;
  if (rc == 0)
    rc = cm_build_args(a, b, path, storage);
  if (rc <= 0) {
    if (rc < 0)
      snprintf(err, errcap, "cannot prepare the certificate manager: %s", strerror(-rc));
    free(a);
    return rc;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    snprintf(err, errcap, "pipe: %s", strerror(errno));
    free(a);
    return -errno;
  }
  pid_t pid = fork();
  if (pid == 0)
    cm_child(a, fds[1]);
  int saved = errno;
  close(fds[1]);
  free(a);
  if (pid < 0) {
    close(fds[0]);
    snprintf(err, errcap, "cannot start %s: %s", path, strerror(saved));
    return -saved;
  }
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  m->pid = pid;
  m->fd = fds[0];
  return 1;
}

int cert_manager_poll(struct cert_manager *m, char *name, size_t cap)
{
  if (m->fd < 0)
    return 0;
  for (;;) {
    char *nl = memchr(m->line, '\n', m->len);
    if (nl) {
      size_t n = (size_t)(nl - m->line);
      snprintf(name, cap, "%.*s", (int)n, m->line);
      memmove(m->line, nl + 1, m->len - n - 1);
      m->len -= n + 1;
      return 1;
    }
    if (m->len == sizeof m->line)
      m->len = 0;   /* a line longer than any name: dropped */
    ssize_t got = read(m->fd, m->line + m->len, sizeof m->line - m->len);
    if (got > 0) {
      m->len += (size_t)got;
      continue;
    }
    if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
      close(m->fd);
      m->fd = -1;
      return -EPIPE;
    }
    return 0;
  }
}

void cert_manager_stop(struct cert_manager *m)
{
  if (m->pid > 0) {
    kill(m->pid, SIGTERM);
    waitpid(m->pid, NULL, 0);
  }
  if (m->fd >= 0)
    close(m->fd);
  m->pid = 0;
  m->fd = -1;
}
