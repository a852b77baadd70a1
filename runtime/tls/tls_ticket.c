/* Session ticket keys: a ring of generations that every worker reads without
 * locks (a seqlock per slot, atomic words) and one thread rotates; and the
 * library callback that seals and opens tickets with them. */
#include <errno.h>
#include <string.h>

#include <openssl/rand.h>

#include "tls_int.h"

static void ticket_slot_write(struct tls_ticket_slot *s, const struct tls_ticket_key *k)
{
  uint64_t w[TLS_TICKET_KEY_WORDS];
  memcpy(w, k, sizeof *k);
  uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
  atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  for (int i = 0; i < TLS_TICKET_KEY_WORDS; i++)
    atomic_store_explicit(&s->words[i], w[i], memory_order_relaxed);
  atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

/* a consistent copy of the slot; retries while the rotator is writing it */
static void ticket_slot_read(const struct tls_ticket_slot *s, struct tls_ticket_key *k)
{
  uint64_t w[TLS_TICKET_KEY_WORDS], before, after;
  do {
    before = atomic_load_explicit(&s->seq, memory_order_acquire);
    for (int i = 0; i < TLS_TICKET_KEY_WORDS; i++)
      w[i] = atomic_load_explicit(&s->words[i], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    after = atomic_load_explicit(&s->seq, memory_order_relaxed);
  } while ((before & 1) || before != after);
  memcpy(k, w, sizeof *k);
}

_Static_assert(sizeof(struct tls_ticket_key) == TLS_TICKET_KEY_WORDS * 8, "ticket key is whole words");

static int ticket_key_random(struct tls_ticket_key *k)
{
  return RAND_bytes((uint8_t *)k, sizeof *k) == 1 ? 0 : -EIO;
}

int tls_ticket_ring_init(struct tls_ticket_ring *ring, int64_t interval, unsigned keep, int64_t now)
{
  memset(ring, 0, sizeof *ring);
  ring->interval = interval > 0 ? interval : TLS_TICKET_INTERVAL_DEFAULT;
  ring->keep = keep ? keep : TLS_TICKET_KEEP_DEFAULT;
  if (ring->keep < 1 || ring->keep > TLS_TICKET_SLOTS - 1)
    return -EINVAL;
  struct tls_ticket_key k;
  if (ticket_key_random(&k) < 0)
    return -EIO;
  ticket_slot_write(&ring->slots[0], &k);
  atomic_store_explicit(&ring->next_rotation, now + ring->interval, memory_order_relaxed);
  atomic_store_explicit(&ring->gen, 0, memory_order_release);
  return 0;
}

/* The slot written is one no accepted generation uses (the ring has one
 * spare), so readers of current keys are never made to retry. */
int tls_ticket_ring_rotate(struct tls_ticket_ring *ring, int64_t now)
{
  struct tls_ticket_key k;
  if (ticket_key_random(&k) < 0)
    return -EIO;
  uint64_t g = atomic_load_explicit(&ring->gen, memory_order_relaxed) + 1;
  ticket_slot_write(&ring->slots[g % TLS_TICKET_SLOTS], &k);
  atomic_store_explicit(&ring->next_rotation, now + ring->interval, memory_order_relaxed);
  atomic_store_explicit(&ring->gen, g, memory_order_release);
  return 0;
}

int tls_ticket_ring_tick(struct tls_ticket_ring *ring, int64_t now)
{
  if (now < atomic_load_explicit(&ring->next_rotation, memory_order_relaxed))
    return 0;
  int r = tls_ticket_ring_rotate(ring, now);
  return r < 0 ? r : 1;
}

int tls_ticket_ring_get(const struct tls_ticket_ring *ring, uint64_t g, struct tls_ticket_key *out)
{
  uint64_t cur = atomic_load_explicit(&ring->gen, memory_order_acquire);
  if (g > cur || cur - g >= ring->keep)
    return -ENOENT;
  ticket_slot_read(&ring->slots[g % TLS_TICKET_SLOTS], out);
  return 0;
}

int64_t tls_ticket_ring_find(const struct tls_ticket_ring *ring, const uint8_t name[16], struct tls_ticket_key *out)
{
  uint64_t cur = atomic_load_explicit(&ring->gen, memory_order_acquire);
  for (uint64_t i = 0; i < ring->keep && i <= cur; i++) {
    if (tls_ticket_ring_get(ring, cur - i, out) == 0 && memcmp(out->name, name, 16) == 0)
      return (int64_t)(cur - i);
  }
  return -ENOENT;
}

/* The library's ticket callback: seal with the current key; open with any
 * accepted key, asking for a fresh ticket (below: when).
 * Returns 1 ok, 2 ok-and-renew, 0 unknown key (full handshake), -1 error. */
int tls_ticket_cb(SSL *ssl, uint8_t name[16], uint8_t iv[16], EVP_CIPHER_CTX *cipher,
                  tls_ticket_mac_ctx *mac, int encrypt)
{
  struct tls_conn *c = SSL_get_app_data(ssl);
  struct tls_ticket_ring *ring = c ? tls_ctx_tickets(c->ctx) : NULL;
  struct tls_ticket_key k;
  if (!ring)
    return encrypt ? -1 : 0;
  if (encrypt) {
    uint64_t g = atomic_load_explicit(&ring->gen, memory_order_acquire);
    if (tls_ticket_ring_get(ring, g, &k) < 0 || RAND_bytes(iv, 16) != 1)
      return -1;
    memcpy(name, k.name, 16);
    if (!EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, k.aes, iv) || !tls_ticket_mac_init(mac, k.hmac))
      return -1;
    return 1;
  }
  int64_t g = tls_ticket_ring_find(ring, name, &k);
  if (g < 0)
    return 0;
  if (!EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, k.aes, iv) || !tls_ticket_mac_init(mac, k.hmac))
    return -1;
  /* TLS 1.3 tickets are one-use for clients (RFC 8446 C.4) and OpenSSL only
   * issues a fresh one on resumption when asked: always ask, as Go does;
   * TLS 1.2 gets a fresh ticket only when the key was not the current one */
  if (SSL_version(ssl) >= TLS1_3_VERSION)
    return 2;
  return (uint64_t)g == atomic_load_explicit(&ring->gen, memory_order_acquire) ? 1 : 2;
}
