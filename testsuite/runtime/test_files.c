/* file_server tests on a temporary tree: nothing outside the root is reachable
 * (.., encoded .. after decoding, symlinks leaving the root), index files,
 * Caddy's trailing-slash redirects, MIME types, ETag, 304 and ranges. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "runtime/exec.h"
#include "runtime/files.h"
#include "runtime/files_cond.h"
#include "runtime/loader.h"
#include "runtime/response.h"

static char root[128];
static struct blob blob;
static struct zs_file_server record;
static char pool[1024];
static size_t pool_used = 1;
static struct zs_mime mimes[9];
static struct zs_config_header config;
static struct exec_decision dec;
static struct http_request req;
static struct response resp;

/* serves path (orig: the path as sent, NULL = the same) with extra headers */
static int serve(const char *method, const char *orig, const char *path, const char *hname,
                 const char *hvalue)
{
  if (resp.file_fd >= 0)
    close(resp.file_fd);
  dec.action = ZS_ACT_FILE;
  dec.path = (char *)path;
  dec.path_len = strlen(path);
  dec.orig_path = orig ? orig : path;
  dec.orig_path_len = strlen(dec.orig_path);
  req = (struct http_request){ .method = method, .method_len = strlen(method), .version_minor = 1 };
  if (hname) {
    req.headers[0] = (struct http_header){ hname, strlen(hname), hvalue, strlen(hvalue) };
    req.header_count = 1;
  }
  response_init(&resp, 200);
  CHECK(files_respond(&blob, &dec, &req, NULL, &resp) == 0);
  return resp.status;
}

static int header_is(const char *name, const char *value)
{
  const struct response_header *h = response_header_get(&resp, name);
  return value ? h && h->value_len == strlen(value) && memcmp(h->value, value, h->value_len) == 0 : !h;
}

static void test_containment(void)
{
  CHECK(serve("GET", NULL, "/../../../etc/passwd", NULL, NULL) == 404);
  CHECK(serve("GET", NULL, "/sub/../../../etc/hostname", NULL, NULL) == 404);
  CHECK(serve("GET", NULL, "/../a.txt", NULL, NULL) == 200 && strcmp(resp.file_path, "a.txt") == 0);
  char via_dir[256];
  snprintf(via_dir, sizeof via_dir, "/outdir/%s", strrchr(root, '/') + 1);
  strcat(via_dir, "-secret");
  CHECK(serve("GET", NULL, "/out", NULL, NULL) == 404);              /* absolute symlink out */
  CHECK(serve("GET", NULL, "/outrel", NULL, NULL) == 404);           /* ../ symlink out */
  CHECK(serve("GET", NULL, via_dir, NULL, NULL) == 404);             /* through a dir symlink */
  CHECK(serve("GET", NULL, "/inlink", NULL, NULL) == 200);           /* symlink inside the root */
  CHECK(resp.file_len == 6);
  static const char nul_path[] = "/a.txt\0x";
  dec.path_len = 0;
  resp.file_fd = -1;
  dec.path = (char *)nul_path;
  dec.path_len = sizeof nul_path - 1;
  dec.orig_path = dec.path;
  dec.orig_path_len = dec.path_len;
  response_init(&resp, 200);
  CHECK(files_respond(&blob, &dec, &req, NULL, &resp) == 0 && resp.status == 500);
  CHECK(resp.file_fd == -1);
}

static void test_index_and_redirects(void)
{
  CHECK(serve("GET", NULL, "/", NULL, NULL) == 200 && strcmp(resp.file_path, "index.html") == 0);
  CHECK(header_is("Content-Type", "text/html; charset=utf-8"));
  CHECK(serve("GET", NULL, "/sub", NULL, NULL) == 308 && header_is("Location", "/sub/"));
  CHECK(resp.body_len == 41 && memcmp(resp.body, "<a href=\"/sub/\">Permanent Redirect</a>.\n\n", 41) == 0);
  CHECK(header_is("Content-Type", "text/html; charset=utf-8") && resp.file_fd == -1);
  CHECK(serve("POST", NULL, "/sub", NULL, NULL) == 308 && resp.body_len == 0 && header_is("Content-Type", NULL));
  CHECK(serve("GET", NULL, "//sub", NULL, NULL) == 308 && header_is("Location", "/sub/"));
  CHECK(serve("GET", NULL, "/index.html/", NULL, NULL) == 404);
  CHECK(serve("GET", NULL, "/a.txt/", NULL, NULL) == 404);
  CHECK(serve("GET", NULL, "/noidx", NULL, NULL) == 404);
  CHECK(serve("GET", NULL, "/noidx/", NULL, NULL) == 404);
  CHECK(serve("GET", NULL, "/missing", NULL, NULL) == 404);
  CHECK(serve("GET", "/x/foo", "/sub", NULL, NULL) == 200);           /* last element rewritten */
  CHECK(strcmp(resp.file_path, "sub/index.html") == 0);
  CHECK(serve("GET", "/api/sub", "/sub", NULL, NULL) == 308 && header_is("Location", "/api/sub/"));
  CHECK(serve("GET", "/caf\xc3\xa9", "/caf\xc3\xa9", NULL, NULL) == 308);
  CHECK(header_is("Location", "/caf%c3%a9/"));
  dec.root = root;                                                    /* the root variable wins */
  CHECK(serve("GET", NULL, "/sub/", NULL, NULL) == 200);
  dec.root = NULL;
}

static void test_headers(void)
{
  struct stat st;
  char p[256], etag[64];
  snprintf(p, sizeof p, "%s/a.json", root);
  stat(p, &st);
  files_cond_etag(&st, etag, sizeof etag);
  CHECK(serve("HEAD", NULL, "/a.json", NULL, NULL) == 200);
  CHECK(header_is("Content-Type", "application/json") && header_is("Etag", etag));
  CHECK(header_is("Accept-Ranges", "bytes") && header_is("Content-Length", "8") && resp.file_len == 8);
  CHECK(etag[0] == '"' && strlen(etag) > 3 && response_header_get(&resp, "Last-Modified"));
  CHECK(serve("GET", NULL, "/a.json", "If-None-Match", etag) == 304 && resp.file_fd == -1);
  CHECK(header_is("Etag", etag) && header_is("Content-Type", NULL) && header_is("Last-Modified", NULL));
  CHECK(header_is("Accept-Ranges", NULL) && header_is("Content-Length", NULL));
  char weak[80];
  snprintf(weak, sizeof weak, "\"x\", W/%s", etag);
  CHECK(serve("GET", NULL, "/a.json", "If-None-Match", weak) == 304);
  CHECK(serve("GET", NULL, "/a.json", "If-None-Match", "\"other\"") == 200);
  CHECK(serve("PUT", NULL, "/a.json", "If-None-Match", "*") == 412);
  CHECK(serve("GET", NULL, "/a.json", "If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT") == 304);
  CHECK(serve("GET", NULL, "/a.json", "If-Modified-Since", "Thu, 01 Jan 1970 00:00:01 GMT") == 200);
  CHECK(serve("GET", NULL, "/a.json", "Range", "bytes=1-2") == 206);
  CHECK(header_is("Content-Range", "bytes 1-2/8") && header_is("Content-Length", "2"));
  CHECK(resp.file_offset == 1 && resp.file_len == 2);
  CHECK(serve("GET", NULL, "/a.json", "Range", "bytes=-3") == 206 && resp.file_offset == 5);
  CHECK(serve("GET", NULL, "/a.json", "Range", "bytes=8-") == 416 && header_is("Content-Range", "bytes */8"));
  CHECK(serve("GET", NULL, "/a.json", "Range", "bytes=0-1,3-4") == 206 && resp.part_count == 2);
  CHECK(resp.parts[1].start == 3 && resp.parts[1].len == 2 && strlen(resp.boundary) == 60);
  /* heads of 126 bytes (boundary line 64, Content-Range 28, Content-Type 32, CRLF), 2 + 2 data,
   * CRLF before the second head, the closing "\r\n--B--\r\n" of 68 */
  CHECK(resp.file_len == 126 + 2 + 2 + 126 + 2 + 68);
  CHECK(serve("GET", NULL, "/a.json", "Range", "bytes=0-4,3-7") == 200 && resp.file_len == 8);
  CHECK(serve("GET", NULL, "/a.json", "Range", "bytes=0-1,x") == 416 && header_is("Content-Range", NULL));
  CHECK(serve("GET", NULL, "/a.json", "Range", "bytes=-0") == 206 && header_is("Content-Range", "bytes 8-7/8"));
  CHECK(serve("GET", NULL, "/noext", NULL, NULL) == 200 && header_is("Content-Type", NULL));
}

static void test_helpers(void)
{
  char out[64];
  CHECK(files_clean_path("/a/./b/../c", 11, out, sizeof out) == 3 && strcmp(out, "a/c") == 0);
  CHECK(files_clean_path("/..", 3, out, sizeof out) == 0 && out[0] == '\0');
  CHECK(files_clean_path("//a//b/", 7, out, sizeof out) == 4 && strcmp(out, "a/b/") == 0);
  CHECK(files_clean_path("/", 1, out, sizeof out) == 0);
  CHECK(files_clean_path("a/../../b", 9, out, sizeof out) == 1 && strcmp(out, "b") == 0);
  CHECK(files_clean_path("/aaaaaaaaaa", 11, out, 8) < 0);
  /* Go's two tables: as written (.C and .c differ), then lower-cased */
  CHECK(strcmp(files_mime_type(&blob, "x/y.HTML"), "text/html; charset=utf-8") == 0);
  CHECK(strcmp(files_mime_type(&blob, "a.tar.gz"), "application/gzip") == 0);
  CHECK(strcmp(files_mime_type(&blob, "a.C"), "text/x-c++src; charset=utf-8") == 0);
  CHECK(strcmp(files_mime_type(&blob, "a.c"), "text/x-csrc; charset=utf-8") == 0);
  CHECK(strcmp(files_mime_type(&blob, "a.GZ"), "application/gzip") == 0);
  CHECK(files_mime_type(&blob, "x.nope") == NULL && files_mime_type(&blob, "dir.d/file") == NULL);
  CHECK(files_mime_type(&blob, "x.") == NULL && files_mime_type(&blob, "html") == NULL);
}

static uint32_t pool_put(const char *s)
{
  size_t n = strlen(s) + 1;
  CHECK(pool_used + n <= sizeof pool);
  memcpy(pool + pool_used, s, n);
  pool_used += n;
  return (uint32_t)(pool_used - n);
}

static void put(const char *rel, const char *content)
{
  char p[256];
  snprintf(p, sizeof p, "%s/%s", root, rel);
  int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  CHECK(fd >= 0 && write(fd, content, strlen(content)) == (ssize_t)strlen(content));
  close(fd);
}

static void make_tree(void)
{
  char p[256], outside[256];
  test_tmp_name(root, sizeof root, "files");
  mkdir(root, 0755);
  static const char *const dirs[] = { "sub", "noidx", "caf\xc3\xa9" };
  for (unsigned i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
    mkdir(p, 0755);
  }
  put("index.html", "hello\n");
  put("a.txt", "abc\n");
  put("a.json", "{\"a\":1}\n");
  put("noext", "x");
  put("sub/index.html", "sub\n");
  put("caf\xc3\xa9/index.html", "cafe\n");
  /* a secret beside the root, reachable by symlinks that leave it */
  snprintf(outside, sizeof outside, "%s-secret", root);
  int fd = open(outside, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  CHECK(fd >= 0 && write(fd, "secret", 6) == 6);
  close(fd);
  snprintf(p, sizeof p, "%s/out", root);
  CHECK(symlink(outside, p) == 0);
  char rel[256];
  snprintf(rel, sizeof rel, "../%s", strrchr(outside, '/') + 1);
  snprintf(p, sizeof p, "%s/outrel", root);
  CHECK(symlink(rel, p) == 0);
  fd = open(p, O_RDONLY);              /* the plain file system does reach the secret */
  CHECK(fd >= 0);
  close(fd);
  snprintf(p, sizeof p, "%s/outdir", root);
  CHECK(symlink("..", p) == 0);
  snprintf(p, sizeof p, "%s/inlink", root);
  CHECK(symlink("index.html", p) == 0);
}

int main(void)
{
  make_tree();
  record.root_str = pool_put(root);         /* offset 0: "" */
  static const char *const rows[][3] = {
    { ".C", "text/x-c++src; charset=utf-8", "" }, { ".c", "text/x-csrc; charset=utf-8", "" },
    { ".gz", "application/gzip", "" }, { ".html", "text/html; charset=utf-8", "" },
    { ".json", "application/json", "" }, { ".c", "text/x-c++src; charset=utf-8", "l" },
    { ".gz", "application/gzip", "l" }, { ".html", "text/html; charset=utf-8", "l" },
    { ".json", "application/json", "l" },
  };
  for (unsigned i = 0; i < 9; i++)
    mimes[i] = (struct zs_mime){ pool_put(rows[i][0]), pool_put(rows[i][1]), rows[i][2][0] ? ZS_MIME_LOWER : 0 };
  config.mime_count = 9;
  blob.config = &config;
  blob.mimes = mimes;
  blob.strings = pool;
  blob.strings_size = sizeof pool;
  blob.file_servers = &record;
  resp.file_fd = -1;
  test_containment();
  test_index_and_redirects();
  test_headers();
  test_helpers();
  if (resp.file_fd >= 0)
    close(resp.file_fd);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s-secret'", root, root);
  CHECK(system(cmd) == 0);
  return check_failures ? 1 : 0;
}
