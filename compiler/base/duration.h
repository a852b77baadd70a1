/* Go's time.ParseDuration plus Caddy's "d" for days. */
#ifndef ZSC_BASE_DURATION_H
#define ZSC_BASE_DURATION_H

/* 0 with *ns set, or -1 for text Go would refuse */
int go_parse_duration(const char *s, long long *ns);

#endif
