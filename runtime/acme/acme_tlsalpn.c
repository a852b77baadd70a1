/* TLS-ALPN-01 (RFC 8737): the challenge certificate the manager builds (a
 * self-signed P-256 certificate for the name alone, with the critical
 * id-pe-acmeIdentifier extension holding the SHA-256 of the key
 * authorization) and its publication in storage. The acme.Challenge object
 * goes where certmagic's distributed solver puts it, so a Caddy sharing the
 * storage can answer too; the certificate and its key go beside it, so
 * zsrt's TLS listener only loads PEM and never builds a certificate. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "acme.h"

#define ACME_ID_OID "1.3.6.1.5.5.7.1.31"   /* id-pe-acmeIdentifier */
#define ACME_TLSALPN_LIFETIME (7 * 86400)

/* the extension's value: the DER of Authorization ::= OCTET STRING (SIZE (32)) */
static X509_EXTENSION *tlsalpn_ext(const char *key_auth)
{
  unsigned char der[2 + 32];
  unsigned int n = 0;
  der[0] = 0x04, der[1] = 32;
  if (!EVP_Digest(key_auth, strlen(key_auth), der + 2, &n, EVP_sha256(), NULL) || n != 32)
    return NULL;
  ASN1_OBJECT *oid = OBJ_txt2obj(ACME_ID_OID, 1);
  ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
  X509_EXTENSION *ext = NULL;
  if (oid && val && ASN1_OCTET_STRING_set(val, der, sizeof der) == 1)
    ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, val);
  ASN1_OBJECT_free(oid);
  ASN1_OCTET_STRING_free(val);
  return ext;
}

static int tlsalpn_build(X509 *x, EVP_PKEY *key, const char *name, const char *key_auth)
{
  unsigned char serial[16];
  char san[600];
  if (RAND_bytes(serial, sizeof serial) != 1 || snprintf(san, sizeof san, "DNS:%s", name) >= (int)sizeof san)
    return -EINVAL;
  serial[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
  X509_NAME *subject = X509_NAME_new();
  X509_EXTENSION *alt = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
  X509_EXTENSION *id = tlsalpn_ext(key_auth);
  time_t now = time(NULL);
  int ok = bn && subject && alt && id && X509_set_version(x, 2) == 1 &&
           BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
           X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)name, -1, -1, 0) == 1 &&
           X509_set_subject_name(x, subject) == 1 && X509_set_issuer_name(x, subject) == 1 &&
           X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now) &&
           X509_time_adj_ex(X509_getm_notAfter(x), 0, ACME_TLSALPN_LIFETIME, &now) &&
           X509_set_pubkey(x, key) == 1 && X509_add_ext(x, alt, -1) == 1 && X509_add_ext(x, id, -1) == 1 &&
           X509_sign(x, key, EVP_sha256()) > 0;
  BN_free(bn);
  X509_NAME_free(subject);
  X509_EXTENSION_free(alt);
  X509_EXTENSION_free(id);
  return ok ? 0 : -EINVAL;
}

char *acme_tlsalpn_cert_pem(const char *name, const char *key_auth)
{
  EVP_PKEY *key = acme_key_new_p256();
  X509 *x = key ? X509_new() : NULL;
  BIO *bio = x ? BIO_new(BIO_s_mem()) : NULL;
  char *out = NULL, *data;
  if (bio && tlsalpn_build(x, key, name, key_auth) == 0 && PEM_write_bio_X509(bio, x) == 1 &&
      PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
    long len = BIO_get_mem_data(bio, &data);
    if ((out = malloc((size_t)len + 1))) {
      memcpy(out, data, (size_t)len);
      out[len] = '\0';
    }
  }
  BIO_free(bio);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

int acme_tlsalpn_publish(const struct acme_store *s, const char *name, const char *token, const char *key_auth)
{
  char path[4096];
  char *pem = acme_tlsalpn_cert_pem(name, key_auth);
  int rc = pem ? acme_store_tlsalpn_path(s, name, path, sizeof path) : -ENOMEM;
  /* the certificate first: a reader that finds the challenge finds its certificate */
  if (rc == 0)
    rc = acme_store_write(path, pem, strlen(pem), 0600);
  free(pem);
  return rc == 0 ? acme_solver_publish_as(s, "tls-alpn-01", name, token, key_auth) : rc;
}

void acme_tlsalpn_unpublish(const struct acme_store *s, const char *name)
{
  char path[4096];
  acme_solver_unpublish(s, name);
  if (acme_store_tlsalpn_path(s, name, path, sizeof path) == 0)
    unlink(path);
}
