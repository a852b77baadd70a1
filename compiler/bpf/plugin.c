/* A user's eBPF object made fit to link beside the site: its zs_handle is
 * renamed to the name the generated code calls, and its other globals become
 * its own, so two programs (or a program and the site) may use the same
 * names, and a program cannot export an entry the runtime would call. */
#include "object.h"

#include <elf.h>
#include <string.h>

int bpf_object_as_plugin(struct bpf_object *obj, const char *entry_name, struct diag *d)
{
  bool found = false;
  for (size_t i = 1; i < obj->symbol_count; i++) {
    struct bpf_symbol *s = &obj->symbols[i];
    if (!s->section || (s->bind != STB_GLOBAL && s->bind != STB_WEAK))
      continue;
    if (strcmp(s->name, "zs_handle") == 0 && s->type == STT_FUNC && s->section < obj->section_count &&
        obj->sections[s->section].role == BPF_SECTION_CODE) {
      s->name = entry_name;
      s->bind = STB_GLOBAL;
      found = true;
    } else {
      s->bind = STB_LOCAL;
    }
  }
  obj->plugin = true;
  if (!found)
    diag_error(d, (struct srcpos){ .file = obj->name }, "no function zs_handle: an ebpf program's entry is "
               "int zs_handle(struct zs_ctx *ctx) (zs_plugin.h)");
  return found ? 0 : -1;
}
