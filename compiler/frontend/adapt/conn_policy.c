/* Servers' TLS connection policies (from serversFromPairings): one per
 * `tls` directive with site SNI matchers when it changes a setting, a
 * catch-all policy when some address needs TLS that automatic HTTPS will not
 * cover, then consolidation of equal or SNI-adjacent policies. */
#include <stdlib.h>
#include <string.h>

#include "adapt.h"

void logs_apply_site(struct adapt *ad, struct json *srv, struct site *s, const struct address *keys, size_t nkeys);
void logs_finish_server(struct adapt *ad, struct json *srv);

enum { CP_HAS_CATCH_ALL, CP_AUTO_WILL_ADD, CP_QUALIFIES };

static int cp_str_cmp(const void *x, const void *y)
{
  return strcmp(json_str(*(struct json *const *)x), json_str(*(struct json *const *)y));
}

static bool cp_settings_empty(struct json *cp)
{
  for (size_t i = 0; i < cp->count; i++)
    if (strcmp(cp->members[i].key, "match"))
      return false;
  return true;
}

static bool cp_in_list(struct json *list, const char *s)
{
  for (size_t i = 0; list && i < list->count; i++)
    if (!strcmp(json_str(list->items[i]), s))
      return true;
  return false;
}

/* hostsFromKeys(false): empty when a key has no host */
static struct json *cp_hosts(struct arena *a, const struct address *keys, size_t n)
{
  struct json *hosts = jarr(a);
  for (size_t i = 0; i < n; i++) {
    if (!*keys[i].host)
      return jarr(a);
    if (!cp_in_list(hosts, keys[i].host))
      jpush(a, hosts, jstr(a, keys[i].host, (struct srcpos){0}));
  }
  return hosts;
}

static void cp_site_policies(struct adapt *ad, struct json *srv, struct site *s, const struct address *keys, size_t nkeys,
                             bool *state)
{
  struct arena *a = ad->arena;
  const char *def_sni = option_str(ad, "default_sni"), *fb_sni = option_str(ad, "fallback_sni");
  bool forced = site_pile_count(s, "tls.force_automate") > 0;
  for (size_t i = 0; i < s->pile.count; i++) {
    if (strcmp(s->pile.items[i].class, "tls.connection_policy"))
      continue;
    struct json *cp = json_clone(a, s->pile.items[i].value), *hosts = cp_hosts(a, keys, nkeys);
    for (size_t k = 0; k < hosts->count; k++) {
      const char *hn = json_str(hosts->items[k]);
      if ((def_sni && !strcmp(hn, def_sni)) || (fb_sni && !strcmp(hn, fb_sni))) {
        jset(a, cp, !strcmp(hn, def_sni ? def_sni : "") ? "default_sni" : "fallback_sni", jstr(a, hn, (struct srcpos){0}));
        jpush(a, hosts, jstr(a, "", (struct srcpos){0}));
        break;
      }
    }
    if (hosts->count) {
      qsort(hosts->items, hosts->count, sizeof hosts->items[0], cp_str_cmp);   /* count > 0 here */
      struct json *match = jobj(a);
      jset(a, match, "sni", hosts);
      jset(a, cp, "match", match);
    } else {
      if (def_sni)
        jset(a, cp, "default_sni", jstr(a, def_sni, (struct srcpos){0}));
      if (fb_sni)
        jset(a, cp, "fallback_sni", jstr(a, fb_sni, (struct srcpos){0}));
    }
    /* a policy that changes nothing is still kept for `tls force_automate`
     * names: it sits above a later policy loading a wildcard certificate that
     * would otherwise be chosen for them */
    if (!cp_settings_empty(cp) || (forced && hosts->count)) {
      jpush(a, jget_or_new(a, srv, "tls_connection_policies", JSON_ARRAY), cp);
      state[CP_HAS_CATCH_ALL] = hosts->count == 0;
    }
  }
}

static void cp_site_keys(struct adapt *ad, struct json *srv, struct site *s, const struct address *keys, size_t nkeys,
                         bool *state)
{
  const char *http_port = arena_printf(ad->arena, "%lld", option_int(ad, "http_port", 80));
  const char *https_port = arena_printf(ad->arena, "%lld", option_int(ad, "https_port", 443));
  struct json *ah = json_object_get(srv, "automatic_https");
  for (size_t i = 0; i < nkeys; i++) {
    const struct address *k = &keys[i];
    bool tls_enabled = site_pile_count(s, "tls.connection_policy") > 0 ||
                       (*k->host && !(ah && cp_in_list(json_object_get(ah, "skip"), k->host)));
    if (!strcmp(k->scheme, "https") || (strcmp(k->scheme, "http") && strcmp(k->port, http_port) && tls_enabled))
      state[CP_QUALIFIES] = true;
    state[CP_AUTO_WILL_ADD] = state[CP_AUTO_WILL_ADD] &&
                              (!strcmp(k->port, https_port) || (strcmp(k->port, http_port) && *k->host));
  }
}

int servers_apply_site_extras(struct adapt *ad, struct json *srv, struct site *s, const struct address *keys, size_t nkeys,
                              struct json *listen, bool *state)
{
  (void)listen;
  struct json *all = jget_or_new(ad->arena, srv, "@hosts", JSON_ARRAY);
  for (size_t i = 0; i < nkeys; i++)
    if (*keys[i].host && !cp_in_list(all, keys[i].host))
      jpush(ad->arena, all, jstr(ad->arena, keys[i].host, (struct srcpos){0}));
  cp_site_policies(ad, srv, s, keys, nkeys, state);
  cp_site_keys(ad, srv, s, keys, nkeys, state);
  logs_apply_site(ad, srv, s, keys, nkeys);
  return 0;
}

static bool cp_only_sni(struct json *cp)
{
  struct json *m = json_object_get(cp, "match");
  return m && m->count == 1 && json_object_get(m, "sni");
}

static bool cp_same_settings(struct json *x, struct json *y)
{
  if (x->count != y->count)
    return false;
  for (size_t i = 0; i < x->count; i++) {
    if (!strcmp(x->members[i].key, "match"))
      continue;
    struct json *v = json_object_get(y, x->members[i].key);
    if (!v || !json_equal(v, x->members[i].value))
      return false;
  }
  return true;
}

static void cp_delete(struct json *list, size_t i)
{
  memmove(&list->items[i], &list->items[i + 1], sizeof list->items[0] * (list->count - i - 1));
  list->count--;
}

/* consolidateConnPolicies: equal policies, adjacent SNI-only ones with equal settings, same matchers */
static void cp_consolidate(struct arena *a, struct json *list)
{
  for (size_t i = 0; i < list->count; i++)
    for (size_t j = 0; j < list->count; j++) {
      if (j == i)
        continue;
      if (json_equal(list->items[i], list->items[j])) {
        cp_delete(list, j);
        i--;
        break;
      }
      if (i + 1 == j && cp_only_sni(list->items[i]) && cp_only_sni(list->items[j]) &&
          cp_same_settings(list->items[i], list->items[j])) {
        struct json *si = json_object_get(json_object_get(list->items[i], "match"), "sni");
        struct json *sj = json_object_get(json_object_get(list->items[j], "match"), "sni");
        for (size_t k = 0; k < sj->count; k++)
          jpush(a, si, sj->items[k]);
        cp_delete(list, j);
        i--;
        break;
      }
      struct json *mi = json_object_get(list->items[i], "match"), *mj = json_object_get(list->items[j], "match");
      if ((mi == NULL) == (mj == NULL) && (!mi || json_equal(mi, mj))) {
        for (size_t k = 0; k < list->items[j]->count; k++)
          if (!json_object_get(list->items[i], list->items[j]->members[k].key))
            jset(a, list->items[i], list->items[j]->members[k].key, list->items[j]->members[k].value);
        cp_delete(list, j);
        i--;
        break;
      }
    }
}

static bool cp_wildcard_covers(const char *wildcard, const char *host)
{
  const char *dot = strchr(host, '.');
  return !strncmp(wildcard, "*.", 2) && dot && !strcmp(dot + 1, wildcard + 2) && !strchr(host, '*');
}

static bool cp_host_has_policy(struct json *list, const char *host)
{
  for (size_t i = 0; i < list->count; i++)
    if (cp_in_list(json_object_get(json_object_get(list->items[i], "match"), "sni"), host))
      return true;
  return false;
}

/* A wildcard policy that requires client certificates would also apply to the
 * server's specific names under it; each gets a copy without client auth first. */
static void cp_shield_wildcards(struct arena *a, struct json *list, struct json *hosts)
{
  for (size_t i = 0; i < list->count; i++) {
    struct json *cp = list->items[i], *sni = json_object_get(json_object_get(cp, "match"), "sni");
    if (!json_object_get(cp, "client_authentication") || !sni)
      continue;
    struct json *covered = jarr(a);
    for (size_t h = 0; hosts && h < hosts->count; h++)
      for (size_t k = 0; k < sni->count; k++)
        if (cp_wildcard_covers(json_str(sni->items[k]), json_str(hosts->items[h])) &&
            !cp_host_has_policy(list, json_str(hosts->items[h])) && !cp_in_list(covered, json_str(hosts->items[h])))
          jpush(a, covered, hosts->items[h]);
    if (!covered->count)
      continue;
    qsort(covered->items, covered->count, sizeof covered->items[0], cp_str_cmp);
    struct json *shield = json_clone(a, cp), *match = jobj(a);
    json_object_delete(shield, "client_authentication");
    jset(a, match, "sni", covered);
    jset(a, shield, "match", match);
    jpush(a, list, shield);
    memmove(&list->items[i + 1], &list->items[i], sizeof list->items[0] * (list->count - i - 1));
    list->items[i] = shield;
    i++;
  }
}

void servers_finish_tls(struct adapt *ad, struct json *srv, bool *state)
{
  struct arena *a = ad->arena;
  const char *def_sni = option_str(ad, "default_sni"), *fb_sni = option_str(ad, "fallback_sni");
  struct json *list = json_object_get(srv, "tls_connection_policies");
  if (list)
    cp_shield_wildcards(a, list, json_object_get(srv, "@hosts"));
  json_object_delete(srv, "@hosts");
  if (state[CP_QUALIFIES] && !state[CP_HAS_CATCH_ALL] &&
      ((list && list->count) || !state[CP_AUTO_WILL_ADD] || def_sni || fb_sni)) {
    struct json *cp = jobj(a);
    if (def_sni)
      jset(a, cp, "default_sni", jstr(a, def_sni, (struct srcpos){0}));
    if (fb_sni)
      jset(a, cp, "fallback_sni", jstr(a, fb_sni, (struct srcpos){0}));
    list = jget_or_new(a, srv, "tls_connection_policies", JSON_ARRAY);
    jpush(a, list, cp);
  }
  static const char *const order[] = {"match", "certificate_selection", "cipher_suites", "curves", "alpn",
                                      "protocol_min", "protocol_max", "client_authentication", "default_sni",
                                      "fallback_sni", "insecure_secrets_log", NULL};
  if (list) {
    cp_consolidate(a, list);
    for (size_t i = 0; i < list->count; i++)
      json_reorder(a, list->items[i], order);
  }
  logs_finish_server(ad, srv);
}
