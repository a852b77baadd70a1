/* The remote_ip matcher: its ranges parsed here as netip.ParsePrefix and
 * ParseAddr parse them, packed for the runtime's ip_match helper (abi
 * ZS_IP_RANGE_SIZE bytes each: family 4 or 6, prefix bits, 16 address bytes). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

bool lower_ip_range(const char *s, unsigned char *out)
{
  char addr[64];
  const char *slash = strchr(s, '/');
  size_t n = slash ? (size_t)(slash - s) : strlen(s);
  if (n == 0 || n >= sizeof addr || memchr(s, '%', n))
    return false;
  memcpy(addr, s, n);
  addr[n] = '\0';
  memset(out, 0, ZS_IP_RANGE_SIZE);
  unsigned max;
  if (inet_pton(AF_INET, addr, out + 2) == 1) {
    out[0] = 4;
    max = 32;
  } else if (inet_pton(AF_INET6, addr, out + 2) == 1) {
    out[0] = 6;
    max = 128;
  } else {
    return false;
  }
  unsigned bits = max;
  if (slash) {
    char *end;
    unsigned long b = strtoul(slash + 1, &end, 10);
    if (!slash[1] || *end || b > max || (slash[1] == '0' && slash[2]))
      return false;
    bits = (unsigned)b;
  }
  out[1] = (unsigned char)bits;
  return true;
}

static int lower_ip_ranges(struct lower *l, const struct json *v, void *record)
{
  struct lowered_matcher *m = record;
  if (!lower_items(l, v, 1, "remote_ip ranges that are not a list"))
    return -1;
  unsigned char *packed = arena_alloc(l->a, v->count * ZS_IP_RANGE_SIZE + 1);
  for (size_t i = 0; i < v->count; i++) {
    const char *s = lower_string(l, v->items[i], "remote_ip range");
    if (!s || !lower_ip_range(s, packed + i * ZS_IP_RANGE_SIZE)) {
      if (s)
        lower_refuse(l, v->items[i], "remote_ip range '%s'", s);
      return -1;
    }
  }
  m->ranges = packed;
  m->ranges_len = v->count * ZS_IP_RANGE_SIZE;
  return 0;
}

static const struct lower_key lower_ip_keys[] = {
  {"ranges", NULL, lower_ip_ranges}, {"forwarded", "forwarded", lower_key_refused}, {NULL, NULL, NULL},
};

int lower_match_remote_ip(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  return lower_object_keys(l, v, lower_ip_keys, "remote_ip matcher", out);
}
