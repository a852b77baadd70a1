/* Opening a .zsb blob: read it into private memory (read-only), validate every
 * header field, section, table and string before anything uses it, then make
 * the code pages executable. A blob that fails any check is refused with a one-line reason;
 * nothing here trusts the file. */
#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../abi/cage.h"
#include "../abi/config_check.h"

#if defined(__x86_64__)
#define LOADER_ARCH ZS_ARCH_X86_64
#elif defined(__aarch64__)
#define LOADER_ARCH ZS_ARCH_AARCH64
#else
#error "zsrt supports x86_64 and aarch64"
#endif

struct loader {
  const char *path;
  char *err;
  size_t err_len;
  struct blob *b;
  const struct zs_section *sec[ZS_SEC_SOURCE + 1];   /* by kind */
};

static int loader_fail(struct loader *l, const char *fmt, ...)
{
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(l->err, l->err_len, "%s: %s", l->path, msg);
  return -1;
}

/* true when [off, off+len) lies inside [0, size) without overflow */
static int loader_inside(uint64_t off, uint64_t len, uint64_t size)
{
  return off <= size && len <= size - off;
}

/* The blob is read into anonymous memory, not mapped from the file: a file
 * replaced or truncated while served (an operator's cp over it) cannot
 * SIGBUS the server or change code under it, and what was validated is
 * exactly what runs. The copy is made read-only before any check. */
static int loader_read_copy(struct loader *l, int fd, size_t size)
{
  struct blob *b = l->b;
  void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED)
    return loader_fail(l, "cannot allocate %zu bytes: %s", size, strerror(errno));
  b->map = map;
  b->size = size;
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd, b->map + done, size - done, (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return loader_fail(l, "truncated while reading: %zu of %zu bytes", done, size);
    done += (size_t)n;
  }
  if (mprotect(map, size, PROT_READ) < 0)
    return loader_fail(l, "mprotect: %s", strerror(errno));
  b->hdr = map;
  return 0;
}

static int loader_map(struct loader *l)
{
  int fd = open(l->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return loader_fail(l, "%s", strerror(errno));
  struct stat st;
  int rc;
  if (fstat(fd, &st) < 0)
    rc = loader_fail(l, "%s", strerror(errno));
  else if (!S_ISREG(st.st_mode))
    rc = loader_fail(l, "not a regular file");
  else if ((uint64_t)st.st_size < sizeof(struct zs_blob_header))
    rc = loader_fail(l, "truncated: %lld bytes is less than a blob header", (long long)st.st_size);
  else
    rc = loader_read_copy(l, fd, (size_t)st.st_size);
  close(fd);
  return rc;
}

static int loader_check_checksum(struct loader *l)
{
  struct zs_blob_header copy;
  memcpy(&copy, l->b->map, sizeof copy);
  copy.checksum = 0;
  uint64_t h = zs_checksum((const unsigned char *)&copy, sizeof copy);
  h = zs_checksum_update(h, l->b->map + sizeof copy, l->b->size - sizeof copy);
  if (h != l->b->hdr->checksum)
    return loader_fail(l, "checksum mismatch (corrupted blob)");
  return 0;
}

static int loader_check_header(struct loader *l)
{
  const struct zs_blob_header *h = l->b->hdr;
  if (memcmp(h->magic, ZS_BLOB_MAGIC, sizeof h->magic) != 0)
    return loader_fail(l, "not a zsb blob (bad magic)");
  if (h->version != ZS_BLOB_VERSION)
    return loader_fail(l, "blob format version %u, this zsrt reads version %u", h->version, ZS_BLOB_VERSION);
  if (h->abi_version != ZS_ABI_VERSION)
    return loader_fail(l, "blob ABI version %u, this zsrt provides ABI %u", h->abi_version, ZS_ABI_VERSION);
  if (h->arch != LOADER_ARCH)
    return loader_fail(l, "blob is for %s, this zsrt runs %s",
                       h->arch == ZS_ARCH_X86_64 ? "x86_64" : h->arch == ZS_ARCH_AARCH64 ? "aarch64" : "an unknown architecture",
                       LOADER_ARCH == ZS_ARCH_X86_64 ? "x86_64" : "aarch64");
  if (h->file_size != l->b->size)
    return loader_fail(l, "truncated or padded: header says %llu bytes, file has %zu",
                       (unsigned long long)h->file_size, l->b->size);
  return loader_check_checksum(l);
}

static int loader_check_section(struct loader *l, unsigned i)
{
  const struct zs_section *s = &l->b->hdr->sections[i];
  if (s->kind < ZS_SEC_CODE || s->kind > ZS_SEC_SOURCE)
    return loader_fail(l, "section %u: unknown kind %u", i, s->kind);
  if (l->sec[s->kind])
    return loader_fail(l, "section %u: second section of kind %u", i, s->kind);
  if (s->offset % ZS_BLOB_PAGE != 0 || s->offset < sizeof(struct zs_blob_header))
    return loader_fail(l, "section %u: offset 0x%llx is not a page boundary after the header",
                       i, (unsigned long long)s->offset);
  if (!loader_inside(s->offset, s->size, l->b->size))
    return loader_fail(l, "section %u: extends past the end of the file", i);
  for (unsigned j = 0; j < i; j++) {
    const struct zs_section *o = &l->b->hdr->sections[j];
    if (s->offset < o->offset + o->size && o->offset < s->offset + s->size)
      return loader_fail(l, "section %u overlaps section %u", i, j);
  }
  l->sec[s->kind] = s;
  return 0;
}

static int loader_check_sections(struct loader *l)
{
  const struct zs_blob_header *h = l->b->hdr;
  if (h->section_count > ZS_BLOB_MAX_SECTIONS)
    return loader_fail(l, "%u sections, at most %u allowed", h->section_count, ZS_BLOB_MAX_SECTIONS);
  for (unsigned i = 0; i < h->section_count; i++)
    if (loader_check_section(l, i) < 0)
      return -1;
  static const unsigned required[] = { ZS_SEC_CODE, ZS_SEC_ENTRIES, ZS_SEC_CONFIG };
  static const char *const names[] = { "code", "entries", "config" };
  for (unsigned i = 0; i < 3; i++)
    if (!l->sec[required[i]])
      return loader_fail(l, "no %s section", names[i]);
  const struct zs_section *ro = l->sec[ZS_SEC_RODATA];
  if (ro && ro->size > ZS_CAGE_RODATA_MAX)
    return loader_fail(l, "rodata is %llu bytes, at most %u fit the cage",
                       (unsigned long long)ro->size, ZS_CAGE_RODATA_MAX);
  if (l->sec[ZS_SEC_BPF] && l->sec[ZS_SEC_BPF]->size % 8 != 0)
    return loader_fail(l, "bpf section is not a whole number of instructions");
  if (l->sec[ZS_SEC_SRCMAP] && l->sec[ZS_SEC_SRCMAP]->size % sizeof(struct zs_srcmap_row) != 0)
    return loader_fail(l, "source map section is not a whole number of rows");
  return 0;
}

/* the config tables, every field of every row, and the entries' servers:
 * abi/config_check.h, the validator zsb_check shares */
static int loader_check_config(struct loader *l)
{
  struct blob *b = l->b;
  const struct zs_section *s = l->sec[ZS_SEC_CONFIG];
  struct zs_config_view v;
  char msg[200];
  if (b->entry_count > UINT32_MAX)
    return loader_fail(l, "%zu entries, more than a config can name", b->entry_count);
  if (zs_config_check(&v, b->map + s->offset, s->size, (uint32_t)b->entry_count, msg, sizeof msg) < 0 ||
      zs_config_check_entries(&v, (const uint8_t *)b->entries, msg, sizeof msg) < 0)
    return loader_fail(l, "%s", msg);
  b->config = (const void *)v.base;
  b->strings = v.strings;
  b->strings_size = v.strings_size;
#define ZS_TABLE_BEGIN(table, plural, doc) b->plural = (const void *)(v.base + v.hdr.table##_table);
#include "../abi/config.def"
  return 0;
}

static int loader_check_entries(struct loader *l)
{
  const struct zs_section *s = l->sec[ZS_SEC_ENTRIES];
  struct blob *b = l->b;
  if (s->size % sizeof(struct zs_entry) != 0)
    return loader_fail(l, "entries section is not a whole number of entries");
  b->entries = (const void *)(b->map + s->offset);
  b->entry_count = s->size / sizeof(struct zs_entry);
  for (size_t i = 0; i < b->entry_count; i++) {
    const struct zs_entry *e = &b->entries[i];
    if (e->kind != ZS_ENTRY_REQUEST && e->kind != ZS_ENTRY_ERRORS)
      return loader_fail(l, "entry %zu: unknown kind %u", i, e->kind);
    if (e->code_offset >= b->code_size)
      return loader_fail(l, "entry %zu: code offset 0x%llx is outside the code", i,
                         (unsigned long long)e->code_offset);
    if (e->stack_size > ZS_CAGE_STACK_SIZE)
      return loader_fail(l, "entry %zu: stack size %u is larger than the cage stack", i, e->stack_size);
  }
  return 0;
}

static void loader_take_sections(struct loader *l)
{
  struct blob *b = l->b;
  b->code = b->map + l->sec[ZS_SEC_CODE]->offset;
  b->code_size = l->sec[ZS_SEC_CODE]->size;
  if (l->sec[ZS_SEC_RODATA]) {
    b->rodata = b->map + l->sec[ZS_SEC_RODATA]->offset;
    b->rodata_size = l->sec[ZS_SEC_RODATA]->size;
  }
}

/* the copy is read-only before this, so the code pages are never w+x */
static int loader_protect_code(struct loader *l)
{
  struct blob *b = l->b;
  if (b->code_size == 0)
    return loader_fail(l, "code section is empty");
  long page = sysconf(_SC_PAGESIZE);
  size_t len = (b->code_size + (size_t)page - 1) / (size_t)page * (size_t)page;
  if (mprotect((void *)b->code, len, PROT_READ | PROT_EXEC) < 0)
    return loader_fail(l, "cannot map code executable: %s", strerror(errno));
  return 0;
}

static int loader_run(struct loader *l)
{
  if (loader_map(l) < 0 || loader_check_header(l) < 0 || loader_check_sections(l) < 0)
    return -1;
  loader_take_sections(l);
  if (memmem(l->b->code, l->b->code_size, ZS_UNCAGED_MARKER, sizeof ZS_UNCAGED_MARKER - 1))
    return loader_fail(l, "code was lifted without the cage (a measurement build): refused");
  if (loader_check_entries(l) < 0 || loader_check_config(l) < 0)
    return -1;
  return loader_protect_code(l);
}

int blob_open(const char *path, struct blob *out, char *err, size_t err_len)
{
  memset(out, 0, sizeof *out);
  out->fd = -1;
  struct loader l = { .path = path, .err = err, .err_len = err_len, .b = out };
  if (loader_run(&l) < 0) {
    blob_close(out);
    return -1;
  }
  return 0;
}

void blob_close(struct blob *b)
{
  if (b->map)
    munmap(b->map, b->size);
  memset(b, 0, sizeof *b);
  b->fd = -1;
}

const char *blob_string(const struct blob *b, uint32_t offset)
{
  return offset < b->strings_size ? b->strings + offset : "";
}

size_t blob_list(const struct blob *b, uint32_t offset, const char **out, size_t cap)
{
  size_t n = 0;
  const char *s;
  while (offset < b->strings_size && (s = blob_string(b, offset))[0]) {
    if (n < cap)
      out[n] = s;
    n++;
    offset += (uint32_t)strlen(s) + 1;
  }
  return n;
}
