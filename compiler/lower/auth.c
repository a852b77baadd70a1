/* The authentication handler (basic_auth) to a lowered record: its accounts
 * checked as Caddy's HTTPBasicAuth provisions them and packed for the
 * basic_auth helper. Verifying passwords is the runtime's (runtime/auth.c).
 * And request_body, the other handler that guards what a request may bring. */
#include <openssl/evp.h>
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

#define AUTH_BCRYPT_LEN 60       /* "$2b$" cost "$" 22 salt + 31 hash characters */

/* Go's bcrypt accepts "$2$" or "$2" + any minor + "$", a cost of 4..31 and
 * the rest in its base64 alphabet; only a 60-byte hash can ever match */
static bool auth_is_bcrypt(const char *h, size_t n)
{
  static const char alphabet[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  if (n != AUTH_BCRYPT_LEN && n != AUTH_BCRYPT_LEN - 1)
    return false;
  size_t at = n == AUTH_BCRYPT_LEN ? 4 : 3;
  if (h[0] != '$' || h[1] != '2' || h[at - 1] != '$' || (at == 4 && h[2] == '$'))
    return false;
  if (h[at] < '0' || h[at] > '9' || h[at + 1] < '0' || h[at + 1] > '9' || h[at + 2] != '$')
    return false;
  int cost = (h[at] - '0') * 10 + (h[at + 1] - '0');
  if (cost < 4 || cost > 31)
    return false;
  for (size_t i = at + 3; i < n; i++)
    if (!memchr(alphabet, h[i], sizeof alphabet - 1))
      return false;
  return true;
}

static void auth_error(struct lower *l, const struct json *at, const char *msg, const char *user)
{
  diag_error(l->d, lower_pos(l, at), "basic_auth: %s%s%s", msg, user ? ": " : "", user ? user : "");
  l->errors++;
}

/* the stored password as Caddy reads it: Modular Crypt Format as written,
 * anything else base64 of it (the old form); NULL after an error */
static const char *auth_password(struct lower *l, const struct json *v, const char *user, size_t *len)
{
  const char *pw = lower_string(l, v, "basic_auth password");
  if (!pw)
    return NULL;
  *len = v->len;
  if (pw[0] != '$') {
    size_t n = v->len;
    unsigned char *out = arena_alloc(l->a, n / 4 * 3 + 4);
    int got = n % 4 == 0 ? EVP_DecodeBlock(out, (const unsigned char *)pw, (int)n) : -1;
    if (got < 0 || strspn(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n) {
      auth_error(l, v, "base64-decoding password of user", user);
      return NULL;
    }
    for (size_t k = n; k > 0 && pw[k - 1] == '='; k--)
      got--;
    *len = (size_t)got;
    pw = (const char *)out;
  }
  if (!auth_is_bcrypt(pw, *len)) {
    auth_error(l, v, "the password is not a bcrypt hash ($2a$, $2b$, $2y$), so no request could match; user", user);
    return NULL;
  }
  /* Go computes every minor version alike, as libxcrypt computes $2b$ */
  const char *rest = pw + (*len == AUTH_BCRYPT_LEN ? 4 : 3);
  *len = AUTH_BCRYPT_LEN;
  return arena_printf(l->a, "$2b$%.*s", AUTH_BCRYPT_LEN - 4, rest);
}

static int auth_account(struct lower *l, const struct json *acct, struct strbuf *packed, const char **seen,
                        size_t count)
{
  static const struct lower_key keys[] = {
    {"username", NULL, NULL}, {"password", NULL, NULL}, {NULL, NULL, NULL},
  };
  if (lower_object_keys(l, acct, keys, "basic_auth account", NULL) < 0)
    return -1;
  const struct json *uv = json_object_get(acct, "username"), *pv = json_object_get(acct, "password");
  const char *user = uv ? lower_string(l, uv, "basic_auth username") : NULL;
  if (!uv || !pv || !user || !*user) {
    if (!uv || user)
      auth_error(l, uv ? uv : acct, "username and password are required", NULL);
    return -1;
  }
  if (strpbrk(user, "{}") || strpbrk(json_str(pv) ? json_str(pv) : "", "{}")) {
    lower_refuse(l, strpbrk(user, "{}") ? uv : pv, "a placeholder in a basic_auth account");
    return -1;
  }
  for (size_t i = 0; i < count; i++)
    if (strcmp(seen[i], user) == 0) {
      auth_error(l, uv, "username is not unique", user);
      return -1;
    }
  size_t pw_len;
  const char *pw = auth_password(l, pv, user, &pw_len);
  if (!pw)
    return -1;
  size_t ulen = uv->len;
  if (ulen > 0xffff) {
    lower_refuse(l, uv, "a basic_auth username of more than 65535 bytes");
    return -1;
  }
  strbuf_putc(packed, (char)(ulen & 0xff));
  strbuf_putc(packed, (char)(ulen >> 8));
  strbuf_put(packed, user, ulen);
  strbuf_putc(packed, (char)pw_len);
  strbuf_put(packed, pw, pw_len);
  return 0;
}

static int auth_accounts(struct lower *l, const struct json *v, void *record)
{
  struct lowered_auth *r = record;
  if (!lower_items(l, v, 1, "basic_auth accounts that are not a list"))
    return -1;
  struct strbuf packed;
  strbuf_init(&packed, l->a);
  strbuf_putc(&packed, ZS_AUTH_BCRYPT);
  const char **seen = arena_alloc(l->a, (v->count + 1) * sizeof *seen);
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    if (auth_account(l, v->items[i], &packed, seen, r->count) < 0) {
      bad = -1;
      continue;
    }
    seen[r->count++] = json_str(json_object_get(v->items[i], "username"));
  }
  r->accounts = (const unsigned char *)strbuf_cstr(&packed);
  r->len = packed.len;
  return bad;
}

/* hash: {"algorithm": "bcrypt"}; argon2id is Caddy's other comparer */
static int auth_hash(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  static const struct lower_key keys[] = {{"algorithm", NULL, NULL}, {NULL, NULL, NULL}};
  if (lower_object_keys(l, v, keys, "basic_auth hash", NULL) < 0)
    return -1;
  const struct json *alg = json_object_get(v, "algorithm");
  const char *name = alg ? lower_string(l, alg, "basic_auth hash algorithm") : "bcrypt";
  if (name && strcmp(name, "bcrypt") != 0) {
    lower_refuse(l, alg, "basic_auth hash algorithm '%s'", name);
    return -1;
  }
  return name ? 0 : -1;
}

static int auth_realm(struct lower *l, const struct json *v, void *record)
{
  struct lowered_auth *r = record;
  const char *realm = lower_string(l, v, "basic_auth realm");
  if (!realm)
    return -1;
  for (size_t i = 0; i < v->len; i++)
    if ((unsigned char)realm[i] < 0x20 || realm[i] == 0x7f) {
      lower_refuse(l, v, "a control character in a basic_auth realm");
      return -1;
    }
  if (*realm)
    r->realm = realm;
  return 0;
}

/* hash_cache only changes how often a password is hashed: zsrt always
 * caches; hash is checked first, as the accounts are read by it */
static const struct lower_key lower_basic_keys[] = {
  {"accounts", NULL, auth_accounts}, {"hash", NULL, NULL}, {"hash_cache", NULL, NULL},
  {"realm", NULL, auth_realm}, {NULL, NULL, NULL},
};

static int auth_providers(struct lower *l, const struct json *v, void *record)
{
  struct lowered_auth *r = record;
  static const struct lower_key keys[] = {{"http_basic", NULL, NULL}, {NULL, NULL, NULL}};
  if (lower_object_keys(l, v, keys, "authentication providers", NULL) < 0)
    return -1;
  const struct json *basic = json_object_get(v, "http_basic");
  if (!basic) {
    lower_refuse(l, v, "authentication without the http_basic provider");
    return -1;
  }
  const struct json *hash = basic->kind == JSON_OBJECT ? json_object_get(basic, "hash") : NULL;
  if (hash && auth_hash(l, hash, r) < 0)
    return -1;
  return lower_object_keys(l, basic, lower_basic_keys, "basic_auth", r);
}

static const struct lower_key lower_auth_keys[] = {
  {"handler", NULL, NULL}, {"providers", NULL, auth_providers}, {NULL, NULL, NULL},
};

/* ---- request_body: max_size; set and the timeouts are refused ---- */

static int body_max_size(struct lower *l, const struct json *v, void *record)
{
  struct lowered_request_body *r = record;
  long long n = v->kind == JSON_NUMBER ? json_int(v, -1) : -1;
  if (n < 0 || strspn(v->text, "0123456789") != v->len) {
    lower_refuse(l, v, "request_body max_size that is not a byte count");
    return -1;
  }
  r->max_size = n;
  return 0;
}

static const struct lower_key lower_body_keys[] = {
  {"handler", NULL, NULL}, {"max_size", NULL, body_max_size}, {"set", "set", lower_key_refused},
  {"read_timeout", "read_timeout", lower_key_refused}, {"write_timeout", "write_timeout", lower_key_refused},
  {NULL, NULL, NULL},
};

int lower_request_body(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  return lower_keys(l, h, lower_body_keys, "request_body", &out->u.request_body);
}

int lower_authentication(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  struct lowered_auth *r = &out->u.auth;
  *r = (struct lowered_auth){.realm = "restricted"};
  /* the runtime waits for a password in a server's routes only (error
   * routes run after a handler's error, where nothing can wait), and a
   * request that waited runs again from the start: a program before it
   * would run twice (its rate_limit_take too). Caddy's order puts
   * basic_auth before ebpf: only an explicit route brings one first */
  if (l->in_errors) {
    lower_refuse(l, h, "basic_auth in handle_errors");
    return -1;
  }
  if (l->ebpf_seen) {
    lower_refuse(l, h, "basic_auth after an ebpf program");
    return -1;
  }
  int bad = lower_keys(l, h, lower_auth_keys, "authentication", r);
  if (!json_object_get(h, "providers")) {
    lower_refuse(l, h, "authentication without providers");
    return -1;
  }
  if (!bad && !r->accounts) {   /* no accounts: every request is refused */
    static const unsigned char none[] = {ZS_AUTH_BCRYPT};
    r->accounts = none;
    r->len = 1;
  }
  return bad;
}
