/* The runtime config the blob carries: servers and their listeners and TLS
 * policies, the certificates and TLS app settings, and the file_server and
 * reverse_proxy records that generated code names by index in its actions. Built from the lowered records: lowering has checked and
 * extracted every value, so nothing here is refused. */
#include <string.h>

#include "cg.h"

static void config_tls_policy(struct cg *cg, unsigned server, const struct lowered_tls_policy *lp)
{
  struct site_tls_policy *p = ARENA_PUSH(cg->a, cg->config->tls_policies, cg->config->tls_policy_count,
                                         cg->config->tls_policy_cap);
  *p = (struct site_tls_policy){
    .server = server, .default_sni_str = lp->default_sni,
    .sni_str = lp->sni, .sni_str_count = lp->sni_count, .tag_str = lp->tags, .tag_str_count = lp->tag_count,
    .alpn_str = lp->alpn, .alpn_str_count = lp->alpn_count,
    .cipher_str = lp->ciphers, .cipher_str_count = lp->cipher_count,
    .curve_str = lp->curves, .curve_str_count = lp->curve_count,
    .trust_file_str = lp->trust_files, .trust_file_str_count = lp->trust_file_count,
    .trust_pem_str = lp->trust_pems, .trust_pem_str_count = lp->trust_pem_count,
    .protocol_min = (uint16_t)lp->protocol_min, .protocol_max = (uint16_t)lp->protocol_max,
    .client_auth = (uint16_t)lp->client_auth, .flags = lp->sni_none ? ZS_POLICY_SNI_NONE : 0,
  };
}

/* the certificates and the TLS app row, once per config */
void config_tls(struct cg *cg, const struct lowered_config *cfg)
{
  for (size_t i = 0; i < cfg->cert_count; i++) {
    const struct lowered_tls_cert *c = &cfg->certs[i];
    struct site_tls_cert *t = ARENA_PUSH(cg->a, cg->config->tls_certs, cg->config->tls_cert_count,
                                         cg->config->tls_cert_cap);
    *t = (struct site_tls_cert){
      .chain_str = c->chain, .key_str = c->key, .name_str = c->names, .name_str_count = c->name_count,
      .tag_str = c->tags, .tag_str_count = c->tag_count,
      .flags = (c->internal ? ZS_CERT_INTERNAL : 0) | (c->folder ? ZS_CERT_FOLDER : 0) | (c->acme ? ZS_CERT_ACME : 0),
      .key_type = c->key_type, .issuer = (uint16_t)c->issuer, .issuer_count = (uint16_t)c->issuer_count,
    };
  }
  for (size_t i = 0; i < cfg->acme_issuer_count; i++) {
    const struct lowered_acme_issuer *a = &cfg->acme_issuers[i];
    struct site_acme_issuer *t = ARENA_PUSH(cg->a, cg->config->acme_issuers, cg->config->acme_issuer_count,
                                            cg->config->acme_issuer_cap);
    *t = (struct site_acme_issuer){
      .ca_str = a->ca, .email_str = a->email, .root_file_str = a->root_files, .root_file_str_count = a->root_file_count,
      .flags = (a->no_http01 ? ZS_ACME_NO_HTTP01 : 0) | (a->no_tlsalpn01 ? ZS_ACME_NO_TLSALPN01 : 0),
    };
  }
  if (cfg->http_app.grace_ms || cfg->http_app.shutdown_delay_ms)
    *ARENA_PUSH(cg->a, cg->config->http_apps, cg->config->http_app_count, cg->config->http_app_cap) =
      (struct site_http_app){.grace_ms = cfg->http_app.grace_ms, .shutdown_delay_ms = cfg->http_app.shutdown_delay_ms};
  if (!cfg->tls_app.present)
    return;
  struct site_tls_app *app = ARENA_PUSH(cg->a, cg->config->tls_apps, cg->config->tls_app_count,
                                        cg->config->tls_app_cap);
  *app = (struct site_tls_app){
    .storage_str = cfg->tls_app.storage, .ca_name_str = cfg->tls_app.ca_name,
    .leaf_lifetime = cfg->tls_app.leaf_lifetime, .renew_interval = cfg->tls_app.renew_interval,
    .flags = cfg->tls_app.skip_install_trust ? ZS_TLS_SKIP_INSTALL_TRUST : 0,
  };
}

void config_server(struct cg *cg, const struct lowered_server *srv)
{
  for (size_t i = 0; i < srv->listener_count; i++) {
    struct site_listener *l = ARENA_PUSH(cg->a, cg->config->listeners, cg->config->listener_count,
                                         cg->config->listener_cap);
    l->host_str = srv->listeners[i].host;
    l->port = (uint16_t)srv->listeners[i].port;
    l->server = srv->index;
  }
  struct site_server *s = ARENA_PUSH(cg->a, cg->config->servers, cg->config->server_count, cg->config->server_cap);
  s->name_str = arena_strdup(cg->a, srv->name);
  s->entry = srv->index;   /* the writer emits one entry per server, in server order */
  s->entry_symbol = arena_printf(cg->a, "zs_entry_srv%u", srv->index);
  s->errors_symbol = srv->has_errors ? arena_printf(cg->a, "zs_entry_srv%u_errors", srv->index) : NULL;
  s->flags = (srv->tls ? ZS_SERVER_TLS : 0) | (srv->tls && srv->strict_sni ? ZS_SERVER_STRICT_SNI : 0) |
             (srv->h2c ? ZS_SERVER_H2C : 0) | (srv->no_h2 ? ZS_SERVER_NO_H2 : 0);
  s->read_header_ms = srv->read_header_ms;
  s->trusted_str = srv->trusted;
  s->trusted_str_count = srv->trusted_count;
  s->idle_ms = srv->idle_ms;
  for (size_t i = 0; i < srv->policy_count; i++)
    config_tls_policy(cg, srv->index, &srv->policies[i]);
  for (size_t i = 0; i < srv->access_log_count; i++) {
    const struct lowered_access_log *la = &srv->access_logs[i];
    struct site_access_log *a = ARENA_PUSH(cg->a, cg->config->access_logs, cg->config->access_log_count,
                                           cg->config->access_log_cap);
    *a = (struct site_access_log){.server = srv->index, .host_str = la->host, .name_str = la->name,
                                  .loggers = la->loggers, .flags = la->skip ? ZS_ACCESS_SKIP : 0};
  }
}

/* the logging app's loggers, once per config */
void config_regexes(struct cg *cg, const struct lowered_config *cfg)
{
  for (size_t i = 0; i < cfg->regex_count; i++) {
    struct site_regex *r = ARENA_PUSH(cg->a, cg->config->regexes, cg->config->regex_count, cg->config->regex_cap);
    *r = (struct site_regex){.pattern_str = cfg->regexes[i].pattern, .name = cfg->regexes[i].name};
  }
}

void config_loggers(struct cg *cg, const struct lowered_config *cfg)
{
  for (size_t i = 0; i < cfg->logger_count; i++) {
    const struct lowered_logger *g = &cfg->loggers[i];
    struct site_logger *r = ARENA_PUSH(cg->a, cg->config->loggers, cg->config->logger_count, cg->config->logger_cap);
    *r = (struct site_logger){.name_str = g->name, .path_str = g->path ? g->path : "", .output = (uint16_t)g->output,
                              .format = (uint16_t)g->format, .level = (uint16_t)g->level, .mode = (uint16_t)g->mode,
                              .roll_size_mb = g->roll_size_mb, .roll_keep = g->roll_keep,
                              .roll_keep_days = g->roll_keep_days,
                              .flags = (!g->roll_size_mb ? 0
                                        : (g->roll_plain ? 0 : ZS_LOGGER_ROLL_GZIP) |
                                            (g->roll_local_time ? ZS_LOGGER_ROLL_LOCAL_TIME : 0)) |
                                       (g->time_local ? ZS_LOGGER_TIME_LOCAL : 0),
                              .msg_key_str = g->msg_key, .level_key_str = g->level_key, .time_key_str = g->time_key,
                              .name_key_str = g->name_key, .line_ending_str = g->line_ending,
                              .time_layout_str = g->time_layout ? g->time_layout : "",
                              .time_format = (uint16_t)g->time_format, .duration_format = (uint16_t)g->duration_format,
                              .level_format = (uint16_t)g->level_format};
  }
}

/* the file_server's record; its index */
unsigned config_file_server(struct cg *cg, const struct lowered_file_server *fs)
{
  static const char *default_index[] = {"index.html", "index.txt", NULL};
  if (cg->config->file_server_count == 0)
    config_mime(cg);
  struct site_file_server *f = ARENA_PUSH(cg->a, cg->config->file_servers, cg->config->file_server_count,
                                          cg->config->file_server_cap);
  f->root_str = fs->root_const ? fs->root_const : ".";
  f->index_str = fs->has_index ? fs->index_names : default_index;
  f->index_str_count = fs->has_index ? fs->index_count : 2;
  f->hide_str = fs->hide;
  f->hide_str_count = fs->hide_count;
  f->status = (unsigned)fs->status;
  f->flags = (fs->no_canonical ? ZS_FILE_NO_CANONICAL : 0) | (fs->browse ? ZS_FILE_BROWSE : 0);
  f->precompressed_str = fs->precompressed;
  f->precompressed_str_count = fs->precompressed_count;
  f->file_limit = (unsigned)fs->file_limit;
  return (unsigned)(cg->config->file_server_count - 1);
}

/* the encode handler's record; its index */
unsigned config_encoder(struct cg *cg, const struct lowered_encode *e)
{
  struct site_encoder *r = ARENA_PUSH(cg->a, cg->config->encoders, cg->config->encoder_count,
                                      cg->config->encoder_cap);
  *r = (struct site_encoder){
    .flags = (e->gzip ? ZS_ENC_GZIP : 0u) | (e->zstd ? ZS_ENC_ZSTD : 0u) |
             (e->zstd_no_checksum ? ZS_ENC_ZSTD_NO_CHECKSUM : 0u),
    .gzip_level = (uint16_t)e->gzip_level, .zstd_level = (uint16_t)e->zstd_level, .min_length = e->min_length,
    .prefer_str = e->prefer, .prefer_str_count = e->prefer_count,
    .status_str = e->statuses, .status_str_count = e->status_count,
    .header_str = e->headers, .header_str_count = e->header_count,
  };
  return (unsigned)(cg->config->encoder_count - 1);
}

