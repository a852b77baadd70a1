/* The tls app (buildTLSApp): automation policies per site, the catch-all
 * policy from global options, global ACME defaults, consolidation of equal
 * policies, certificate loaders; plus servers' TLS connection policies and
 * the automatic_https server options. */
#include <stdlib.h>
#include <string.h>

#include "adapt.h"
#include "base/hostname.h"

#define ZEROSSL_ACME_CA "https://acme.zerossl.com/v2/DV90"

struct json_list {
  struct json **items;
  size_t count, cap;
};

static bool tls_all_public(struct json *ap)
{
  struct json *subj = json_object_get(ap, "subjects");
  for (size_t i = 0; subj && i < subj->count; i++)
    if (!hostname_qualifies_for_public_cert(json_str(subj->items[i])))
      return false;
  return true;
}

static bool tls_option_set(struct adapt *ad, const char *name)
{
  return json_object_get(ad->options, name) != NULL;
}

static bool tls_global_acme_defaults(struct adapt *ad)
{
  return tls_option_set(ad, "acme_ca") || tls_option_set(ad, "acme_ca_root") || tls_option_set(ad, "acme_dns") ||
         tls_option_set(ad, "acme_eab") || tls_option_set(ad, "preferred_chains");
}

/* acme_ca_root joins the issuer's trusted_roots_pem_files, once */
static void tls_fill_acme_root(struct adapt *ad, struct json *iss)
{
  struct json *root = json_object_get(ad->options, "acme_ca_root");
  if (!root || !json_str(root))
    return;
  struct json *roots = jget_or_new(ad->arena, iss, "trusted_roots_pem_files", JSON_ARRAY);
  for (size_t i = 0; i < roots->count; i++)
    if (json_str(roots->items[i]) && !strcmp(json_str(roots->items[i]), json_str(root)))
      return;
  jpush(ad->arena, roots, json_clone(ad->arena, root));
}

/* http_port / https_port: the HTTP and TLS-ALPN challenges' alternate_port unless one is set */
static void tls_fill_alt_port(struct adapt *ad, struct json *iss, const char *option, const char *challenge)
{
  if (!tls_option_set(ad, option))
    return;
  struct json *ch = json_object_get(json_object_get(iss, "challenges"), challenge);
  if (ch && json_int(json_object_get(ch, "alternate_port"), 0) != 0)
    return;
  ch = jget_or_new(ad->arena, jget_or_new(ad->arena, iss, "challenges", JSON_OBJECT), challenge, JSON_OBJECT);
  jset(ad->arena, ch, "alternate_port", jint(ad->arena, option_int(ad, option, 0), (struct srcpos){0}));
}

/* fillInGlobalACMEDefaults for one issuer */
static int tls_fill_acme(struct adapt *ad, struct json *iss)
{
  struct arena *a = ad->arena;
  if (strcmp(json_str(json_object_get(iss, "module")), "acme"))
    return 0;
  static const char *const copy[][2] = {{"email", "email"}, {"acme_ca", "ca"}, {"preferred_chains", "preferred_chains"},
                                        {"acme_eab", "external_account"}};
  for (int i = 0; i < 4; i++)
    if (tls_option_set(ad, copy[i][0]) && !json_object_get(iss, copy[i][1]))
      jset(a, iss, copy[i][1], json_clone(a, json_object_get(ad->options, copy[i][0])));
  tls_fill_acme_root(ad, iss);
  struct json *dns = json_object_get(json_object_get(iss, "challenges"), "dns");
  if (!dns && !tls_option_set(ad, "acme_dns")) {
    tls_fill_alt_port(ad, iss, "http_port", "http");
    tls_fill_alt_port(ad, iss, "https_port", "tls-alpn");
  }
  if (tls_option_set(ad, "acme_dns") && (!dns || !json_object_get(dns, "provider"))) {
    struct json *prov = json_object_get(ad->options, "acme_dns");
    if (prov->kind == JSON_NULL && !tls_option_set(ad, "dns"))
      return fe_fail(ad->err, prov->pos, "acme_dns specified without DNS provider config, but no provider specified "
                     "with 'dns' global option");
    dns = jget_or_new(a, jget_or_new(a, iss, "challenges", JSON_OBJECT), "dns", JSON_OBJECT);
    if (prov->kind != JSON_NULL)
      jset(a, dns, "provider", json_clone(a, prov));
  }
  /* default_bind's first address binds the challenge listeners, unless a DNS challenge or a bind_host is set */
  struct json *ch = json_object_get(iss, "challenges"), *binds = json_object_get(ad->options, "default_bind");
  struct json *addrs = binds && binds->count ? json_object_get(binds->items[0], "addresses") : NULL;
  if (addrs && addrs->count && (!ch || (!json_object_get(ch, "dns") && !json_object_get(ch, "bind_host"))))
    jset(a, jget_or_new(a, iss, "challenges", JSON_OBJECT), "bind_host", json_clone(a, addrs->items[0]));
  struct json *lifetime = json_object_get(ad->options, "cert_lifetime");
  if (lifetime && json_int(json_object_get(iss, "certificate_lifetime"), 0) == 0)
    jset(a, iss, "certificate_lifetime", json_clone(a, lifetime));
  /* tls_resolvers for a DNS challenge that has a provider (its own or acme_dns) */
  struct json *resolvers = json_object_get(ad->options, "tls_resolvers");
  if (dns && resolvers && !json_object_get(dns, "resolvers") &&
      (tls_option_set(ad, "acme_dns") || json_object_get(dns, "provider")))
    jset(a, dns, "resolvers", json_clone(a, resolvers));
  return 0;
}

/* newBaseAutomationPolicy; NULL when nothing global applies and !always, or on an error (ad->err) */
static struct json *tls_base_policy(struct adapt *ad, bool always)
{
  struct arena *a = ad->arena;
  bool opts = tls_option_set(ad, "cert_issuer") || tls_option_set(ad, "local_certs") || tls_option_set(ad, "key_type") ||
              tls_option_set(ad, "ocsp_stapling") || tls_option_set(ad, "renewal_window_ratio");
  if (!opts && !tls_global_acme_defaults(ad))
    return always ? jobj(a) : NULL;
  struct json *ap = jobj(a);
  if (tls_option_set(ad, "key_type"))
    jset(a, ap, "key_type", json_object_get(ad->options, "key_type"));
  if (tls_option_set(ad, "cert_issuer"))
    jset(a, ap, "issuers", json_clone(a, json_object_get(ad->options, "cert_issuer")));
  else if (tls_option_set(ad, "local_certs")) {
    struct json *list = jarr(a), *internal = jobj(a);
    jset(a, internal, "module", jstr(a, "internal", (struct srcpos){0}));
    jpush(a, list, internal);
    jset(a, ap, "issuers", list);
  }
  struct json *issuers = json_object_get(ap, "issuers");
  for (size_t i = 0; issuers && tls_global_acme_defaults(ad) && i < issuers->count; i++)
    if (tls_fill_acme(ad, issuers->items[i]) < 0)
      return NULL;
  if (tls_option_set(ad, "ocsp_stapling"))
    jset(a, ap, "disable_ocsp_stapling", json_bool(a, true, json_object_get(ad->options, "ocsp_stapling")->pos));
  if (tls_option_set(ad, "renewal_window_ratio"))
    jset(a, ap, "renewal_window_ratio", json_object_get(ad->options, "renewal_window_ratio"));
  return ap;
}

static bool tls_listen_other_than(struct json *listen, const char *port)
{
  for (size_t i = 0; listen && i < listen->count; i++) {
    const char *l = json_str(listen->items[i]), *colon = strrchr(l, ':');
    if (!colon || strcmp(colon + 1, port))
      return true;
  }
  return false;
}

static bool tls_site_all_http(const struct tls_site *s)
{
  for (size_t i = 0; i < s->nkeys; i++)
    if (strcmp(s->keys[i].scheme, "http"))
      return false;
  return true;
}

static struct json *tls_pile_first(struct site *s, const char *class)
{
  for (size_t i = 0; i < s->pile.count; i++)
    if (!strcmp(s->pile.items[i].class, class))
      return s->pile.items[i].value;
  return NULL;
}

static int tls_str_cmp(const void *x, const void *y)
{
  return strcmp(json_str(*(struct json *const *)x), json_str(*(struct json *const *)y));
}

/* hostsFromKeysNotHTTP, sorted */
static struct json *tls_subjects(struct arena *a, const struct tls_site *s, const char *http_port)
{
  struct json *list = jarr(a);
  for (size_t i = 0; i < s->nkeys; i++) {
    const struct address *k = &s->keys[i];
    if (!*k->host || !strcmp(k->scheme, "http") || !strcmp(k->port, http_port))
      continue;
    bool dup = false;
    for (size_t j = 0; j < list->count; j++)
      dup = dup || !strcmp(json_str(list->items[j]), k->host);
    if (!dup)
      jpush(a, list, jstr(a, k->host, (struct srcpos){0}));
  }
  if (list->count)
    qsort(list->items, list->count, sizeof list->items[0], tls_str_cmp);
  return list;
}

static bool tls_site_hostless(const struct tls_site *s)
{
  for (size_t i = 0; i < s->nkeys; i++)
    if (!*s->keys[i].host)
      return true;
  return false;
}

struct tls_build {
  struct adapt *ad;
  struct json_list policies;
  struct json *catch_all;
  struct json *loaders;
  struct json *forced;   /* hosts of sites with `tls force_automate` */
  const char *http_port;
};

static void tls_push_policy(struct tls_build *b, struct json *ap)
{
  *ARENA_PUSH(b->ad->arena, b->policies.items, b->policies.count, b->policies.cap) = ap;
}

static bool tls_auto_https_has(struct adapt *ad, const char *value)
{
  struct json *opts = json_object_get(ad->options, "auto_https");
  for (size_t i = 0; opts && i < opts->count; i++)
    if (!strcmp(json_str(opts->items[i]), value))
      return true;
  return false;
}

static void tls_add_unique(struct arena *a, struct json *list, const char *host)
{
  for (size_t i = 0; i < list->count; i++)
    if (!strcmp(json_str(list->items[i]), host))
      return;
  jpush(a, list, jstr(a, host, (struct srcpos){0}));
}

/* Hosts beside a hostless key (":443, example.com") are in no route matcher, so
 * automatic HTTPS would not see them: they go to certificates.automate, with the
 * forced names, and the internal ones get an internal-issuer policy. */
static void tls_automate_loader(struct tls_build *b, struct json *certs)
{
  struct arena *a = b->ad->arena;
  struct json *automate = jarr(a), *internal = jarr(a);
  bool shared = !tls_auto_https_has(b->ad, "off") && !tls_auto_https_has(b->ad, "disable_certs");
  for (size_t p = 0; shared && p < b->ad->npairings; p++)
    for (size_t s = 0; s < b->ad->pairings[p].count; s++) {
      const struct tls_site *site = &b->ad->pairings[p].sites[s];
      if (!tls_site_hostless(site))
        continue;
      for (size_t i = 0; i < site->nkeys; i++) {
        const struct address *k = &site->keys[i];
        if (!*k->host || !strcmp(k->scheme, "http") || !strcmp(k->port, b->http_port))
          continue;
        tls_add_unique(a, automate, k->host);
        if (!hostname_qualifies_for_public_cert(k->host))
          tls_add_unique(a, internal, k->host);
      }
    }
  for (size_t i = 0; i < b->forced->count; i++)
    tls_add_unique(a, automate, json_str(b->forced->items[i]));
  if (automate->count) {
    qsort(automate->items, automate->count, sizeof automate->items[0], tls_str_cmp);
    jset(a, certs, "automate", automate);
  }
  if (internal->count) {
    struct json *ap = jobj(a), *issuers = jarr(a), *iss = jobj(a);
    jset(a, iss, "module", jstr(a, "internal", (struct srcpos){0}));
    jpush(a, issuers, iss);
    jset(a, ap, "subjects", internal);
    jset(a, ap, "issuers", issuers);
    tls_push_policy(b, ap);
  }
}

/* The site's own issuers, managers, key type, ... onto its policy. */
static int tls_site_settings(struct tls_build *b, struct json *ap, struct site *s)
{
  struct arena *a = b->ad->arena;
  if (tls_pile_first(s, "tls.on_demand"))
    jset(a, ap, "on_demand", tls_pile_first(s, "tls.on_demand"));
  if (tls_pile_first(s, "tls.reuse_private_keys"))
    jset(a, ap, "reuse_private_keys", tls_pile_first(s, "tls.reuse_private_keys"));
  if (tls_pile_first(s, "tls.key_type"))
    jset(a, ap, "key_type", tls_pile_first(s, "tls.key_type"));
  struct json *ratio = tls_pile_first(s, "tls.renewal_window_ratio");
  if (ratio || tls_option_set(b->ad, "renewal_window_ratio"))
    jset(a, ap, "renewal_window_ratio", ratio ? ratio : json_object_get(b->ad->options, "renewal_window_ratio"));
  struct json *issuers = jarr(a), *managers = jarr(a);
  for (size_t i = 0; i < s->pile.count; i++) {
    const char *class = s->pile.items[i].class;
    if (!strcmp(class, "tls.cert_issuer"))
      jpush(a, issuers, json_clone(a, s->pile.items[i].value));
    else if (!strcmp(class, "tls.cert_manager"))
      jpush(a, managers, s->pile.items[i].value);
    else if (!strcmp(class, "tls.cert_loader"))
      jpush(a, b->loaders, s->pile.items[i].value);
  }
  if (issuers->count) {
    struct json *old = json_object_get(ap, "issuers");
    if (ap == b->catch_all && !(old && json_equal(old, issuers)))
      return fe_fail(b->ad->err, (struct srcpos){0}, "automation policy from site block is also default/catch-all "
                     "policy because of key without hostname, and the two are in conflict");
    jset(a, ap, "issuers", issuers);
  }
  if (managers->count)
    jset(a, ap, "get_certificate", managers);
  return 0;
}

/* Public and internal names of one site without issuers get separate policies. */
static struct json *tls_split_internal(struct tls_build *b, struct json *ap)
{
  struct arena *a = b->ad->arena;
  struct json *subj = json_object_get(ap, "subjects");
  if (json_object_get(ap, "issuers") || !subj)
    return NULL;
  struct json *ext = jarr(a), *in = jarr(a);
  bool on_demand = json_object_get(ap, "on_demand") != NULL;
  for (size_t i = 0; i < subj->count; i++) {
    const char *s = json_str(subj->items[i]);
    jpush(a, hostname_qualifies_for_public_cert(s) || (on_demand && !hostname_is_internal(s)) ? ext : in, subj->items[i]);
  }
  if (!ext->count || !in->count)
    return NULL;
  jset(a, ap, "subjects", ext);
  struct json *ap2 = json_clone(a, ap), *issuers = jarr(a), *internal = jobj(a);
  jset(a, ap2, "subjects", in);
  jset(a, internal, "module", jstr(a, "internal", (struct srcpos){0}));
  jpush(a, issuers, internal);
  jset(a, ap2, "issuers", issuers);
  return ap2;
}

static int tls_site_policy(struct tls_build *b, const struct tls_site *s)
{
  struct json *ap = tls_base_policy(b->ad, true);
  if (!ap)
    return -1;
  bool hostless = tls_site_hostless(s);
  if (hostless && b->catch_all)
    ap = b->catch_all;
  if (tls_site_settings(b, ap, s->site) < 0)
    return -1;
  if (tls_pile_first(s->site, "tls.force_automate") && !hostless)
    for (size_t i = 0; i < s->nkeys; i++)
      tls_add_unique(b->ad->arena, b->forced, s->keys[i].host);
  struct json *issuers = json_object_get(ap, "issuers");
  for (size_t i = 0; i < s->site->pile.count; i++)
    if (!strcmp(s->site->pile.items[i].class, "bind"))
      for (size_t k = 0; issuers && k < issuers->count; k++)
        if (!strcmp(json_str(json_object_get(issuers->items[k], "module")), "acme")) {
          struct json *ch = jget_or_new(b->ad->arena, issuers->items[k], "challenges", JSON_OBJECT);
          struct json *addrs = json_object_get(s->site->pile.items[i].value, "addresses");
          if (!json_object_get(ch, "bind_host") && addrs && addrs->count)
            jset(b->ad->arena, ch, "bind_host", addrs->items[0]);
        }
  if (hostless && !b->catch_all)
    b->catch_all = ap;
  struct json *subjects = tls_subjects(b->ad->arena, s, b->http_port);
  if (subjects->count)
    jset(b->ad->arena, ap, "subjects", subjects);
  else
    json_object_delete(ap, "subjects");
  struct json *ap2 = tls_split_internal(b, ap);
  tls_push_policy(b, ap);
  if (ap2)
    tls_push_policy(b, ap2);
  return 0;
}

size_t tls_policies_consolidate(struct arena *a, struct json **items, size_t n);

/* Policies with no issuers for public names get the default issuers once global ACME settings exist. */
static void tls_global_defaults(struct tls_build *b)
{
  struct arena *a = b->ad->arena;
  if (!tls_option_set(b->ad, "email") && !tls_global_acme_defaults(b->ad))
    return;
  const char *email = option_str(b->ad, "email");
  for (size_t i = 0; i < b->policies.count; i++) {
    struct json *ap = b->policies.items[i];
    if (json_object_get(ap, "issuers") || !tls_all_public(ap))
      continue;
    struct json *issuers = jarr(a), *acme = jobj(a);
    jset(a, acme, "module", jstr(a, "acme", (struct srcpos){0}));
    if (email)
      jset(a, acme, "email", jstr(a, email, (struct srcpos){0}));
    jpush(a, issuers, acme);
    if (!tls_option_set(b->ad, "acme_ca") && email && *email) {
      struct json *zero = json_clone(a, acme);
      jset(a, zero, "ca", jstr(a, ZEROSSL_ACME_CA, (struct srcpos){0}));
      jpush(a, issuers, zero);
    }
    jset(a, ap, "issuers", issuers);
  }
}

static int tls_finish_policies(struct tls_build *b, struct json *app)
{
  struct arena *a = b->ad->arena;
  static const char *const order[] = {"subjects", "issuers", "get_certificate", "must_staple", "renewal_window_ratio",
                                      "key_type", "storage", "on_demand", "reuse_private_keys",
                                      "disable_ocsp_stapling", NULL};
  for (size_t i = 0; i < b->policies.count; i++) {
    struct json *issuers = json_object_get(b->policies.items[i], "issuers");
    for (size_t k = 0; issuers && k < issuers->count; k++) {
      if (tls_fill_acme(b->ad, issuers->items[k]) < 0)
        return -1;
      json_sort_deep(issuers->items[k]);
    }
    struct json *managers = json_object_get(b->policies.items[i], "get_certificate");
    for (size_t k = 0; managers && k < managers->count; k++)
      json_sort_deep(managers->items[k]);
    json_reorder(a, b->policies.items[i], order);
  }
  size_t n = tls_policies_consolidate(a, b->policies.items, b->policies.count);
  if (!n)
    return 0;
  struct json *list = jarr(a), *automation = jobj(a);
  for (size_t i = 0; i < n; i++)
    jpush(a, list, b->policies.items[i]);
  jset(a, automation, "policies", list);
  jset(a, app, "automation", automation);
  return 0;
}

static int tls_check_overlap(struct tls_build *b, struct json *app)
{
  struct json *list = json_object_get(json_object_get(app, "automation"), "policies");
  for (size_t i = 0; list && i < list->count; i++)
    for (size_t j = 0; j <= i; j++) {
      struct json *si = json_object_get(list->items[i], "subjects"), *sj = json_object_get(list->items[j], "subjects");
      for (size_t x = 0; si && sj && x < si->count; x++)
        for (size_t y = 0; y < sj->count && (i != j || y < x); y++)
          if (!strcmp(json_str(si->items[x]), json_str(sj->items[y])))
            return fe_fail(b->ad->err, (struct srcpos){0}, "hostname appears in more than one automation policy, "
                           "making certificate management ambiguous: %s", json_str(si->items[x]));
    }
  return 0;
}

static void tls_certificates(struct tls_build *b, struct json *app)
{
  struct arena *a = b->ad->arena;
  struct json *certs = jobj(a), *files = jarr(a), *folders = jarr(a);
  for (size_t i = 0; i < b->loaders->count; i++) {
    struct json *l = b->loaders->items[i], *f = json_object_get(l, "@folders");
    for (size_t k = 0; f && k < f->count; k++)
      jpush(a, folders, f->items[k]);
    if (!f)
      jpush(a, files, l);
  }
  tls_automate_loader(b, certs);
  if (files->count)
    jset(a, certs, "load_files", files);
  if (folders->count)
    jset(a, certs, "load_folders", folders);
  if (certs->count) {
    json_sort_deep(certs);
    jset(a, app, "certificates", certs);
  }
}

/* on_demand_tls and the ocsp, renew and storage-clean intervals into the automation
 * object (in Go's field order); the app's disable_* switches after it */
static void tls_automation_options(struct adapt *ad, struct json *app)
{
  struct arena *a = ad->arena;
  static const char *const names[][2] = {{"on_demand_tls", "on_demand"}, {"ocsp_interval", "ocsp_interval"},
                                         {"renew_interval", "renew_interval"},
                                         {"storage_clean_interval", "storage_clean_interval"}};
  for (int i = 0; i < 4; i++) {
    struct json *v = json_object_get(ad->options, names[i][0]);
    if (v && v->kind != JSON_BOOL)   /* storage_clean_interval off is false: disable_storage_clean */
      jset(a, jget_or_new(a, app, "automation", JSON_OBJECT), names[i][1], v);
  }
  /* each switch carries the option's position, where lowering would refuse it */
  struct json *ocsp = json_object_get(ad->options, "ocsp_stapling");
  if (ocsp)
    jset(a, app, "disable_ocsp_stapling", json_bool(a, true, ocsp->pos));
  struct json *check = json_object_get(ad->options, "storage_check");
  if (check)
    jset(a, app, "disable_storage_check", json_bool(a, true, check->pos));
  struct json *clean = json_object_get(ad->options, "storage_clean_interval");
  if (clean && clean->kind == JSON_BOOL)
    jset(a, app, "disable_storage_clean", json_bool(a, true, clean->pos));
}

struct json *tls_app_build(struct adapt *ad, struct site_list *sites, struct json *servers)
{
  (void)sites;
  (void)servers;
  struct arena *a = ad->arena;
  struct tls_build b = {.ad = ad, .loaders = jarr(a), .forced = jarr(a)};
  b.http_port = arena_printf(a, "%lld", option_int(ad, "http_port", 80));
  b.catch_all = tls_base_policy(ad, false);
  if (!b.catch_all && ad->err->msg)
    return NULL;
  if (b.catch_all)
    tls_push_policy(&b, b.catch_all);
  for (size_t p = 0; p < ad->npairings; p++) {
    if (!tls_listen_other_than(ad->pairings[p].listen, b.http_port))
      continue;
    for (size_t s = 0; s < ad->pairings[p].count; s++)
      if (!tls_site_all_http(&ad->pairings[p].sites[s]) && tls_site_policy(&b, &ad->pairings[p].sites[s]) < 0)
        return NULL;
  }
  struct json *app = jobj(a);
  tls_certificates(&b, app);
  tls_global_defaults(&b);
  if (tls_finish_policies(&b, app) < 0)
    return NULL;
  tls_automation_options(ad, app);
  if (tls_check_overlap(&b, app) < 0)
    return NULL;
  struct json *dns = json_object_get(ad->options, "dns");
  if (dns)
    jset(a, app, "dns", dns);
  struct json *resolvers = json_object_get(ad->options, "tls_resolvers");
  if (resolvers)
    jset(a, app, "resolvers", resolvers);
  return app->count ? app : NULL;
}


/* ---- servers: automatic_https options and TLS connection policies ---- */

void servers_apply_auto_https(struct adapt *ad, struct json *srv)
{
  struct json *opts = json_object_get(ad->options, "auto_https");
  for (size_t i = 0; opts && i < opts->count; i++) {
    const char *v = json_str(opts->items[i]);
    static const char *const map[][2] = {{"off", "disable"}, {"disable_redirects", "disable_redirects"},
                                         {"disable_certs", "disable_certificates"},
                                         {"ignore_loaded_certs", "ignore_loaded_certificates"},
                                         {"prefer_wildcard", "prefer_wildcard"}};
    for (int k = 0; k < 5; k++)
      if (!strcmp(v, map[k][0]))
        jset(ad->arena, jget_or_new(ad->arena, srv, "automatic_https", JSON_OBJECT), map[k][1], jbool(ad->arena, true));
  }
}
