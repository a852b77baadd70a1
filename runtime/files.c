/* file_server: resolving the request path under the root with no way out of
 * it (path cleaned, then opened with RESOLVE_BENEATH so neither ".." nor a
 * symlink can leave the root), index files, Caddy's trailing-slash redirects,
 * and the headers Go's ServeContent sends. Conditional and range requests
 * are in files_cond.c. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "files_browse.h"
#include "files_cache.h"
#include "encode.h"
#include "files_cond.h"
#include "loader.h"

#define FILES_PATH_MAX 4096

static const char *const files_default_index[] = { "index.html", "index.txt", NULL };

int files_clean_path(const char *path, size_t len, char *out, size_t cap)
{
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && path[j] != '/')
      j++;
    size_t seg = j - i;
    if (seg == 2 && path[i] == '.' && path[i + 1] == '.') {
      while (n > 0 && out[n - 1] != '/')
        n--;
      if (n > 0)
        n--;            /* drop the separator before the removed segment */
    } else if (seg > 0 && !(seg == 1 && path[i] == '.')) {
      if (n + (n > 0) + seg >= cap)
        return -ENAMETOOLONG;
      if (n > 0)
        out[n++] = '/';
      memcpy(out + n, path + i, seg);
      n += seg;
    }
    i = j + 1;
  }
  if (n > 0 && len > 0 && path[len - 1] == '/') {
    if (n + 1 >= cap)
      return -ENAMETOOLONG;
    out[n++] = '/';
  }
  out[n] = '\0';
  return (int)n;
}

/* the first row of [lo, hi) whose extension is >= ext, or whose flags are
 * set when ext is NULL (the lower-cased rows follow the others) */
static size_t files_mime_bound(const struct zs_mime *rows, const struct blob *blob, size_t lo, size_t hi,
                               const char *ext)
{
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int before = ext ? strcmp(blob_string(blob, rows[mid].ext_str), ext) < 0 : !(rows[mid].flags & ZS_MIME_LOWER);
    if (before)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static const char *files_mime_find(const struct blob *blob, size_t lo, size_t hi, const char *ext)
{
  size_t i = files_mime_bound(blob->mimes, blob, lo, hi, ext);
  return i < hi && strcmp(blob_string(blob, blob->mimes[i].ext_str), ext) == 0
           ? blob_string(blob, blob->mimes[i].type_str) : NULL;
}

/* Go's mime.TypeByExtension(filepath.Ext(name)): as written, then lower-cased */
const char *files_mime_type(const struct blob *blob, const char *name)
{
  const char *slash = strrchr(name, '/');
  const char *dot = strrchr(slash ? slash + 1 : name, '.');
  size_t count = blob->config ? blob->config->mime_count : 0;
  if (!dot || count == 0 || strlen(dot) >= 64)
    return NULL;
  size_t split = files_mime_bound(blob->mimes, blob, 0, count, NULL);
  const char *type = files_mime_find(blob, 0, split, dot);
  if (type)
    return type;
  char lower[64];
  size_t n = 0;
  for (; dot[n]; n++)
    lower[n] = dot[n] >= 'A' && dot[n] <= 'Z' ? (char)(dot[n] - 'A' + 'a') : dot[n];
  lower[n] = '\0';
  return files_mime_find(blob, split, count, lower);
}

/* openat without following any symlink, component by component: the
 * fallback for kernels without openat2 (stricter: no symlinks at all) */
static int files_open_walk(int rootfd, const char *rel)
{
  char buf[FILES_PATH_MAX];
  snprintf(buf, sizeof buf, "%s", rel);
  int dirfd = dup(rootfd);
  char *save = NULL;
  for (char *seg = strtok_r(buf, "/", &save); seg && dirfd >= 0; seg = strtok_r(NULL, "/", &save)) {
    int fd = openat(dirfd, seg, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    int err = errno;
    close(dirfd);
    dirfd = fd;
    errno = err;
  }
  return dirfd;
}

/* opens rel ("" = the root itself) beneath rootfd; -errno on failure,
 * -EXDEV for a path that would leave the root */
static int files_open_beneath(int rootfd, const char *rel)
{
  struct open_how how = {
    .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
  };
  const char *name = rel[0] ? rel : ".";
  long fd = syscall(SYS_openat2, rootfd, name, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS)
    fd = files_open_walk(rootfd, name);
  return fd < 0 ? -errno : (int)fd;
}

/* the status Caddy answers for a failed stat/open */
static int files_error_status(int err)
{
  switch (err) {
  case -ENOENT: case -ENOTDIR: case -EXDEV: case -ELOOP: case -ENAMETOOLONG: return 404;
  case -EACCES: case -EPERM: return 403;
  default: return 500;
  }
}

struct files_target {
  int fd;
  struct stat st;
  char rel[FILES_PATH_MAX];      /* resolved path under the root */
  int implicit_index;            /* a directory answered by its index file */
};

static const char *files_next_index(const struct blob *blob, const struct zs_file_server *rec,
                                    unsigned i, uint32_t *cursor)
{
  if (blob_string(blob, rec->index_str)[0] == '\0')
    return files_default_index[i];
  const char *name = blob_string(blob, *cursor);
  *cursor += (uint32_t)strlen(name) + 1;
  return name[0] ? name : NULL;
}

/* a directory: the first index name that exists replaces it */
static void files_try_index(int rootfd, const char *root, const struct blob *blob,
                            const struct zs_file_server *rec, struct files_target *t)
{
  uint32_t cursor = rec->index_str;
  size_t base = strlen(t->rel);
  const char *name;
  for (unsigned i = 0; (name = files_next_index(blob, rec, i, &cursor)) != NULL; i++) {
    char path[FILES_PATH_MAX];
    int n = snprintf(path, sizeof path, "%.*s%s%s", (int)base, t->rel,
                     base && t->rel[base - 1] != '/' ? "/" : "", name);
    if (n < 0 || (size_t)n >= sizeof path || strchr(name, '/') || files_hidden(blob, rec, root, path))
      continue;
    int fd = files_open_beneath(rootfd, path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
      if (fd >= 0)
        close(fd);
      continue;
    }
    close(t->fd);
    t->fd = fd;
    t->st = st;
    memcpy(t->rel, path, (size_t)n + 1);
    t->implicit_index = 1;
    return;
  }
}

/* Go's path.Base */
static void files_base(const char *p, size_t n, const char **base, size_t *len)
{
  while (n > 1 && p[n - 1] == '/')
    n--;
  size_t start = n;
  while (start > 0 && p[start - 1] != '/')
    start--;
  if (n == 0) {
    *base = ".";
    *len = 1;
  } else if (n == 1 && p[0] == '/') {
    *base = "/";
    *len = 1;
  } else {
    *base = p + start;
    *len = n - start;
  }
}

static void files_put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
  if (len > cap - 1 - *n)
    len = cap - 1 - *n;
  memcpy(out + *n, s, len);
  *n += len;
  out[*n] = '\0';
}

/* Go's http.Redirect with 308: the target cleaned (trailing slash kept),
 * bytes >= 0x80 hex-escaped in Location, and a short HTML body for GET */
static void files_redirect(const struct http_request *req, const char *to, size_t len,
                           struct response *out)
{
  while (len >= 2 && to[0] == '/' && to[1] == '/')
    to++, len--;                 /* Caddy: no protocol-relative open redirects */
  char clean[FILES_PATH_MAX], loc[3 * FILES_PATH_MAX], body[6 * FILES_PATH_MAX];
  clean[0] = '/';
  int n = files_clean_path(to, len, clean + 1, sizeof clean - 1);
  if (n < 0)
    n = 0;
  size_t ln = 0, bn = 0;
  for (int i = 0; i < n + 1; i++) {
    unsigned char ch = (unsigned char)clean[i];
    char hex[4];
    snprintf(hex, sizeof hex, "%%%x", ch);
    files_put(loc, sizeof loc, &ln, ch >= 0x80 ? hex : (const char *)&clean[i], ch >= 0x80 ? strlen(hex) : 1);
  }
  files_put(body, sizeof body, &bn, "<a href=\"", 9);
  for (int i = 0; i < n + 1; i++) {
    static const char *const esc[] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&#34;", ['\''] = "&#39;" };
    unsigned char ch = (unsigned char)clean[i];
    const char *e = ch < sizeof esc / sizeof esc[0] ? esc[ch] : NULL;
    files_put(body, sizeof body, &bn, e ? e : &clean[i], e ? strlen(e) : 1);
  }
  static const char tail[] = "\">Permanent Redirect</a>.\n\n";
  files_put(body, sizeof body, &bn, tail, sizeof tail - 1);
  out->status = 308;
  const char *l = response_keep(out, loc, ln);
  if (l)
    response_header_set(out, "Location", 8, l, ln);
  int get = req->method_len == 3 && memcmp(req->method, "GET", 3) == 0;
  int head = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
  if (get || head)
    response_header_set(out, "Content-Type", 12, "text/html; charset=utf-8", 24);
  const char *b = get ? response_keep(out, body, bn) : NULL;
  if (b) {
    out->body = b;
    out->body_len = bn;
  }
}

/* Caddy redirects /dir to /dir/ (index file) and /file/ to /file, unless the
 * last path element was rewritten; returns 1 when it does */
static int files_canonical_redirect(const struct zs_file_server *rec, const struct exec_decision *dec,
                                    const struct http_request *req, const struct files_target *t,
                                    struct response *out)
{
  if ((rec->flags & ZS_FILE_NO_CANONICAL) && S_ISREG(t->st.st_mode))
    return 0;             /* browse redirects a directory to its slash all the same */
  const char *ob, *cb;
  size_t obl, cbl;
  files_base(dec->orig_path, dec->orig_path_len, &ob, &obl);
  files_base(dec->path, dec->path_len, &cb, &cbl);
  if (obl != cbl || memcmp(ob, cb, obl) != 0)
    return 0;
  int slash = dec->orig_path_len > 0 && dec->orig_path[dec->orig_path_len - 1] == '/';
  if (t->implicit_index == slash)
    return 0;
  char to[FILES_PATH_MAX];
  int n = snprintf(to, sizeof to, "%.*s%s", (int)(dec->orig_path_len - (slash ? 1 : 0)),
                   dec->orig_path, slash ? "" : "/");
  if (n < 0 || (size_t)n >= sizeof to)
    return 0;
  files_redirect(req, to, (size_t)n, out);
  return 1;
}

static int files_set_headers(struct response *out, const char *etag, const char *last_modified, const char *type);

static int files_add_headers(const struct blob *blob, const struct files_target *t, struct response *out)
{
  char etag[64], date[30];
  files_cond_etag(&t->st, etag, sizeof etag);
  response_format_date(t->st.st_mtim.tv_sec, date);
  return files_set_headers(out, etag, date, files_mime_type(blob, t->rel));
}

/* the sidecar encodings the request accepts, best first, precompressed_order
 * as the server's preference (Caddy's AcceptedEncodings) */
static size_t files_sidecars(const struct blob *blob, const struct zs_file_server *rec,
                             const struct http_request *req, const char **names, unsigned *order)
{
  size_t n = blob_list(blob, rec->precompressed_str, names, 3);
  if (n == 0 || n > 3)
    return 0;
  struct encode_offer o = {.names = names, .count = n, .prefer = names, .prefer_count = n};
  return encode_accepted(req, &o, order, 3);
}

static const char *files_sidecar_suffix(const char *name)
{
  return !strcmp(name, "br") ? ".br" : !strcmp(name, "gzip") ? ".gz" : ".zst";
}

/* the sidecar's own ETag, the encoding, Vary (Caddy's precompressed branch) */
static int files_sidecar_headers(struct response *out, const struct stat *st, const char *name)
{
  char etag[64];
  files_cond_etag(st, etag, sizeof etag);
  const char *e = response_keep(out, etag, strlen(etag));
  if (!e || response_header_set(out, "Etag", 4, e, strlen(e)) < 0 ||
      response_header_set(out, "Content-Encoding", 16, name, strlen(name)) < 0 ||
      response_header_add(out, "Vary", 4, "Accept-Encoding", 15) < 0)
    return -ENOSPC;
  out->precompressed = 1;
  return 0;
}

/* precompressed: the first accepted sidecar (name + .br/.gz/.zst) that is a
 * regular file is served instead, with the file's own modification time
 * and Content-Type; 0 (whether one was found or not) or -ENOSPC */
static int files_precompressed(const char *root, const struct blob *blob, const struct zs_file_server *rec,
                               const struct http_request *req, struct files_target *t, struct response *out)
{
  const char *names[3];
  unsigned order[3];
  size_t k = files_sidecars(blob, rec, req, names, order);
  int rootfd = k ? open(root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  int rc = 0;
  for (size_t i = 0; rootfd >= 0 && i < k; i++) {
    const char *name = names[order[i]];
    char rel[FILES_PATH_MAX + 8];
    snprintf(rel, sizeof rel, "%s%s", t->rel, files_sidecar_suffix(name));
    int fd = files_open_beneath(rootfd, rel);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
      close(fd);
      fd = -1;
    }
    if (fd < 0)
      continue;
    rc = files_sidecar_headers(out, &st, name);
    close(rc < 0 ? fd : t->fd);
    if (rc == 0) {
      t->fd = fd;
      t->st.st_size = st.st_size;   /* ServeContent: the sidecar's bytes, the file's time */
    }
    break;
  }
  if (rootfd >= 0)
    close(rootfd);
  return rc;
}

static int files_resolve(int rootfd, const char *root, const struct blob *blob,
                         const struct zs_file_server *rec, const struct exec_decision *dec,
                         struct files_target *t)
{
  if (memchr(dec->path, '\0', dec->path_len))
    return -EINVAL;       /* Go's open fails with EINVAL: Caddy answers 500 */
  int n = files_clean_path(dec->path, dec->path_len, t->rel, sizeof t->rel);
  if (n < 0)
    return n;
  if (files_hidden(blob, rec, root, t->rel))
    return -ENOENT;       /* Caddy pretends hidden files do not exist */
  t->fd = files_open_beneath(rootfd, t->rel);
  if (t->fd < 0)
    return t->fd;
  if (fstat(t->fd, &t->st) < 0)
    return -errno;
  if (S_ISDIR(t->st.st_mode))
    files_try_index(rootfd, root, blob, rec, t);
  if (S_ISDIR(t->st.st_mode) && (rec->flags & ZS_FILE_BROWSE))
    return 1;             /* listed: it needs the trailing slash an index file needs */
  if (S_ISDIR(t->st.st_mode) || !S_ISREG(t->st.st_mode))
    return -ENOENT;       /* without browse a directory without index is not found */
  return 0;
}

static const char *files_root(const struct blob *blob, const struct exec_decision *dec,
                              const struct zs_file_server *rec)
{
  const char *root = dec->root ? dec->root : blob_string(blob, rec->root_str);
  return root[0] ? root : ".";
}

/* the headers of a resolved file, from the cache entry or computed now */
static int files_set_headers(struct response *out, const char *etag, const char *last_modified, const char *type)
{
  const char *e = response_keep(out, etag, strlen(etag));
  const char *d = response_keep(out, last_modified, strlen(last_modified));
  if (!e || !d)
    return -ENOSPC;
  if (type && response_header_set(out, "Content-Type", 12, type, strlen(type)) < 0)
    return -ENOSPC;
  if (response_header_set(out, "Etag", 4, e, strlen(e)) < 0 ||
      response_header_set(out, "Last-Modified", 13, d, strlen(d)) < 0)
    return -ENOSPC;
  return 0;
}

/* a cached file's answer: its bytes from memory, or its descriptor duplicated */
static int files_from_cache(const struct files_cache_entry *e, const struct zs_file_server *rec,
                            const struct exec_decision *dec, const struct http_request *req,
                            const char *root, const char *encoding, struct response *out)
{
  struct files_target t = { .fd = -1, .st = e->st, .implicit_index = e->implicit_index };
  memcpy(t.rel, e->rel, strlen(e->rel) + 1);
  out->file_root = response_keep(out, root, strlen(root));
  out->file_path = response_keep(out, t.rel, strlen(t.rel));
  if (files_canonical_redirect(rec, dec, req, &t, out))
    return 0;
  if (files_set_headers(out, e->etag, e->last_modified, e->content_type[0] ? e->content_type : NULL) < 0)
    return -ENOSPC;
  int fd = e->bytes ? -1 : fcntl(e->fd, F_DUPFD_CLOEXEC, 0);
  if (!e->bytes && fd < 0)
    return -errno;
  int rc = files_cond_serve(req, fd, &e->st, encoding, out);
  if (rc == 0 && e->bytes && out->file_len > 0) {
    out->body = e->bytes + out->file_offset;   /* copied out with the head, before the cache changes */
    out->body_len = (size_t)out->file_len;
  }
  if (e->bytes)
    out->file_fd = -1, out->file_len = 0;
  return rc;
}

/* the folder of root/rel, for the cache's inotify watch */
static void files_dir_of(const char *root, const char *rel, char *out, size_t cap)
{
  const char *slash = strrchr(rel, '/');
  int n = slash ? (int)(slash - rel) : 0;
  snprintf(out, cap, "%s%s%.*s", root, n ? "/" : "", n, rel);
}

/* browse: the directory's listing; one too large to list is a 500 */
static int files_list(const struct blob *blob, const struct zs_file_server *rec, const struct http_request *req,
                      const struct files_target *t, struct response *out)
{
  char url_path[FILES_PATH_MAX + 2];
  size_t n = strlen(t->rel);
  snprintf(url_path, sizeof url_path, "/%.*s", (int)(n && t->rel[n - 1] == '/' ? n - 1 : n), t->rel);
  int rc = files_browse_respond(blob, rec, req, t->fd, url_path, out);
  if (rc == -ENOSPC)
    return rc;
  if (rc < 0)
    out->status = rc == -EACCES ? 403 : rc == -ENOENT ? 404 : 500;
  return 0;
}

int files_respond(const struct blob *blob, const struct exec_decision *dec,
                  const struct http_request *req, struct files_cache *fc, struct response *out)
{
  const struct zs_file_server *rec = &blob->file_servers[dec->action_id];
  const char *root = files_root(blob, dec, rec);
  char key[FILES_CACHE_KEY_MAX], clean[FILES_PATH_MAX];
  int key_len = -1;
  uint64_t now = fc ? exec_clock_ms() : 0;
  size_t range_len = 0;
  const char *range = files_cond_header(req, "Range", &range_len);
  /* a multi-range answer reads its parts from a descriptor: not from a cached file's bytes */
  if (fc && !(range && memchr(range, ',', range_len)) && !memchr(dec->path, '\0', dec->path_len) &&
      files_clean_path(dec->path, dec->path_len, clean, sizeof clean) >= 0)
    key_len = files_cache_key(key, sizeof key, dec->action_id, root, clean);
  /* a sidecar may answer: the cache holds the files themselves */
  const char *names[3];
  unsigned order[3];
  if (files_sidecars(blob, rec, req, names, order))
    key_len = -1;
  struct files_cache_entry *hit = key_len >= 0 ? files_cache_get(fc, key, (size_t)key_len, now) : NULL;
  enum encode_coding coding = dec->encode ? encode_choose(blob, dec->encode - 1, req) : ENCODE_NONE;
  const char *encoding = coding ? encode_name(coding) : NULL;
  int rc;
  if (hit) {
    rc = files_from_cache(hit, rec, dec, req, root, encoding, out);
  } else {
    struct files_target t = { .fd = -1 };
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    rc = rootfd < 0 ? -errno : files_resolve(rootfd, root, blob, rec, dec, &t);
    if (rootfd >= 0)
      close(rootfd);
    out->file_root = response_keep(out, root, strlen(root));
    out->file_path = response_keep(out, t.rel, strlen(t.rel));
    if (rc == 1)
      t.implicit_index = 1;
    if (rc < 0 || files_canonical_redirect(rec, dec, req, &t, out)) {
      if (rc < 0)
        out->status = out->handler_error = files_error_status(rc);
      if (t.fd >= 0)
        close(t.fd);
      return 0;
    }
    if (rc == 1) {
      rc = files_list(blob, rec, req, &t, out);
      close(t.fd);
      return rc;
    }
    if (key_len >= 0) {
      char dir[FILES_PATH_MAX + 8];
      files_dir_of(root, t.rel, dir, sizeof dir);
      files_cache_put(fc, key, (size_t)key_len, t.rel, t.implicit_index, dir, t.fd, &t.st,
                      files_mime_type(blob, t.rel), now);
    }
    if (files_add_headers(blob, &t, out) < 0 || files_precompressed(root, blob, rec, req, &t, out) < 0) {
      close(t.fd);
      return -ENOSPC;
    }
    rc = files_cond_serve(req, t.fd, &t.st, encoding, out);
  }
  if (rc == 0 && rec->status && out->status == 200)
    out->status = (int)rec->status;
  return rc;
}
