/* The headers handler: request and response header set/add/delete as
 * resp_header helper calls, and reverse_proxy's header_up/header_down ops the same way. Deferred ops (Caddy applies them when the response is written) are
 * generated into the entry's deferred function and only flagged here. */
#include <assert.h>
#include <string.h>

#include "cg.h"

/* add: each value its own field line; target is "" or " | ZS_HDR_UP" ... */
static void headers_add(struct cg *cg, const struct lowered_field *f, const char *target)
{
  const char *name = cg_cstr(cg, f->name, strlen(f->name));
  for (size_t k = 0; k < f->count; k++) {
    ph_emit(cg, f->values[k].pos, &f->values[k], "ZS_BUF_VALUE");
    emit_stmt(cg, f->values[k].pos, "zs_hdr(ZS_HDR_ADD%s, %s);", target, name);
  }
}

/* set: one line, values joined by "," (Go's Header.Set of strings.Join) */
static void headers_set(struct cg *cg, const struct lowered_field *f, const char *target)
{
  for (size_t k = 0; k < f->count; k++) {
    if (k > 0)
      emit_stmt(cg, f->pos, "zs_lit(ZS_BUF_VALUE, \",\");");
    ph_emit(cg, f->values[k].pos, &f->values[k], "ZS_BUF_VALUE");
  }
  emit_stmt(cg, f->pos, "zs_hdr(ZS_HDR_SET%s, %s);", target, cg_cstr(cg, f->name, strlen(f->name)));
}

/* Caddy's order within one handler: add, then set, then delete, then
 * replace (whose searches are the proxy record's, from first_replace on) */
void cg_header_ops(struct cg *cg, const struct lowered_headers *h, const char *target, unsigned first_replace)
{
  for (size_t i = 0; i < h->add_count; i++)
    headers_add(cg, &h->add[i], target);
  for (size_t i = 0; i < h->set_count; i++)
    headers_set(cg, &h->set[i], target);
  for (size_t i = 0; i < h->delete_count; i++)
    emit_stmt(cg, h->delete_pos[i], "zs_hdr(ZS_HDR_DELETE%s, %s);", target,
              cg_cstr(cg, h->delete_names[i], strlen(h->delete_names[i])));
  for (size_t i = 0; i < h->replace_count; i++) {
    const struct lowered_replace *r = &h->replace[i];
    ph_emit(cg, r->pos, &r->with, "ZS_BUF_VALUE");
    emit_stmt(cg, r->pos, "zs_hdr(ZS_HDR_REPLACE%s | %uu << ZS_HDR_INDEX_SHIFT, %s);", target,
              first_replace + (unsigned)i, cg_cstr(cg, r->name, strlen(r->name)));
  }
}

/* generates the ops apart, to run from the deferred function */
static void headers_defer(struct cg *cg, const struct lowered_handler *h)
{
  assert(cg->deferred_count < CG_MAX_DEFERRED);   /* lowering refused more */
  emit_flush(cg);
  struct strbuf code, *saved = cg->out;
  int saved_line = cg->line, saved_indent = cg->indent;
  strbuf_init(&code, cg->a);
  cg->out = &code;
  cg->line = 0;
  cg->indent = 2;
  const struct lowered_headers *hd = &h->u.headers;
  static const char *const kinds[] = {[LOWERED_REQUIRE_ABSENT] = "ZS_HDR_REQUIRE_ABSENT",
                                      [LOWERED_REQUIRE_PRESENT] = "ZS_HDR_REQUIRE_PRESENT",
                                      [LOWERED_REQUIRE_STATUS] = "ZS_HDR_REQUIRE_STATUS"};
  for (size_t i = 0; i < hd->require_count; i++)
    emit_stmt(cg, hd->require[i].pos, "zs_hdr(%s | ZS_HDR_DEFERRED, %s);", kinds[hd->require[i].kind],
              cg_cstr(cg, hd->require[i].name, strlen(hd->require[i].name)));
  cg_header_ops(cg, hd, hd->require_count ? " | ZS_HDR_DEFERRED | ZS_HDR_REQUIRED" : " | ZS_HDR_DEFERRED", 0);
  emit_flush(cg);
  cg->out = saved;
  cg->line = saved_line;
  cg->indent = saved_indent;
  size_t bit = cg->deferred_count;
  *ARENA_PUSH(cg->a, cg->deferred, cg->deferred_count, cg->deferred_cap) = strbuf_cstr(&code);
  emit_stmt(cg, h->pos, "deferred |= 1ull << %zu;", bit);
}

int cg_headers(struct cg *cg, const struct lowered_handler *h)
{
  if (h->u.headers.request)   /* Caddy's ServeHTTP: the request's ops first */
    cg_header_ops(cg, h->u.headers.request, " | ZS_HDR_REQ", 0);
  if (!h->u.headers.has_response)
    return 0;
  if (h->u.headers.deferred)
    headers_defer(cg, h);
  else
    cg_header_ops(cg, &h->u.headers, "", 0);
  return 0;
}
