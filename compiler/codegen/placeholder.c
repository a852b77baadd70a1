/* Lowered strings with placeholders (lower/text.c split them) built into a
 * helper buffer: literal text with zs_lit, request variables with zs_var
 * (zs_var_esc when the value is escaped on the way in), request fields by
 * name or index with zs_buf_field. */
#include "abi/helpers.h"
#include "cg.h"

#include <string.h>

void ph_emit(struct cg *cg, struct srcpos pos, const struct lowered_text *s, const char *slot)
{
  for (size_t i = 0; i < s->count; i++) {
    const struct lowered_text_part *p = &s->parts[i];
    if (p->field) {
      size_t unset = p->unset ? strlen(p->unset) : 0;
      const char *name = arena_printf(cg->a, "%.*s%s", (int)p->len, p->text, p->unset ? p->unset : "");
      emit_stmt(cg, pos, "zs_buf_field(%s, 0x%x, (unsigned long)%s, %zu, %zu);", slot,
                (unsigned)p->field | p->escape << 8 | p->index << 16, cg_cstr(cg, name, p->len + unset), p->len,
                unset);
    } else if (p->capture)
      emit_stmt(cg, pos, "zs_buf_capture(%s, 0x%x, (unsigned long)%s, %zu);", slot, (unsigned)p->capture - 1,
                cg_cstr(cg, p->text ? p->text : "", p->text ? p->len : 0), p->text ? p->len : 0);
    else if (p->var && p->escape)
      emit_stmt(cg, pos, "zs_var_esc(%s, ZS_VAR_%s, %s);", slot, p->var_name,
                p->escape == ZS_ESC_QUERY ? "ZS_ESC_QUERY" : p->escape == ZS_ESC_PATH ? "ZS_ESC_PATH" : "ZS_ESC_KNOWN");
    else if (p->var)
      emit_stmt(cg, pos, "zs_var(%s, ZS_VAR_%s);", slot, p->var_name);
    else
      emit_stmt(cg, pos, "zs_lit(%s, %s);", slot, cg_cstr(cg, p->text, p->len));
  }
}
