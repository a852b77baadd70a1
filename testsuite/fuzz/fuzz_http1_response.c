/* Fuzz target: the upstream response-head parser. The first byte says whether
 * the request was HEAD; the rest is the response. Same contract checks as the
 * request target: slices inside the head, prefixes give "need more" or the
 * whole's error. */
#include "fuzz.h"
#include "runtime/http1.h"

static void fuzz_check_response(const char *buf, int r, int head_request, const struct http1_response *resp)
{
  size_t len = (size_t)r;
  if (resp->head_len != len || resp->header_count > HTTP_MAX_HEADERS || resp->status < 100 ||
      resp->status > 999 || !fuzz_slice_inside(resp->reason, resp->reason_len, buf, len))
    abort();
  if (resp->body < HTTP1_BODY_NONE || resp->body > HTTP1_BODY_CLOSE || (head_request && resp->body != HTTP1_BODY_NONE))
    abort();
  for (size_t i = 0; i < resp->header_count; i++) {
    const struct http_header *h = &resp->headers[i];
    if (h->name_len == 0 || !fuzz_slice_inside(h->name, h->name_len, buf, len) ||
        !fuzz_slice_inside(h->value, h->value_len, buf, len))
      abort();
  }
}

static void fuzz_check_prefix(const uint8_t *data, size_t n, int head_request, int whole)
{
  char *copy = malloc(n ? n : 1);
  memcpy(copy, data, n);
  struct http1_response resp;
  int r = http1_parse_response(copy, n, head_request, &resp);
  free(copy);
  if (r != HTTP1_ERR_MORE && (whole > 0 || r != whole))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int head_request = data[0] & 1;
  const uint8_t *msg = data + 1;
  size_t len = size - 1;
  struct http1_response resp;
  int r = http1_parse_response((const char *)msg, len, head_request, &resp);
  if (r > 0) {
    if ((size_t)r > len)
      abort();
    fuzz_check_response((const char *)msg, r, head_request, &resp);
    fuzz_check_prefix(msg, (size_t)r - 1, head_request, r);
  }
  size_t cut = (data[0] >> 1) % (len + 1);
  if (r != HTTP1_ERR_MORE && (r < 0 || cut < (size_t)r))
    fuzz_check_prefix(msg, cut, head_request, r);
  return 0;
}
