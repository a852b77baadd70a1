/* The one place where BoringSSL and OpenSSL 3 differ for zsrt's TLS layer:
 * the session ticket MAC context, the peer certificate getter, the early
 * ClientHello callback (connection policies, TLS-ALPN-01) and the library's name. Everything else in runtime/tls uses the API both share. */
#ifndef ZSRT_TLS_LIB_H
#define ZSRT_TLS_LIB_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#if defined(OPENSSL_IS_BORINGSSL)
typedef HMAC_CTX tls_ticket_mac_ctx;
static inline int tls_ticket_mac_init(tls_ticket_mac_ctx *m, const uint8_t key[32])
{
  return HMAC_Init_ex(m, key, 32, EVP_sha256(), NULL);
}
#define TLS_CTX_SET_TICKET_CB SSL_CTX_set_tlsext_ticket_key_cb
#define tls_peer_certificate SSL_get_peer_certificate
#define TLS_LIBRARY_NAME() "BoringSSL"
int tls_policy_hello(SSL *ssl, const uint8_t *sni_ext, size_t len, const uint8_t *alpn_ext, size_t alpn_len);
static inline enum ssl_select_cert_result_t tls_hello_cb(const SSL_CLIENT_HELLO *hello)
{
  const uint8_t *ext = NULL, *alpn = NULL;
  size_t len = 0, alpn_len = 0;
  if (!SSL_early_callback_ctx_extension_get(hello, TLSEXT_TYPE_server_name, &ext, &len))
    ext = NULL;
  if (!SSL_early_callback_ctx_extension_get(hello, TLSEXT_TYPE_application_layer_protocol_negotiation, &alpn,
                                            &alpn_len))
    alpn = NULL;
  return tls_policy_hello(hello->ssl, ext, len, alpn, alpn_len) == 0 ? ssl_select_cert_success
                                                                      : ssl_select_cert_error;
}
#define TLS_CTX_SET_HELLO_CB(sc) SSL_CTX_set_select_certificate_cb(sc, tls_hello_cb)
#else
#include <openssl/core_names.h>
typedef EVP_MAC_CTX tls_ticket_mac_ctx;
static inline int tls_ticket_mac_init(tls_ticket_mac_ctx *m, const uint8_t key[32])
{
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)key, 32),
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
    OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(m, params);
}
#define TLS_CTX_SET_TICKET_CB SSL_CTX_set_tlsext_ticket_key_evp_cb
#define tls_peer_certificate SSL_get1_peer_certificate
#define TLS_LIBRARY_NAME() OpenSSL_version(OPENSSL_VERSION)
int tls_policy_hello(SSL *ssl, const uint8_t *sni_ext, size_t len, const uint8_t *alpn_ext, size_t alpn_len);
static inline int tls_hello_cb(SSL *ssl, int *alert, void *arg)
{
  (void)arg;
  const unsigned char *ext = NULL, *alpn = NULL;
  size_t len = 0, alpn_len = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len))
    ext = NULL;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &alpn, &alpn_len))
    alpn = NULL;
  if (tls_policy_hello(ssl, ext, len, alpn, alpn_len) == 0)
    return SSL_CLIENT_HELLO_SUCCESS;
  *alert = SSL_AD_UNRECOGNIZED_NAME;
  return SSL_CLIENT_HELLO_ERROR;
}
#define TLS_CTX_SET_HELLO_CB(sc) SSL_CTX_set_client_hello_cb(sc, tls_hello_cb, NULL)
#endif

#endif
