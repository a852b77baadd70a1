/* zsrt --run-request as a process: the stable text form of respond, file,
 * proxy and trap outcomes, and the exit codes for a bad blob (1) and bad
 * usage (2). argv[1] is the zsrt binary. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"

#if defined(__x86_64__)
#include "blob_writer.h"
#include "guest_blob.h"

static const char *zsrt;
static char dir[128], blob[160], req[160], out[8192];

/* runs zsrt with args; stdout into out; returns the exit code */
static int run_zsrt(const char *const *args)
{
  const char *argv[16] = { zsrt };
  for (int i = 0; args[i] && i < 14; i++)
    argv[i + 1] = args[i];
  return test_run_capture(argv, out, sizeof out);
}

static int run_request(const char *raw, const char *port)
{
  int fd = open(req, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0 || write(fd, raw, strlen(raw)) != (ssize_t)strlen(raw))
    return -1;
  close(fd);
  const char *args[] = { "--run-request", req, "--port", port, blob, NULL };
  return run_zsrt(args);
}

static void test_outcomes(void)
{
  CHECK(run_request("GET /x%20y?a=b HTTP/1.1\r\nHost: h\r\n\r\n", "9000") == 0);
  CHECK(strcmp(out, "status 201\nheader Content-Type: text/plain; charset=utf-8\nheader Server: zsrt\n"
                    "header X-A: v1\nheader Content-Length: 10\nbody 10\nhello /x y\n") == 0);
  CHECK(run_request("GET / HTTP/1.1\r\nHost: h\r\n\r\n", "9003") == 0);
  CHECK(strcmp(out, "trap fault\nstatus 500\nheader Server: zsrt\nheader Content-Length: 0\nbody 0\n\n") == 0);
  CHECK(run_request("GET / HTTP/1.1\r\nHost: h\r\n\r\n", "9002") == 0);
  CHECK(strcmp(out, "action proxy 127.0.0.1:9999\nop add x-a: v1\n") == 0);
  CHECK(run_request("GET /nothing HTTP/1.1\r\nHost: h\r\n\r\n", "9001") == 0);
  CHECK(strncmp(out, "action file nothing root ", 25) == 0 && strstr(out, "\nstatus 404\n"));
  CHECK(run_request("GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", "9000") == 0);
  CHECK(strcmp(out, "status 400\nbody 0\n\n") == 0);
  CHECK(run_request("GET / HTTP/1.1\r\nHost: h\r\n\r\n", "1") == 1);
}

static void test_file(void)
{
  char path[192];
  snprintf(path, sizeof path, "%s/hello.html", dir);
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  CHECK(fd >= 0 && write(fd, "<p>hi</p>\n", 10) == 10);
  close(fd);
  struct timespec times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };   /* 2001-09-09T01:46:40Z */
  CHECK(utimensat(AT_FDCWD, path, times, 0) == 0);
  CHECK(run_request("GET /static/hello.html HTTP/1.1\r\nHost: h\r\n\r\n", "9001") == 0);
  char want[768];
  snprintf(want, sizeof want, "action file hello.html root %s\nstatus 200\nheader Accept-Ranges: bytes\n"
           "header Content-Length: 10\nheader Content-Type: text/html; charset=utf-8\n"
           "header Etag: \"gjdgxsa\"\nheader Last-Modified: Sun, 09 Sep 2001 01:46:40 GMT\n"
           "header Server: zsrt\nbody 10\n<p>hi</p>\n\n", dir);
  CHECK(strcmp(out, want) == 0);
}

static void test_exit_codes(void)
{
  const char *none[] = { NULL };
  CHECK(run_zsrt(none) == 2);
  const char *version[] = { "--version", NULL };
  CHECK(run_zsrt(version) == 0 && strncmp(out, "zsrt ", 5) == 0);
  const char *bad_port[] = { "--run-request", req, "--port", "x", blob, NULL };
  CHECK(run_zsrt(bad_port) == 2);
  int fd = open(blob, O_WRONLY);
  CHECK(fd >= 0 && pwrite(fd, "X", 1, 0x10000) == 1);   /* corrupt the code: checksum fails */
  close(fd);
  CHECK(run_request("GET / HTTP/1.1\r\nHost: h\r\n\r\n", "9000") == 1);
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: test_run_request ZSRT\n");
    return 1;
  }
  zsrt = argv[1];
  test_tmp_name(dir, sizeof dir, "rr");
  snprintf(blob, sizeof blob, "%s.zsb", dir);
  snprintf(req, sizeof req, "%s.req", dir);
  mkdir(dir, 0755);
  size_t len;
  unsigned char *bytes = guest_blob_build(dir, dir, &len);
  tb_save(blob, bytes, len);
  free(bytes);
  test_outcomes();
  test_file();
  test_exit_codes();
  char cmd[640];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' '%s'", dir, blob, req);
  CHECK(system(cmd) == 0);
  return check_failures ? 1 : 0;
}
#else
int main(void)
{
  fprintf(stderr, "skip: the guest programs are hand-written x86_64\n");
  return 77;
}
#endif
