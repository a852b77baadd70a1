/* CPU-bound eBPF programs for measuring what the pointer cage and the poll
 * budget cost: lifted caged and uncaged by bench/cage/cage_bench.c, checked
 * for equal results by testsuite/lifter/measure.c. r1 points at the request
 * view, which the harness fills with the bytes (i * 7 + 3) & 0xff. */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define SHA_BYTES 4096u        /* of the request view hashed per run */
#define HDR_NAME 24            /* bytes per header name, NUL-padded */
#define HDR_COUNT 20           /* names in the table */
#define HDR_ROUNDS 50          /* HDR_ROUNDS * HDR_COUNT = 1,000 comparisons */

static const u32 sha_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
  0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static u32 rotr(u32 x, u32 n)
{
  return x >> n | x << (32 - n);
}

/* one 64-byte block into the state h, as FIPS 180-4 section 6.2.2 */
__attribute__((noinline)) static void sha_block(u32 *h, const u8 *p)
{
  u32 w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    u32 t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
    u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

/* SHA-256 of the first SHA_BYTES bytes of the request view; returns the
 * digest's first 8 bytes as a big-endian number */
u64 zs_entry_sha256(const u8 *req)
{
  u32 h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  for (u32 off = 0; off < SHA_BYTES; off += 64)
    sha_block(h, req + off);
  u8 pad[64];
  for (int i = 0; i < 64; i++)
    pad[i] = 0;
  pad[0] = 0x80;
  u64 bits = (u64)SHA_BYTES * 8;
  for (int i = 0; i < 8; i++)
    pad[63 - i] = (u8)(bits >> (8 * i));
  sha_block(h, pad);
  return (u64)h[0] << 32 | h[1];
}

/* header names as the request view holds them (lowercase) */
static const char hdr_names[HDR_COUNT][HDR_NAME] = {
  "accept", "accept-encoding", "accept-language", "authorization", "cache-control",
  "connection", "content-length", "content-type", "cookie", "host",
  "if-modified-since", "if-none-match", "origin", "pragma", "range",
  "referer", "user-agent", "x-forwarded-for", "x-forwarded-proto", "x-request-id",
};

/* names as a config writes them, in any case, some not present */
static const char hdr_wanted[8][HDR_NAME] = {
  "Accept-Encoding", "User-Agent", "X-Forwarded-For", "Content-Type",
  "X-Api-Key", "If-None-Match", "Accept-Charset", "Host",
};

/* Caddy's header matcher: names compare case-insensitively */
__attribute__((noinline)) static int hdr_name_eq(const char *have, const char *want)
{
  for (int i = 0; i < HDR_NAME; i++) {
    char w = want[i];
    if (w >= 'A' && w <= 'Z')
      w += 'a' - 'A';
    if (have[i] != w)
      return 0;
    if (w == 0)
      return 1;
  }
  return 1;
}

/* 1,000 header name comparisons; returns which matched, folded into a hash */
u64 zs_entry_headers(const u8 *req)
{
  u64 found = req[0];
  for (int round = 0; round < HDR_ROUNDS; round++)
    for (int j = 0; j < HDR_COUNT; j++)
      found = found * 31 + (u64)hdr_name_eq(hdr_names[j], hdr_wanted[(round + j) & 7]) * (u64)(j + 1);
  return found;
}
