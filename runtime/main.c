/* zsrt's command line: serve a blob (zsrt [--workers N] SITE.zsb), or run one
 * request through it (zsrt --run-request FILE [--port N] SITE.zsb). Built with
 * ZSRT_NO_NET (the static aarch64 build) only the second exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_request.h"
#ifndef ZSRT_NO_NET
#include "loader.h"
#include "server.h"
#endif

#define ZSRT_VERSION "0.1.0"

struct main_args {
  const char *blob;
  const char *request;
  int port;
  int workers;
};

static int main_usage(FILE *f, int code)
{
  fprintf(f, "usage: zsrt [--workers N] SITE.zsb\n"
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

/* returns -1 on a usage error, 1 when the program should exit 0 (help, version) */
static int main_parse(int argc, char **argv, struct main_args *a)
{
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
      return main_usage(stdout, 1);
    if (strcmp(arg, "--version") == 0) {
      printf("zsrt %s\n", ZSRT_VERSION);
      return 1;
    }
    if (strcmp(arg, "--run-request") == 0 && next) {
      a->request = argv[++i];
    } else if (strcmp(arg, "--port") == 0 && next) {
      if (main_number(argv[++i], &a->port) < 0)
        return -1;
    } else if (strcmp(arg, "--workers") == 0 && next) {
      if (main_number(argv[++i], &a->workers) < 0)
        return -1;
    } else if (arg[0] != '-' && !a->blob) {
      a->blob = arg;
    } else {
      return -1;
    }
  }
  return a->blob ? 0 : -1;
}

#ifndef ZSRT_NO_NET
static int main_serve(const struct main_args *a)
{
  struct blob blob;
  char err[512];
  if (blob_open(a->blob, &blob, err, sizeof err) < 0) {
    fprintf(stderr, "zsrt: %s\n", err);
    return 1;
  }
  struct server_options opt = { .workers = a->workers, .header_timeout_ms = 10000,
                                .idle_timeout_ms = 60000, .max_body = 10 << 20 };
  int rc = server_run(&blob, &opt);
  if (rc < 0)
    fprintf(stderr, "zsrt: %s: %s\n", a->blob, strerror(-rc));
  blob_close(&blob);
  return rc < 0 ? 1 : 0;
}
#endif

int main(int argc, char **argv)
{
  struct main_args a = { 0 };
  int rc = main_parse(argc, argv, &a);
  if (rc != 0)
    return rc > 0 ? 0 : main_usage(stderr, 2);
  if (a.request)
    return run_request_main(a.request, a.port, a.blob, stdout);
#ifndef ZSRT_NO_NET
  return main_serve(&a);
#else
  fprintf(stderr, "zsrt: this build only supports --run-request\n");
  return 2;
#endif
}
