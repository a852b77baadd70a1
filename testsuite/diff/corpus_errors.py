"""The handle_errors and error configurations of the differential test: a
handler's error (error, file_server's 404) answered by the error routes,
whose own matchers are expressions on {http.error.*}."""
from corpus import config
from rawreq import R, get

config("errors-routes", """
:{PORT} {
	root * {ROOT}
	header X-Plain yes
	header -Server
	error /boom "boom here" 418
	error /bare 503
	error /plain "plain oops"
	file_server
	handle_errors {
		@gone expression `{http.error.status_code} == 404`
		respond @gone "gone {err.status_code} {err.status_text} {err.message}" 404
		@teapot expression {err.status_code} == 418
		respond @teapot "teapot: {err.message}"
		@five expression `{err.status_code} >= 500 && {method} != "HEAD"`
		respond @five "five {err.status_code} [{err.message}]" {err.status_code}
	}
}""", [
    get("found", "/doc.txt"),
    get("missing", "/nope.txt"),
    R("missing-head", "HEAD", "/nope.txt"),
    get("boom", "/boom"),
    get("boom-query", "/boom?x=1"),
    get("bare", "/bare"),
    R("bare-head", "HEAD", "/bare"),
    get("plain", "/plain"),
    get("hidden-dir", "/sub/nothing/here"),
])

config("errors-rewrite-files", """
:{PORT} {
	root * {ROOT}
	error /forbidden 403
	rewrite /old /nope-again
	handle_errors {
		rewrite * /sub/{err.status_code}.html
		file_server
	}
	file_server
}""", [
    get("ok", "/index.html"),
    get("missing-page-missing", "/none"),
    get("rewritten-missing", "/old"),
    get("forbidden", "/forbidden"),
])

config("errors-none", """
:{PORT} {
	header X-Before set
	error /e "msg" 409
	error /five 500
	respond "ok"
}""", [
    get("ok", "/"),
    get("conflict", "/e"),
    get("five", "/five"),
])

config("errors-fallthrough", """
:{PORT} {
	error * "nope" 451
	handle_errors {
		@never expression {err.status_code} != 451
		respond @never "never"
		header X-In-Errors yes
	}
}""", [
    get("unavailable", "/"),
])

# ---- path_regexp, header_regexp (named: 2.6 gives unnamed ones no name) ------

config("match-regexp", """
:{PORT} {
	@static path_regexp static \\.(?P<ext>[a-z]{2,5})$
	respond @static "static {re.static.1} {re.static.ext} [{re.static.0}]"
	@user path_regexp user ^/u/([^/]+)(/.*)?$
	respond @user "user {re.user.1} rest={re.user.2}"
	@ua header_regexp ua User-Agent (?i)^(curl|wget)/([0-9.]+)
	respond @ua "agent {re.ua.1} {re.ua.2}"
	@both {
		path_regexp p ^/both/(\\w+)
		header_regexp h X-Token ^t-(\\d+)$
	}
	respond @both "both {re.p.1} {re.h.1}"
	@num path_regexp num ^/n/(\d+)$
	respond @num "any {re.1} [{re.0}]"
	respond "none {re.static.1}"
}""", [
    get("ext", "/a/b.css"),
    get("ext-upper", "/a/b.CSS"),
    get("ext-long", "/a/b.toolong"),
    get("ext-query", "/x.js?y=1.css"),
    get("user", "/u/alice"),
    get("user-rest", "/u/bob/files/1"),
    get("user-dotdot", "/u/x/../carol"),
    get("user-doubleslash", "/u//u/dave"),
    get("user-escaped", "/u/al%20ice"),
    get("ua-curl", "/q", headers=[("User-Agent", "curl/8.1.2")]),
    get("ua-wget-case", "/q", headers=[("User-Agent", "Wget/1.21")]),
    get("ua-other", "/q", headers=[("User-Agent", "Mozilla/5.0")]),
    get("both", "/both/abc", headers=[("X-Token", "t-42")]),
    get("both-second-value", "/both/abc", headers=[("X-Token", "x"), ("X-Token", "t-7")]),
    get("both-no-header", "/both/abc"),
    get("both-bad-header", "/both/abc", headers=[("X-Token", "t-4x")]),
    get("none", "/plain"),
    get("unnamed-placeholder", "/n/42"),
])

config("errors-proxy", """
:{PORT} {
	header X-Before yes
	@up path /up/*
	reverse_proxy @up 127.0.0.1:{UP}
	reverse_proxy 127.0.0.1:{DOWN}
	handle_errors {
		@bad expression {err.status_code} == 502
		respond @bad "upstream down: {err.status_code} {err.status_text}"
	}
}""", [
    get("down", "/x"),
    R("down-head", "HEAD", "/x"),
    R("down-post", "POST", "/x", body="data"),
    get("up", "/up/a"),
])

# ---- expression: comparisons and matcher calls -------------------------------

config("match-expression", """
:{PORT} {
	@a expression `path('/a/*', '/b') && method('GET') && !host('example.com')`
	respond @a "a"
	@ht expression `path_regexp('/\\\\.ht')`
	error @ht 403
	@hdr expression `header({'X-A': ['1', '2*']}) || query({'k': 'v'})`
	respond @hdr "hdr"
	@ip expression `remote_ip('10.0.0.0/8') || protocol('https')`
	respond @ip "ip"
	@cmp expression `{path} == "/eq" || ({method} != "GET" && {path} in ["/in1", "/in2"])`
	respond @cmp "cmp"
	respond "none"
}""", [
    get("a", "/a/x"),
    get("a-b", "/b"),
    get("a-host", "/b", host="example.com"),
    R("a-post", "POST", "/a/x", body="x"),
    get("ht", "/.htaccess"),
    get("ht-deep", "/x/.htpasswd"),
    get("hdr-1", "/h", headers=[("X-A", "1")]),
    get("hdr-2x", "/h", headers=[("X-A", "2xyz")]),
    get("hdr-no", "/h", headers=[("X-A", "3")]),
    get("query", "/q?k=v"),
    get("query-no", "/q?k=w"),
    get("eq", "/eq"),
    R("in-post", "POST", "/in2", body="x"),
    get("in-get", "/in2"),
])
