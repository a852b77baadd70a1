/* Automation policy consolidation (consolidateAutomationPolicies): sort
 * most specific first with Go's stable sort, drop empty internal-only
 * policies, merge equal ones, and let a catch-all absorb identical specific
 * policies unless a wildcard policy in between would shadow them. */
#include <string.h>

#include "adapt.h"

/* certmagic.MatchWildcard: labels become '*' one by one from the left */
static bool tls_match_wildcard(struct arena *a, const char *subject, const char *wildcard)
{
  if (!strcmp(subject, wildcard))
    return true;
  if (!strchr(wildcard, '*'))
    return false;
  char *cand = arena_strdup(a, subject);
  for (char *label = cand; *label;) {
    char *end = strchr(label, '.');
    size_t n = end ? (size_t)(end - label) : strlen(label);
    if (n) {
      memmove(label + 1, label + n, strlen(label + n) + 1);
      *label = '*';
      if (!strcmp(cand, wildcard))
        return true;
      n = 1;
    }
    label += n + (label[n] == '.');
  }
  return false;
}

static bool tls_policy_subset(struct arena *ar, struct json *a, struct json *b)
{
  struct json *sa = json_object_get(a, "subjects"), *sb = json_object_get(b, "subjects");
  if (!sb || !sb->count)
    return true;
  if (!sa || !sa->count)
    return false;
  for (size_t i = 0; i < sa->count; i++) {
    bool in = false;
    for (size_t k = 0; k < sb->count && !in; k++)
      in = tls_match_wildcard(ar, json_str(sa->items[i]), json_str(sb->items[k]));
    if (!in)
      return false;
  }
  return true;
}

struct policy_list {
  struct arena *arena;
  struct json **items;
  size_t count;
};

static bool tls_policy_less(void *ctx, size_t i, size_t j)
{
  struct policy_list *l = ctx;
  if (tls_policy_subset(l->arena, l->items[i], l->items[j]))
    return true;
  if (tls_policy_subset(l->arena, l->items[j], l->items[i]))
    return false;
  struct json *si = json_object_get(l->items[i], "subjects"), *sj = json_object_get(l->items[j], "subjects");
  return (si ? si->count : 0) > (sj ? sj->count : 0);
}

static void tls_policy_swap(void *ctx, size_t i, size_t j)
{
  struct policy_list *l = ctx;
  struct json *t = l->items[i];
  l->items[i] = l->items[j];
  l->items[j] = t;
}

static void tls_policy_delete(struct policy_list *l, size_t i)
{
  memmove(&l->items[i], &l->items[i + 1], sizeof l->items[0] * (l->count - i - 1));
  l->count--;
}

/* equal in everything but subjects */
static bool tls_policy_same_settings(struct json *x, struct json *y)
{
  static const char *const keys[] = {"issuers", "get_certificate", "storage", "must_staple", "key_type",
                                     "on_demand", "reuse_private_keys", "renewal_window_ratio"};
  for (int k = 0; k < 8; k++) {
    struct json *a = json_object_get(x, keys[k]), *b = json_object_get(y, keys[k]);
    if ((a == NULL) != (b == NULL) || (a && !json_equal(a, b)))
      return false;
  }
  return true;
}

/* whether ap has nothing but subjects and, if named, that one other key */
static bool tls_policy_only(struct json *ap, const char *other)
{
  for (size_t i = 0; i < ap->count; i++)
    if (strcmp(ap->members[i].key, "subjects") && (!other || strcmp(ap->members[i].key, other)))
      return false;
  return true;
}

static bool tls_policy_empty(struct json *ap)
{
  return tls_policy_only(ap, NULL);
}

static size_t tls_subject_count(struct json *ap)
{
  struct json *s = json_object_get(ap, "subjects");
  return s ? s->count : 0;
}

static long tls_policy_shadows(struct policy_list *l, size_t i)
{
  for (size_t j = i + 1; j < l->count; j++)
    if (tls_policy_subset(l->arena, l->items[i], l->items[j]))
      return (long)j;
  return -1;
}


static void tls_policy_merge_subjects(struct arena *a, struct json *into, struct json *from)
{
  struct json *dst = jget_or_new(a, into, "subjects", JSON_ARRAY), *src = json_object_get(from, "subjects");
  for (size_t k = 0; src && k < src->count; k++) {
    bool dup = false;
    for (size_t q = 0; q < dst->count; q++)
      dup = dup || !strcmp(json_str(dst->items[q]), json_str(src->items[k]));
    if (!dup)
      jpush(a, dst, src->items[k]);
  }
}

/* Returns the consolidated count; items is edited in place. */
size_t tls_policies_consolidate(struct arena *a, struct json **items, size_t n)
{
  struct policy_list l = {a, items, n};
  go_sort_stable(&l, l.count, tls_policy_less, tls_policy_swap);
  size_t empty = 0, orig = l.count;
  /* An empty policy goes when automatic HTTPS covers it anyway: it is the last,
   * or what it shadows is empty too (cert managers allowed there: a wildcard's
   * get_certificate covers its subdomains). One that shadows a configured
   * policy stays, since that is what keeps its names from the wildcard's. */
  for (size_t i = 0; i < l.count; i++)
    if (tls_policy_empty(l.items[i])) {
      empty++;
      long sh = tls_policy_shadows(&l, i);
      if (i == l.count - 1 || (sh >= 0 && tls_policy_only(l.items[sh], "get_certificate")))
        tls_policy_delete(&l, i--);
    }
  if (empty == orig)
    return 0;
  for (size_t i = 0; i < l.count; i++) {
    for (size_t j = i + 1; j < l.count; j++) {
      if (l.items[i] == l.items[j] || json_equal(l.items[i], l.items[j])) {
        tls_policy_delete(&l, j);
        i--;
        break;
      }
      if (!tls_policy_same_settings(l.items[i], l.items[j]))
        continue;
      if (tls_subject_count(l.items[i]) && !tls_subject_count(l.items[j])) {
        if (tls_policy_shadows(&l, i) >= (long)j) {
          tls_policy_delete(&l, i);
          i--;
          break;
        }
      } else {
        tls_policy_merge_subjects(a, l.items[i], l.items[j]);
        tls_policy_delete(&l, j);
        j--;
      }
    }
  }
  return l.count;
}
