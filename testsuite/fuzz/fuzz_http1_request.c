/* Fuzz target: the HTTP/1.1 request-head parser. Beyond not crashing, it holds
 * the parser to its contract: every slice lies inside the head, and a prefix
 * (copied to its own exact-size buffer, so an over-read trips ASan) gives
 * "need more" or the same error as the whole. */
#include "fuzz.h"
#include "runtime/http1.h"

static void fuzz_check_request(const char *buf, int r, const struct http_request *req)
{
  size_t len = (size_t)r;
  if (req->head_len != len || req->header_count > HTTP_MAX_HEADERS || req->method_len == 0 ||
      !fuzz_slice_inside(req->method, req->method_len, buf, len) || !fuzz_slice_inside(req->target, req->target_len, buf, len))
    abort();
  for (size_t i = 0; i < req->header_count; i++) {
    const struct http_header *h = &req->headers[i];
    if (h->name_len == 0 || !fuzz_slice_inside(h->name, h->name_len, buf, len) ||
        !fuzz_slice_inside(h->value, h->value_len, buf, len))
      abort();
  }
}

/* the prefix of n bytes on its own: HTTP1_ERR_MORE, or whole's error */
static void fuzz_check_prefix(const uint8_t *data, size_t n, int whole)
{
  char *copy = malloc(n ? n : 1);
  memcpy(copy, data, n);
  struct http_request req;
  int r = http1_parse_request(copy, n, &req);
  free(copy);
  if (r != HTTP1_ERR_MORE && (whole > 0 || r != whole))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct http_request req;
  int r = http1_parse_request((const char *)data, size, &req);
  if (r > 0) {
    if ((size_t)r > size)
      abort();
    fuzz_check_request((const char *)data, r, &req);
    fuzz_check_prefix(data, (size_t)r - 1, r);
  } else if (r != HTTP1_ERR_MORE) {
    int status = http1_error_status(r);
    if (status < 400 || status > 505)
      abort();
  }
  size_t cut = size ? data[0] % (size + 1) : 0;   /* a split point the input picks */
  if (r != HTTP1_ERR_MORE && (r < 0 || cut < (size_t)r))
    fuzz_check_prefix(data, cut, r);
  return 0;
}
