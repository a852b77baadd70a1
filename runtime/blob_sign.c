/* Blob signature checks (blob_sign.h): the key is kept as its 32 raw bytes
 * and each check builds the EVP_PKEY from them (EVP_PKEY_new_raw_public_key,
 * EVP_DigestVerify: calls OpenSSL 3 and BoringSSL share). */
#include "blob_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

struct blob_sign_key {
  unsigned char raw[32];
};

struct blob_sign_key *blob_sign_key_load(const char *pem_path, char *err, size_t err_len)
{
  FILE *f = fopen(pem_path, "r");
  if (!f) {
    snprintf(err, err_len, "%s: %s", pem_path, strerror(errno));
    return NULL;
  }
  EVP_PKEY *pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
  fclose(f);
  struct blob_sign_key *k = NULL;
  size_t len = 32;
  if (pkey && EVP_PKEY_id(pkey) == EVP_PKEY_ED25519 && (k = calloc(1, sizeof *k)) &&
      EVP_PKEY_get_raw_public_key(pkey, k->raw, &len) == 1 && len == 32) {
    EVP_PKEY_free(pkey);
    return k;
  }
  free(k);
  EVP_PKEY_free(pkey);
  snprintf(err, err_len, "%s: not a PEM Ed25519 public key", pem_path);
  return NULL;
}

void blob_sign_key_free(struct blob_sign_key *k)
{
  free(k);
}

static int blob_sign_read(const char *path, unsigned char sig[BLOB_SIGN_LEN], char *err, size_t err_len)
{
  char sig_path[4096];
  snprintf(sig_path, sizeof sig_path, "%s%s", path, BLOB_SIGN_SUFFIX);
  int fd = open(sig_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, err_len, "%s: unsigned blob (%s: %s)", path, sig_path, strerror(errno));
    return -1;
  }
  unsigned char extra;
  ssize_t n = read(fd, sig, BLOB_SIGN_LEN);
  ssize_t more = n == BLOB_SIGN_LEN ? read(fd, &extra, 1) : 0;
  close(fd);
  if (n != BLOB_SIGN_LEN || more != 0) {
    snprintf(err, err_len, "%s: is not a %d-byte Ed25519 signature", sig_path, BLOB_SIGN_LEN);
    return -1;
  }
  return 0;
}

int blob_sign_verify(const struct blob_sign_key *k, const char *path, const struct blob *b,
                     char *err, size_t err_len)
{
  unsigned char sig[BLOB_SIGN_LEN];
  if (blob_sign_read(path, sig, err, err_len) < 0)
    return -1;
  EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k->raw, sizeof k->raw);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = pkey && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
           EVP_DigestVerify(ctx, sig, sizeof sig, b->map, b->size) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  if (!ok)
    snprintf(err, err_len, "%s: signature does not verify with the given key (tampered or signed by another key)", path);
  return ok ? 0 : -1;
}
