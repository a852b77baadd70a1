/* The compressors of encode: zlib's deflate with a gzip wrapper, libzstd's
 * streaming API, in a fixed pool of slots per worker. A slot's library state
 * is made on its first use and reset for each body after, so memory is
 * bounded by the pool (ENCODE_SLOTS) and a body never holds more than one
 * step's input and output: each step is flushed out whole. */
#include "encode.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <zlib.h>
#include <zstd.h>

#include "exchange.h"
#include "loader.h"
#include "loop.h"

#define ENCODE_ZSTD_WINDOW_LOG 17    /* Caddy limits the window to 128 KiB for clients' sake */

struct encoder {
  struct encode_pool *pool;
  unsigned slot;
  enum encode_coding coding;
  z_stream z;
  int z_ready, z_level;
  ZSTD_CCtx *zc;
  char *in;                    /* ENCODE_STEP */
  struct encode_staged staged;
};

struct encode_pool {
  struct encoder slots[ENCODE_SLOTS];
  unsigned free[ENCODE_SLOTS];
  unsigned free_count;
  char *bufs;                  /* each slot's input and staging buffers, touched only when used */
};

#define ENCODE_SLOT_BUFS (ENCODE_STEP + ENCODE_STAGED_CAP)

struct encode_pool *encode_pool_create(void)
{
  struct encode_pool *pool = calloc(1, sizeof *pool);
  if (!pool)
    return NULL;
  void *bufs = mmap(NULL, (size_t)ENCODE_SLOTS * ENCODE_SLOT_BUFS, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (bufs == MAP_FAILED) {
    free(pool);
    return NULL;
  }
  pool->bufs = bufs;
  for (unsigned i = 0; i < ENCODE_SLOTS; i++) {
    struct encoder *e = &pool->slots[i];
    e->pool = pool;
    e->slot = i;
    e->in = pool->bufs + (size_t)i * ENCODE_SLOT_BUFS;
    e->staged.data = e->in + ENCODE_STEP;
    pool->free[pool->free_count++] = ENCODE_SLOTS - 1 - i;
  }
  return pool;
}

void encode_pool_destroy(struct encode_pool *pool)
{
  if (!pool)
    return;
  for (unsigned i = 0; i < ENCODE_SLOTS; i++) {
    if (pool->slots[i].z_ready)
      deflateEnd(&pool->slots[i].z);
    ZSTD_freeCCtx(pool->slots[i].zc);
  }
  munmap(pool->bufs, (size_t)ENCODE_SLOTS * ENCODE_SLOT_BUFS);
  free(pool);
}

static int encode_gzip_setup(struct encoder *e, int level)
{
  if (!e->z_ready) {
    if (deflateInit2(&e->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return -ENOMEM;
    e->z_ready = 1;
    e->z_level = level;
    return 0;
  }
  if (deflateReset(&e->z) != Z_OK)
    return -EIO;
  if (e->z_level != level && deflateParams(&e->z, level, Z_DEFAULT_STRATEGY) != Z_OK)
    return -EIO;
  e->z_level = level;
  return 0;
}

static int encode_zstd_setup(struct encoder *e, int level, int checksum)
{
  if (!e->zc && !(e->zc = ZSTD_createCCtx()))
    return -ENOMEM;
  ZSTD_CCtx_reset(e->zc, ZSTD_reset_session_and_parameters);
  if (ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_compressionLevel, level)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_windowLog, ENCODE_ZSTD_WINDOW_LOG)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_checksumFlag, checksum)))
    return -EINVAL;
  return 0;
}

struct encoder *encode_open(struct encode_pool *pool, const struct blob *blob, unsigned record,
                            enum encode_coding coding)
{
  if (!pool || !pool->free_count || record >= blob->config->encoder_count || coding == ENCODE_NONE)
    return NULL;
  const struct zs_encoder *rec = &blob->encoders[record];
  struct encoder *e = &pool->slots[pool->free[pool->free_count - 1]];
  int rc = coding == ENCODE_GZIP ? encode_gzip_setup(e, rec->gzip_level)
                                 : encode_zstd_setup(e, rec->zstd_level, !(rec->flags & ZS_ENC_ZSTD_NO_CHECKSUM));
  if (rc < 0)
    return NULL;
  pool->free_count--;
  e->coding = coding;
  e->staged.start = e->staged.len = 0;
  e->staged.ended = 0;
  return e;
}

void encode_release(struct encoder *e)
{
  if (e)
    e->pool->free[e->pool->free_count++] = e->slot;
}

static long encode_gzip_step(struct encoder *e, const char *in, size_t len, int last, char *out, size_t cap)
{
  e->z.next_in = (Bytef *)(uintptr_t)in;
  e->z.avail_in = (uInt)len;
  e->z.next_out = (Bytef *)out;
  e->z.avail_out = (uInt)cap;
  int rc = deflate(&e->z, last ? Z_FINISH : Z_SYNC_FLUSH);
  if (e->z.avail_in || (last ? rc != Z_STREAM_END : rc != Z_OK) || (!last && !e->z.avail_out))
    return -ENOSPC;
  return (long)(cap - e->z.avail_out);
}

static long encode_zstd_step(struct encoder *e, const char *in, size_t len, int last, char *out, size_t cap)
{
  ZSTD_inBuffer ib = {in, len, 0};
  ZSTD_outBuffer ob = {out, cap, 0};
  size_t left;
  do {
    left = ZSTD_compressStream2(e->zc, &ob, &ib, last ? ZSTD_e_end : ZSTD_e_flush);
    if (ZSTD_isError(left))
      return -EIO;
  } while (left && ob.pos < ob.size);
  return left || ib.pos < ib.size ? -ENOSPC : (long)ob.pos;
}

long encode_step(struct encoder *e, const char *in, size_t len, int last, char *out, size_t cap)
{
  if (!len && !last)
    return 0;
  if (cap < ENCODE_BOUND(len))
    return -ENOSPC;
  return e->coding == ENCODE_GZIP ? encode_gzip_step(e, in, len, last, out, cap)
                                  : encode_zstd_step(e, in, len, last, out, cap);
}

char *encode_input(struct encoder *e)
{
  return e->in;
}

struct encode_staged *encode_staged(struct encoder *e)
{
  return &e->staged;
}

int encode_begin(struct worker *w, struct exchange *ex, struct response *resp, int64_t length, size_t first)
{
  if (!ex->dec || !ex->dec->encode || ex->enc)
    return 0;
  unsigned record = ex->dec->encode - 1;
  enum encode_coding coding = encode_choose(w->blob, record, &ex->req);
  struct encoder *e = coding ? encode_open(w->encoders, w->blob, record, coding) : NULL;
  if (!e)
    return 0;
  int rc = encode_head(w->blob, record, coding, resp, length, first);
  if (rc <= 0)
    encode_release(e);
  else
    ex->enc = e;
  return rc;
}

void encode_end(struct exchange *ex)
{
  encode_release(ex->enc);
  ex->enc = NULL;
}
