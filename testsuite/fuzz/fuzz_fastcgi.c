/* Fuzz target: the FastCGI record stream and the CGI head. The input (after
 * two bytes that pick piece sizes) is decoded in one piece and in pieces, the
 * way the proxy keeps unconsumed bytes; both runs must agree, every piece must
 * lie in what was consumed, and the STDOUT head parse must agree with each of
 * its prefixes. */
#include "fuzz.h"
#include "runtime/fastcgi.h"

struct fuzz_fcgi {
  int rc, ended;
  size_t out_len, err_len;
  char out[1 << 16], err[1 << 16];
};

/* decodes from a copy of exactly the bytes held, so an over-read trips ASan */
static int fuzz_window(struct fastcgi_stream *s, const uint8_t *p, size_t n, struct fuzz_fcgi *d, size_t *used)
{
  char *copy = malloc(n ? n : 1);
  memcpy(copy, p, n);
  size_t off = 0;
  int rc = 0;
  while (!d->ended) {
    struct fastcgi_piece piece;
    rc = fastcgi_stream_next(s, copy + off, n - off, &piece);
    if (rc < 0)
      break;
    if ((size_t)rc > n - off || (piece.len && (piece.data < copy + off || piece.data + piece.len > copy + off + rc)))
      abort();
    char *dst = piece.type == FASTCGI_STDERR ? d->err + d->err_len : d->out + d->out_len;
    if (piece.len) {
      memcpy(dst, piece.data, piece.len);
      *(piece.type == FASTCGI_STDERR ? &d->err_len : &d->out_len) += piece.len;
    }
    d->ended = piece.type == FASTCGI_END_REQUEST;
    off += (size_t)rc;
  }
  free(copy);
  *used = off;
  return rc == -1 ? -1 : 0;
}

static void fuzz_decode(const uint8_t *p, size_t n, const uint8_t *steps, size_t nsteps, struct fuzz_fcgi *d)
{
  struct fastcgi_stream s = {0};
  size_t start = 0, held = 0, k = 0;
  d->rc = 0, d->ended = 0, d->out_len = d->err_len = 0;
  while (held < n && !d->ended && !d->rc) {
    size_t piece = nsteps ? 1 + (size_t)steps[k++ % nsteps] % 16 : n - held;
    held += piece < n - held ? piece : n - held;
    size_t used;
    d->rc = fuzz_window(&s, p + start, held - start, d, &used);
    start += used;
  }
}

static void fuzz_head(const char *out, size_t len, int at_eof)
{
  static struct fastcgi_head h;
  char *copy = malloc(len ? len : 1);
  memcpy(copy, out, len);
  int whole = fastcgi_parse_head(copy, len, at_eof, &h);
  if (whole > (int)len || (whole >= 0 && h.header_count > HTTP_MAX_HEADERS) || (whole == 0 && (!at_eof || len)))
    abort();
  for (size_t i = 0; whole > 0 && i < h.header_count; i++)
    if (h.headers[i].name < copy || h.headers[i].value + h.headers[i].value_len > copy + whole)
      abort();
  if (whole > 0 && (h.status < 100 || h.status > 999))
    abort();
  for (size_t k = 0; k < len && k < 512; k++) {
    int r = fastcgi_parse_head(copy, k, 0, &h);
    if (whole > 0 && !at_eof && r != ((size_t)whole <= k ? whole : -2))
      abort();                 /* a prefix sees the same head, or asks for more */
  }
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct fuzz_fcgi whole, split;   /* 128 KiB each: not on the stack */
  if (size < 2 || size > sizeof whole.out)
    return 0;
  fuzz_decode(data + 2, size - 2, NULL, 0, &whole);
  fuzz_decode(data + 2, size - 2, data, 2, &split);
  if (whole.rc != split.rc || whole.ended != split.ended || whole.out_len != split.out_len ||
      whole.err_len != split.err_len || memcmp(whole.out, split.out, whole.out_len) != 0 ||
      memcmp(whole.err, split.err, whole.err_len) != 0)
    abort();
  if (!whole.rc)
    fuzz_head(whole.out, whole.out_len, whole.ended);
  return 0;
}
