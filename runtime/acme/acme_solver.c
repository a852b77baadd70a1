/* HTTP-01 as certmagic's distributed solver: the key authorization is
 * published in storage (acme/<issuer>/challenge_tokens/<name>.json,
 * an acme.Challenge object), and whoever serves the name answers
 * /.well-known/acme-challenge/<token> from there. The standalone answerer
 * here is a child process on 127.0.0.1 (SO_REUSEPORT: several obtainers
 * share the port, and any of them can answer any name's token). */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "acme.h"

#define ACME_SOLVER_PREFIX "/.well-known/acme-challenge/"

int acme_solver_publish_as(const struct acme_store *s, const char *type, const char *name, const char *token,
                           const char *key_auth)
{
  char path[4096];
  json_t *chal = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "type", type, "status", "pending", "token",
                           token, "keyAuthorization", key_auth, "identifier", "type", "dns", "value", name);
  char *text = chal ? json_dumps(chal, JSON_COMPACT) : NULL;
  json_decref(chal);
  int rc = text ? acme_store_token_path(s, name, path, sizeof path) : -ENOMEM;
  if (rc == 0)
    rc = acme_store_write(path, text, strlen(text), 0644);
  free(text);
  return rc;
}

int acme_solver_publish(const struct acme_store *s, const char *name, const char *token, const char *key_auth)
{
  return acme_solver_publish_as(s, "http-01", name, token, key_auth);
}

void acme_solver_unpublish(const struct acme_store *s, const char *name)
{
  char path[4096];
  if (acme_store_token_path(s, name, path, sizeof path) == 0)
    unlink(path);
}

/* the key authorization for token at host, from storage; NULL if none */
static char *acme_solver_lookup(const struct acme_store *s, const char *host, const char *token)
{
  char path[4096], *text = NULL, *out = NULL;
  size_t len;
  if (acme_store_token_path(s, host, path, sizeof path) < 0 || acme_store_read(path, &text, &len) < 0)
    return NULL;
  json_t *chal = json_loadb(text, len, 0, NULL);
  const char *t = json_string_value(json_object_get(chal, "token"));
  const char *ka = json_string_value(json_object_get(chal, "keyAuthorization"));
  if (t && ka && strcmp(t, token) == 0)
    out = strdup(ka);
  json_decref(chal);
  free(text);
  return out;
}

/* "GET <path> HTTP/1.x" and the Host header (without its port) */
static int acme_solver_parse(char *req, char **target, char *host, size_t cap)
{
  char *sp = strchr(req, ' ');
  if (strncmp(req, "GET ", 4) != 0 || !sp)
    return -1;
  *target = sp + 1;
  char *end = strchr(*target, ' ');
  if (!end)
    return -1;
  *end = '\0';
  for (char *line = strstr(end + 1, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "Host:", 5) != 0)
      continue;
    char *v = line + 7;
    while (*v == ' ')
      v++;
    size_t n = strcspn(v, ":\r\n");
    snprintf(host, cap, "%.*s", (int)n, v);
    return 0;
  }
  return -1;
}

static void acme_solver_answer(const struct acme_store *s, int fd)
{
  char req[8192], host[512], resp[1024];
  size_t got = 0;
  ssize_t n;
  while (got < sizeof req - 1 && (n = read(fd, req + got, sizeof req - 1 - got)) > 0) {
    got += (size_t)n;
    req[got] = '\0';
    if (strstr(req, "\r\n\r\n"))
      break;
  }
  req[got] = '\0';
  char *target = NULL, *ka = NULL;
  if (acme_solver_parse(req, &target, host, sizeof host) == 0 &&
      strncmp(target, ACME_SOLVER_PREFIX, strlen(ACME_SOLVER_PREFIX)) == 0)
    ka = acme_solver_lookup(s, host, target + strlen(ACME_SOLVER_PREFIX));
  int len = ka ? snprintf(resp, sizeof resp,
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                          strlen(ka), ka)
               : snprintf(resp, sizeof resp, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  if (send(fd, resp, (size_t)len, MSG_NOSIGNAL) < 0) {
    /* the validator went away; nothing to do */
  }
  free(ka);
}

static void acme_solver_serve(const struct acme_store *s, int lfd)
{
  struct timeval tv = { .tv_sec = 5 };
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR)
        continue;
      _exit(1);
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    acme_solver_answer(s, fd);
    close(fd);
  }
}

int acme_solver_start(const struct acme_store *s, int port, char *err, size_t errcap)
{
  int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0) {
    int e = errno;
    acme_err(err, errcap, "cannot answer HTTP-01 on 127.0.0.1:%d: %s", port, strerror(e));
    if (fd >= 0)
      close(fd);
    return -e;
  }
  pid_t parent = getpid(), pid = fork();
  if (pid == 0) {
    /* never outlive the obtainer, even when it is killed */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(0);
    acme_solver_serve(s, fd);
    _exit(0);
  }
  close(fd);
  if (pid < 0) {
    acme_err(err, errcap, "cannot start the HTTP-01 answerer: %s", strerror(errno));
    return -errno;
  }
  return (int)pid;
}

void acme_solver_stop(int pid)
{
  if (pid <= 0)
    return;
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}
