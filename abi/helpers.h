/* Helper ids, header ops and action codes as C constants, from helpers.def and vars.def. */
#ifndef ZS_ABI_HELPERS_H
#define ZS_ABI_HELPERS_H

enum zs_helper_id {
#define ZS_HELPER(id, name, args, doc) ZS_HELPER_##name = id,
#include "helpers.def"
#undef ZS_HELPER
  ZS_HELPER_COUNT
};

enum zs_var_id {
#define ZS_VAR(id, name, placeholder, settable) ZS_VAR_##name = id,
#include "vars.def"
#undef ZS_VAR
  ZS_VAR_COUNT
};

/* the user variables: ids ZS_VAR_USER_FIRST .. + ZS_VAR_USER_COUNT - 1 */
#define ZS_VAR_USER_FIRST ZS_VAR_user0
#define ZS_VAR_USER_COUNT 16

enum zs_buf_slot { ZS_BUF_BODY = 0, ZS_BUF_VALUE = 1, ZS_BUF_COUNT };

/* buf_var_escaped: how a value is escaped */
enum zs_escape {
  ZS_ESC_NONE = 0,
  ZS_ESC_QUERY = 1,            /* Go's url.QueryEscape */
  ZS_ESC_PATH = 2,             /* Go's url.PathEscape, '/' kept (a file matcher's relative path) */
  ZS_ESC_KNOWN = 3,            /* as it is, but a variable not set is its placeholder (Caddy's ReplaceKnown) */
};

/* buf_field: which request field; the name or index says which one */
enum zs_field {
  ZS_FIELD_HEADER = 1,         /* {http.request.header.NAME}: every value, joined by "," */
  ZS_FIELD_QUERY = 2,          /* {http.request.uri.query.NAME}: every value decoded, joined by "," */
  ZS_FIELD_COOKIE = 3,         /* {http.request.cookie.NAME}: the first cookie of that name, any case */
  ZS_FIELD_PATH_PART = 4,      /* {http.request.uri.path.N}: segment N of the path */
  ZS_FIELD_ORIG_PATH_PART = 5, /* {http.request.orig_uri.path.N} */
  ZS_FIELD_HOST_LABEL = 6,     /* {http.request.host.labels.N}: label N from the right, lowercased */
};

/* file_begin: the file matcher's try_policy; file_try flags */
enum zs_file_policy {
  ZS_FILE_FIRST_EXIST = 0, ZS_FILE_LARGEST = 1, ZS_FILE_SMALLEST = 2, ZS_FILE_RECENT = 3,
  ZS_FILE_FIRST_EXIST_FALLBACK = 4,   /* first_exist, but the last candidate is taken unseen */
};
#define ZS_FILE_DIR  1u          /* the candidate ends in '/': only a directory matches */
#define ZS_FILE_LAST 2u          /* the last candidate */

/* uri_set flags, and the bytes that mark a query's components (Caddy's
 * buildQueryString decides at run time which '&' it writes) */
enum zs_uri_flags { ZS_URI_PATH = 1, ZS_URI_QUERY = 2, ZS_URI_KEEP_QUERY = 4 /* the uri's own query is not empty */ };
#define ZS_QUERY_KEY   '\x01'    /* a key follows ('&' when both sides have bytes) */
#define ZS_QUERY_VALUE '\x02'    /* a value follows ('=') */

/* ip_match: each range is family (4 or 6), prefix bits, 16 address bytes */
#define ZS_IP_RANGE_SIZE 18


/* basic_auth: the packed accounts are an algorithm byte, then per account a
 * 16-bit little-endian username length, the username, an 8-bit hash length
 * and the hash (Modular Crypt Format); the results */
enum zs_auth_algorithm { ZS_AUTH_BCRYPT = 1 };
enum zs_auth_result { ZS_AUTH_FAIL = 0, ZS_AUTH_OK = 1, ZS_AUTH_PENDING = 2 };

/* base64: which alphabet, and which way (url: RFC 4648 section 5, unpadded
 * when encoding, padding optional when decoding) */
enum zs_base64 { ZS_B64_ENCODE = 0, ZS_B64_ENCODE_URL = 1, ZS_B64_DECODE = 2, ZS_B64_DECODE_URL = 3 };

/* time_now units */
enum zs_time_unit { ZS_TIME_UNIX_S = 0, ZS_TIME_UNIX_MS = 1, ZS_TIME_MONO_MS = 2 };

/* resp_header ops, in Caddy's header handler terms: the op, then at most one
 * target bit (none: the response; REQ: the request; UP: the request sent upstream, header_up;
 * DOWN: the upstream's response, header_down); REPLACE names its search, the
 * proxy record's replace_str entry, by index << ZS_HDR_INDEX_SHIFT */
enum zs_header_op { ZS_HDR_SET = 0, ZS_HDR_ADD = 1, ZS_HDR_DELETE = 2, ZS_HDR_REPLACE = 3,
                    /* a deferred handler's `require` (Caddy's response matcher), one condition per op,
                     * before the ops it guards (flagged ZS_HDR_REQUIRED): the header is absent / is
                     * present / the status is the op's value (a code, or 1-5 for a class) */
                    ZS_HDR_REQUIRE_ABSENT = 4, ZS_HDR_REQUIRE_PRESENT = 5, ZS_HDR_REQUIRE_STATUS = 6 };
#define ZS_HDR_OP_MASK     0x7u
#define ZS_HDR_REQ         0x08u     /* the request itself (the headers handler's request ops): add, set,
                                        delete, applied at once; later handlers and an upstream see it */
#define ZS_HDR_UP          0x10u
#define ZS_HDR_DOWN        0x20u
#define ZS_HDR_DEFERRED    0x40u     /* a deferred op of the response: it is lost when a handler errors */
#define ZS_HDR_REQUIRED    0x80u     /* applied only if the conditions just before its ops all hold (any
                                        one of the status conditions) */
#define ZS_HDR_INDEX_SHIFT 8
#define ZS_HDR_MAX_INDEX   255u

/* An entry returns what the runtime should do: (kind | id << 8), where id
 * indexes the blob config's table for that kind. */
enum zs_action_kind {
  ZS_ACT_NEXT = 0,      /* no handler took the request: Caddy's empty 200 */
  ZS_ACT_RESPOND = 1,   /* status, headers and body built with the helpers */
  ZS_ACT_FILE = 2,      /* id: file_server record */
  ZS_ACT_PROXY = 3,     /* id: reverse_proxy record */
  ZS_ACT_ABORT = 4,     /* abort: close the connection, no response */
  ZS_ACT_RESPOND_CLOSE = 5,   /* respond ... close: as RESPOND, then close the connection */
  ZS_ACT_ERROR = 6,     /* the error handler: an error of the status set, its message the body; the
                         * server's error routes (or the empty answer with that status) take over */
  ZS_ACT_AUTH_WAIT = 7, /* basic_auth returned ZS_AUTH_PENDING: the runtime verifies the password
                           off the worker, then runs the program again from the start */
};
#define ZS_ACTION(kind, id) ((unsigned long long)(kind) | ((unsigned long long)(id) << 8))
#define ZS_ACTION_KIND(r)   ((unsigned)((r) & 0xff))
#define ZS_ACTION_ID(r)     ((unsigned)(((r) >> 8) & 0xffffff))

/* trap codes reported when a request is stopped */
enum zs_trap_code {
  ZS_TRAP_FAULT = 1,    /* access to an unmapped or read-only cage page */
  ZS_TRAP_BUDGET = 2,   /* back-edge/call poll budget exhausted (runaway loop) */
  ZS_TRAP_DEPTH = 3,    /* call depth above ZS_MAX_CALL_DEPTH */
  ZS_TRAP_HELPER = 4,   /* unknown helper id at run time */
};

#endif
