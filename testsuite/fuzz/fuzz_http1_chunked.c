/* Fuzz target: the streaming chunked decoder. The input is decoded twice, in
 * one piece and then in pieces whose sizes the first bytes pick; both runs
 * must agree on the outcome, the consumed length and every decoded byte. */
#include "fuzz.h"
#include "runtime/http1.h"

struct fuzz_decoded {
  int rc;                      /* 0 done, 1 needs more, or an enum http1_result */
  size_t consumed;
  size_t body_len;
  uint8_t body[1 << 16];
};

/* one call on exactly this piece, in its own buffer so an over-read trips ASan */
static int fuzz_decode_piece(struct http1_chunked *d, const uint8_t *p, size_t n, struct fuzz_decoded *out)
{
  char *copy = malloc(n ? n : 1);
  memcpy(copy, p, n);
  const char *data;
  size_t data_len;
  int r = http1_chunked_decode(d, copy, n, &data, &data_len);
  if (r >= 0 && ((size_t)r > n || (r == 0 && data_len == 0 && !d->done && n > 0) ||
                 (data_len && (data < copy || data + data_len > copy + r))))
    abort();                   /* out of bounds, or no progress on non-empty input */
  if (r >= 0 && data_len) {
    if (out->body_len + data_len > sizeof out->body)
      abort();                 /* more body than input */
    memcpy(out->body + out->body_len, data, data_len);
    out->body_len += data_len;
  }
  free(copy);
  return r;
}

static void fuzz_decode(const uint8_t *p, size_t n, const uint8_t *steps, size_t nsteps, uint64_t max_body,
                        struct fuzz_decoded *out)
{
  struct http1_chunked d = {.max_body = max_body};
  size_t pos = 0, k = 0;
  out->rc = 1;
  while (pos < n && !d.done) {
    size_t piece = nsteps ? 1 + (size_t)steps[k++ % nsteps] % 16 : n - pos;
    if (piece > n - pos)
      piece = n - pos;
    int r = fuzz_decode_piece(&d, p + pos, piece, out);
    if (r < 0) {
      out->rc = r;
      break;
    }
    pos += (size_t)r;
  }
  if (d.done && out->rc == 1)
    out->rc = 0;
  if (d.done && out->rc < 0)
    abort();                   /* an error must not also report the body complete */
  if (d.total != out->body_len)
    abort();
  out->consumed = pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct fuzz_decoded whole, split;   /* 64 KiB each: not on the stack */
  if (size < 4 || size > sizeof whole.body)
    return 0;
  uint64_t max_body = data[0] & 1 ? data[1] : 0;
  whole.body_len = split.body_len = 0;
  fuzz_decode(data + 4, size - 4, NULL, 0, max_body, &whole);
  fuzz_decode(data + 4, size - 4, data + 2, 2, max_body, &split);
  if (whole.rc != split.rc || whole.body_len != split.body_len ||
      memcmp(whole.body, split.body, whole.body_len) != 0 || (whole.rc >= 0 && whole.consumed != split.consumed))
    abort();
  return 0;
}
