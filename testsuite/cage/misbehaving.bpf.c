/* An entry that misbehaves on purpose, built with `zsc --bpf-c` in place of
 * the generated code: each path triggers one way of leaving the rules. The
 * cage must turn every one into a 500 while the worker keeps serving. */
#include "zs.h"

static const char greeting[] = "fine";

unsigned long long zs_entry_srv0(const struct zs_req *req)
{
  if (zs_path_is(req, "/loop", ZS_STR_EXACT)) {
    volatile unsigned long long spin = 0;
    for (;;)
      spin++;
  }
  if (zs_path_is(req, "/wild-write", ZS_STR_EXACT))
    *(volatile unsigned long long *)0x40000000ul = 1;       /* unmapped cage page */
  if (zs_path_is(req, "/null-read", ZS_STR_EXACT))
    return *(volatile unsigned long long *)0x8ul;           /* the guard below rodata */
  if (zs_path_is(req, "/rodata-write", ZS_STR_EXACT))
    *(volatile char *)(unsigned long)greeting = 'X';        /* rodata is read-only */
  if (zs_path_is(req, "/request-write", ZS_STR_EXACT))
    *(volatile unsigned int *)(unsigned long)&req->port = 1; /* the request view is read-only */
  if (zs_path_is(req, "/beyond-4g", ZS_STR_EXACT))
    /* 64-bit address arithmetic is cut to 32 bits: this lands inside the
     * window (an unmapped page), never outside it */
    return *(volatile unsigned long long *)0x1000000040000000ul;
  if (zs_path_is(req, "/heap-leak", ZS_STR_EXACT)) {
    /* what one request leaves in the heap must be gone for the next */
    volatile unsigned long long *heap = (volatile unsigned long long *)(unsigned long)ZS_CAGE_HEAP_OFF;
    unsigned long long before = heap[64];
    heap[64] = 0x5eed;
    zs_lit(ZS_BUF_BODY, "heap ");
    zs_lit(ZS_BUF_BODY, greeting);
    zs_resp_status(before ? 500 : 200);
    return ZS_RESPOND;
  }
  if (zs_path_is(req, "/stack-plant", ZS_STR_EXACT)) {
    /* below this entry's frame, inside what one page of stack allows */
    *(volatile unsigned long long *)(unsigned long)(ZS_CAGE_STACK_TOP - 2048) = 0x5ec7e7;
    zs_resp_status(200);
    return ZS_RESPOND;
  }
  if (zs_path_is(req, "/stack-peek", ZS_STR_EXACT)) {
    unsigned long long seen = *(volatile unsigned long long *)(unsigned long)(ZS_CAGE_STACK_TOP - 2048);
    zs_lit(ZS_BUF_BODY, "stack ");
    zs_lit(ZS_BUF_BODY, greeting);
    zs_resp_status(seen ? 500 : 200);
    return ZS_RESPOND;
  }
  if (zs_path_is(req, "/stack-deep", ZS_STR_EXACT))
    /* far below any frame the verifier proved: not the program's to use */
    *(volatile unsigned long long *)(unsigned long)(ZS_CAGE_STACK_OFF + 64) = 0x5ec7e7;
  if (zs_path_is(req, "/view-peek", ZS_STR_EXACT)) {
    /* past the end of this request's small view, where an earlier request's
     * long Cookie lay: it must read as zeros */
    unsigned long long any = 0;
    for (unsigned long off = 8192; off < 65536; off += 8)
      any |= *(volatile unsigned long long *)(unsigned long)(ZS_CAGE_REQ_OFF + off);
    zs_lit(ZS_BUF_BODY, "view ");
    zs_lit(ZS_BUF_BODY, greeting);
    zs_resp_status(any ? 500 : 200);
    return ZS_RESPOND;
  }
  if (zs_path_is(req, "/helper-loop", ZS_STR_PREFIX)) {
    /* each call copies the whole (long) path: one back-edge, eight copies */
    for (;;) {
      zs_var_len(ZS_VAR_path);
      zs_var_len(ZS_VAR_uri);
      zs_var_len(ZS_VAR_path);
      zs_var_len(ZS_VAR_uri);
      zs_var_len(ZS_VAR_path);
      zs_var_len(ZS_VAR_uri);
      zs_var_len(ZS_VAR_path);
      zs_var_len(ZS_VAR_uri);
    }
  }
  zs_lit(ZS_BUF_BODY, greeting);
  zs_resp_status(200);
  return ZS_RESPOND;
}
