"""The configurations of the differential test, each with the requests that
exercise it (the generic ones from rawreq.py are added to every one).
In a Caddyfile, {PORT} is the server's own port, {ROOT} the shared site root,
{UP} the shared echo upstream and {DOWN} a port where nothing listens."""
from rawreq import R, get

CONFIGS = []


def config(name, caddyfile, reqs, add_headers=()):
    """add_headers go into every request of the configuration, generic ones
    included, that does not carry that field already (see rawreq.bare)."""
    CONFIGS.append({"name": name, "caddyfile": caddyfile, "requests": reqs, "add_headers": add_headers})


# ---- respond ---------------------------------------------------------------

config("respond-plain", """
:{PORT} {
	respond "Hello, world!"
}""", [
    get("long-path", "/" + "x" * 300),
    R("put", "PUT", "/p", body="data"),
    R("delete", "DELETE", "/d"),
    R("options", "OPTIONS", "/o"),
    R("patch-lower", "patch", "/lower"),
    get("accept-json", "/", headers=[("Accept", "application/json")]),
    get("if-none-match", "/", headers=[("If-None-Match", "*")]),
    get("range", "/", headers=[("Range", "bytes=0-3")]),
    get("expect", "/", headers=[("Expect", "100-continue")]),
    get("conn-close", "/", headers=[("Connection", "close")]),
    get("absolute-form", "http://localhost:{PORT}/abs?q"),
])

config("respond-status", """
:{PORT} {
	respond /gone 410
	respond /created "made it" 201
	respond /nocontent 204
	respond /teapot "short and stout" 418
	respond /moved "see other" 303
	respond /err "oops" 503
	respond /only-status 202
	respond "default"
}""", [
    get("gone", "/gone"),
    get("gone-slash", "/gone/"),
    get("gone-case", "/GONE"),
    get("created", "/created"),
    R("created-head", "HEAD", "/created"),
    get("nocontent", "/nocontent"),
    get("teapot", "/teapot"),
    get("moved", "/moved"),
    get("err", "/err"),
    get("only-status", "/only-status"),
    get("created-query", "/created?x=1"),
])

config("respond-placeholders", """
:{PORT} {
	respond "m={method} h={host} hp={hostport} p={path} q={query} u={uri} s={scheme} rh={remote_host} pr={http.request.proto} o={http.request.orig_uri} port={port}"
}""", [
    get("query-encoded", "/p%20q/r?a=%20b&c=d%26e"),
    get("host-port80", "/x", host="example.com:80"),
    get("host-ipv6", "/x", host="[::1]:{PORT}"),
    get("no-query-qmark", "/x?"),
    get("query-only", "/?only"),
    get("utf8-path", "/caf%C3%A9?%C3%A9=1"),
    get("plus-path", "/a+b?c+d"),
    R("head", "HEAD", "/head?x"),
    R("http10-host", "GET", "/h10", host="old.example", version="HTTP/1.0"),
    get("host-trailing-dot", "/x", host="example.com."),
    get("fragment-like", "/x%23y"),
])

config("respond-fields", """
:{PORT} {
	header X-Echo-Origin "o={http.request.header.Origin}"
	respond "h=[{header.X-A}] q=[{query.a}] c=[{cookie.sid}] p0=[{path.0}] p2=[{path.2}] l0=[{labels.0}] l1=[{labels.1}] l9=[{labels.9}] f=[{file}] d=[{dir}] bad=[{path.x}] neg=[{labels.-1}]"
}""", [
    get("fields", "/dir/sub/file.tar.gz?a=1&a=%20b&;c=3&a=+x",
        headers=[("Origin", "https://o.example"), ("X-A", "1"), ("x-a", "2"), ("Cookie", "a=1; SID=\"xyz\""),
                 ("Cookie", "sid=later")], host="www.Example.COM"),
    get("fields-none", "/"),
    get("fields-bad-cookie", "/x/", headers=[("Cookie", "bad name=1; sid=a\\b; sid=ok")]),
    get("fields-trailing-dot", "/a//b", host="a.b.c."),
    get("fields-ipv6", "/", host="[::1]:{PORT}"),
    get("fields-empty-query", "/?a&a=&b=1"),
])

config("rewrite-fields", """
:{PORT} {
	rewrite /old/* /new/{path.1}/{header.X-Seg}?from={query.from}&c={cookie.sid}&h={header.X-Q}&u={unknown.thing}
	respond "u={uri} p={path} o={http.request.orig_uri}"
}""", [
    get("rewrite-fields", "/old/a%20b/c?from=x%26y&z=1",
        headers=[("X-Seg", "s p"), ("X-Q", "a&b=c"), ("Cookie", "sid=1+2")]),
    get("rewrite-fields-absent", "/old/"),
])

config("respond-text", """
:{PORT} {
	respond /braces "literal \\{path\\} and {unknown} and {path}"
	respond /quotes "she said \\"hi\\""
	respond /unicode "caf\u00e9 \u2603"
	respond /block 201 {
		body "from a block {path}"
	}
	respond /html "<b>bold</b>"
	respond /empty ""
	respond /big "%s"
	respond "fallthrough {uri}"
}""" % ("0123456789abcdef" * 200), [
    get("big", "/big"),
    R("big-head", "HEAD", "/big"),
    get("braces", "/braces"),
    get("quotes", "/quotes"),
    get("unicode", "/unicode"),
    get("block", "/block"),
    get("html", "/html"),
    get("empty", "/empty"),
    get("empty-head", "/empty", headers=[("Accept", "*/*")]),
    get("fall", "/some/where?k=v"),
    get("braces-encoded", "/%62races"),
])

config("respond-matchers", """
:{PORT} {
	@post method POST
	@json header Accept application/json
	respond @post "posted {path}" 201
	respond @json "{\\"ok\\":true}"
	respond /exact "exact"
	respond /prefix/* "prefix"
	@txt path *.txt
	respond @txt "text"
	respond "default"
}""", [
    R("post", "POST", "/x", body="b"),
    R("post-exact", "POST", "/exact", body=""),
    get("json", "/x", headers=[("Accept", "application/json")]),
    get("json-other", "/x", headers=[("Accept", "text/html")]),
    get("exact", "/exact"),
    get("exact-slash", "/exact/"),
    get("prefix", "/prefix/a/b"),
    get("prefix-bare", "/prefix"),
    get("txt", "/dir/a.txt"),
    get("txt-upper", "/dir/A.TXT"),
    get("txt-encoded", "/dir/a%2etxt"),
])

# ---- header ----------------------------------------------------------------

config("header-ops", """
:{PORT} {
	header X-Set one
	header +X-Add two
	header +X-Add three
	header X-Quoted "a, b; c"
	header -X-Never
	header Cache-Control "no-store"
	respond "with headers"
}""", [
    get("plain", "/x"),
    R("head", "HEAD", "/x"),
    R("post", "POST", "/x", body="z"),
    get("not-found-ish", "/missing/thing"),
    get("with-if", "/x", headers=[("If-Modified-Since", "Mon, 01 Jan 2024 00:00:00 GMT")]),
    get("query", "/x?a=b"),
    get("cookie", "/x", headers=[("Cookie", "a=b")]),
    get("accept", "/x", headers=[("Accept-Encoding", "gzip")]),
    get("deep", "/a/b/c/d/e/f"),
])

# request_header edits the request itself: later matchers, placeholders and
# the upstream see the fields as the ops left them
config("request-header", """
:{PORT} {
	request_header X-Set "set {path}"
	request_header +X-Add second
	request_header -X-Gone
	@tagged header X-Set "set /seen*"
	respond @tagged "{header.X-Set}|{header.X-Add}|{header.X-Gone}"
	reverse_proxy 127.0.0.1:{UP} {
		header_up X-Up "{header.X-Set}/{header.X-Add}"
	}
}""", [
    get("seen", "/seen", headers=[("X-Set", "client"), ("X-Add", "first"), ("X-Gone", "away")]),
    get("seen-bare", "/seen/x"),
    get("proxied", "/up", headers=[("X-Set", "a"), ("X-Set", "b"), ("x-gone", "away"), ("X-Add", "one")]),
    R("proxied-post", "POST", "/up", body="data", headers=[("X-Add", "one")]),
], add_headers=[("Accept-Encoding", "identity")])   # Go's transport adds gzip to a request without one

# ?FIELD sets a default: only when the response has no such field at the
# time it is written (Caddy's response require); several in one block all
# need their fields absent
config("header-defaults", """
:{PORT} {
	root * {ROOT}
	header ?Cache-Control "max-age=60"
	header ?Content-Type "application/x-default"
	header {
		?X-Frame-Options DENY
		?X-Content-Type-Options nosniff
	}
	header /preset/* X-Content-Type-Options already
	header /api/* Cache-Control "no-store"
	respond /api/* "api"
	respond /preset/* "preset"
	file_server
}""", [
    get("file", "/index.html"),
    get("dir", "/"),
    get("svg", "/pic.svg"),
    get("api", "/api/x"),
    get("preset", "/preset/x"),
    get("missing", "/nothing-here"),
    R("head", "HEAD", "/index.html"),
])

config("header-matchers", """
:{PORT} {
	header /api/* Cache-Control "no-store"
	@css path *.css
	header @css Content-Type "text/css"
	@dbg header X-Debug on
	header @dbg X-Debugged yes
	header /static/* {
		X-Static yes
		+Vary Accept
		-X-Gone
	}
	respond "body"
}""", [
    get("api", "/api/x"),
    get("api-bare", "/api"),
    get("api-case", "/API/x"),
    get("css", "/s/site.css"),
    get("dbg", "/", headers=[("X-Debug", "on")]),
    get("dbg-off", "/", headers=[("X-Debug", "off")]),
    get("dbg-case", "/", headers=[("x-debug", "on")]),
    get("static", "/static/a.js"),
    get("static-css", "/static/a.css"),
    get("none", "/none"),
])

config("header-placeholders", """
:{PORT} {
	header X-Path {path}
	header X-Host {host}
	header X-Method {method}
	header X-Uri "{uri} end"
	header X-Empty-Query "[{query}]"
	respond "ph"
}""", [
    get("path", "/some/path"),
    get("query", "/q?x=1&y=2"),
    get("encoded", "/a%20b?c=%20"),
    get("host-port", "/x", host="Example.org:8443"),
    R("post", "POST", "/p", body="x"),
    R("head", "HEAD", "/h"),
    get("dots", "/a/../b"),
    get("long", "/" + "seg/" * 40),
    get("unicode", "/%E2%98%83"),
])

config("header-delete-defer", """
:{PORT} {
	header -Server
	header /sniff/* -Content-Type
	header X-Late late {
		defer
	}
	respond "deferred"
}""", [
    get("plain", "/x"),
    R("head", "HEAD", "/x"),
    get("query", "/x?y"),
    R("post", "POST", "/x", body="abc"),
    get("deep", "/a/b/c"),
    get("encoded", "/%41"),
    get("close", "/x", headers=[("Connection", "close")]),
    get("keepalive", "/x", headers=[("Connection", "keep-alive")]),
    get("accept", "/x", headers=[("Accept", "text/plain")]),
    get("sniff", "/sniff/x"),
])

# ---- redir -----------------------------------------------------------------

config("redir-forms", """
:{PORT} {
	redir /old /new
	redir /perm /permanent permanent
	redir /temp /temporary temporary
	redir /code /c307 307
	redir /c308 /to308 308
	redir /abs https://example.com{uri}
	redir /rel relative/target
	redir /q /with?query=1
	redir /html /html-target html
	redir /ph "/dest{path}?h={host}"
	respond "no redirect"
}""", [
    get("old", "/old"),
    get("old-query", "/old?x=1"),
    R("old-head", "HEAD", "/old"),
    R("old-post", "POST", "/old", body="x"),
    get("perm", "/perm"),
    get("temp", "/temp"),
    get("code", "/code"),
    get("c308", "/c308"),
    get("abs", "/abs?a=b&c"),
    get("rel", "/rel"),
    get("q", "/q"),
    get("html", "/html"),
    get("ph", "/ph"),
    get("old-case", "/OLD"),
])

config("redir-catchall", """
:{PORT} {
	redir https://example.org{uri} 301
}""", [
    get("path", "/a/b"),
    get("query", "/a?b=c"),
    get("encoded", "/a%20b?c=%2F"),
    R("post", "POST", "/p", body="x"),
    get("root-query", "/?x"),
    get("host", "/", host="other.example"),
    get("deep", "/1/2/3/4/"),
    get("unicode", "/%C3%A9"),
    R("head", "HEAD", "/h"),
])

config("redir-site", """
http://old.test:{PORT} {
	redir http://new.test:{PORT}{uri} permanent
}
http://new.test:{PORT} {
	respond "new site {host}"
}""", [
    get("old", "/x?y=1", host="old.test:{PORT}"),
    get("old-upper", "/x", host="OLD.TEST:{PORT}"),
    get("old-noport", "/x", host="old.test"),
    get("new", "/x", host="new.test:{PORT}"),
    get("new-noport", "/x", host="new.test"),
    get("other", "/x", host="third.test:{PORT}"),
    R("old-head", "HEAD", "/x", host="old.test:{PORT}"),
    get("old-wrong-port", "/x", host="old.test:1"),
    get("new-path", "/a/b/", host="new.test:{PORT}"),
])

# ---- handle, handle_path, route, uri ----------------------------------------

config("handle-basic", """
:{PORT} {
	handle /api/* {
		respond "api {path}"
	}
	handle /exact {
		respond "exact"
	}
	handle {
		respond "fallback {path}" 404
	}
}""", [
    get("api", "/api/users/7"),
    get("api-bare", "/api"),
    get("api-slash", "/api/"),
    get("exact", "/exact"),
    get("exactly", "/exactly"),
    get("api-upper", "/API/x"),
    get("api-encoded", "/%61pi/x"),
    get("api-dots", "/x/../api/y"),
    R("api-head", "HEAD", "/api/h"),
])

config("handle-nested", """
:{PORT} {
	handle /a/* {
		header X-Outer a
		handle /a/b/* {
			respond "inner b {path}"
		}
		handle /a/c {
			respond "inner c"
		}
		handle {
			respond "inner fallback {path}"
		}
	}
	handle /z* {
		respond "z prefix {path}"
	}
	respond "top"
}""", [
    get("ab", "/a/b/x"),
    get("ac", "/a/c"),
    get("ac-deeper", "/a/c/d"),
    get("a-other", "/a/q"),
    get("a-bare", "/a"),
    get("z", "/zoo"),
    get("z-slash", "/z/a"),
    get("top", "/top"),
    get("ab-case", "/A/B/x"),
])

config("handle-path", """
:{PORT} {
	handle_path /api/* {
		respond "api {path} {uri}"
	}
	handle_path /v1/* {
		handle_path /inner/* {
			respond "double strip {path}"
		}
		respond "v1 {path}"
	}
	handle_path /exact {
		respond "exact [{path}]"
	}
	handle {
		respond "other {path}"
	}
}""", [
    get("api", "/api/users/7?x=1"),
    get("api-slash", "/api/"),
    get("api-bare", "/api"),
    get("api-upper", "/API/Users"),
    get("api-encoded", "/api/a%2Fb"),
    get("api-double", "/api//x"),
    get("v1", "/v1/thing"),
    get("v1-inner", "/v1/inner/deep/x"),
    get("exact", "/exact"),
    get("other", "/elsewhere"),
    get("api-escaped-prefix", "/%61pi/x"),
])

config("route-order", """
:{PORT} {
	route {
		header X-Route first
		respond /r/* "route {path}"
	}
	route /s/* {
		uri strip_prefix /s
		respond "stripped {path}"
	}
	respond "after routes"
}""", [
    get("r", "/r/a"),
    get("s", "/s/a/b"),
    get("s-bare", "/s"),
    get("s-slash", "/s/"),
    get("other", "/t"),
    get("r-case", "/R/a"),
    get("s-query", "/s/x?y=1"),
    get("s-encoded", "/s/%2Fx"),
    R("s-head", "HEAD", "/s/h"),
])

# ---- rewrite, uri -----------------------------------------------------------

config("rewrite-uri", """
:{PORT} {
	rewrite /old /new?from={path}&{query}
	rewrite /docs/* /docs/index.html
	rewrite /q ?{query}&added=1
	rewrite /clear /cleared?
	rewrite /keep /kept
	rewrite /esc /esc{path}?v={http.request.uri.path}
	rewrite /inject {http.request.uri.query}
	rewrite /static/* /s{path}
	respond "uri={uri} path={path} query={query} orig={http.request.orig_uri}"
}""", [
    get("old", "/old"),
    get("old-query", "/old?a=1&b=two%20words"),
    get("docs", "/docs/a/b"),
    get("docs-query", "/docs/x?keep=me"),
    get("q", "/q?x=1"),
    get("q-empty", "/q"),
    get("q-amps", "/q?&&a=1&&"),
    get("clear", "/clear?gone=1"),
    get("keep", "/keep?stays=1"),
    get("esc", "/esc"),
    get("inject", "/inject?/elsewhere%3Fa%3Db"),
    get("static", "/static/a%20b/c!d"),
    get("static-dots", "/static/../static/x"),
    get("other", "/other?o=1"),
])

config("uri-ops", """
:{PORT} {
	route /p/* {
		uri strip_prefix /p
		respond "prefix {path} {uri}"
	}
	route /s/* {
		uri strip_suffix .html
		respond "suffix {path} {uri}"
	}
	route /r/* {
		uri replace /old/ /new/
		respond "replace {path} {uri}"
	}
	route /l/* {
		uri replace a b 2
		respond "limit {path} {uri}"
	}
	respond "none {path}"
}""", [
    get("prefix", "/p/x/y"),
    get("suffix", "/s/page.html"),
    get("suffix-upper", "/s/page.HTML"),
    get("suffix-escaped", "/s/page.htm%6C"),
    get("suffix-none", "/s/page.txt"),
    get("suffix-dots", "/s/a/../b.html?x=.html"),
    get("suffix-only", "/s/.html"),
    get("replace", "/r/old/old/x?q=/old/"),
    get("replace-none", "/r/x"),
    get("replace-double", "/r//old//x"),
    get("limit", "/l/aaaa?a=a"),
    get("none", "/z"),
])

config("try-files-status", """
:{PORT} {
	root * {ROOT}
	handle /e/* {
		uri strip_prefix /e
		try_files {path} {path}/index.html =404
		file_server
	}
	handle /t/* {
		uri strip_prefix /t
		try_files {path} =418
		file_server
	}
	@big file {
		try_files /doc.txt =404
		try_policy largest_size
	}
	handle /big {
		respond @big "big {file_match.relative}"
	}
	respond "none"
	handle_errors {
		respond "err {err.status_code} {err.message}"
	}
}""", [
    get("status-file", "/e/doc.txt"),
    get("status-dir-index", "/e/sub"),
    get("status-missing", "/e/nothing"),
    get("status-teapot", "/t/nothing"),
    get("status-teapot-file", "/t/doc.txt"),
    get("status-policy-name", "/big"),
])

config("try-files", """
:{PORT} {
	root * {ROOT}
	handle /spa/* {
		try_files {path} /index.html
		file_server
	}
	handle /pages/* {
		uri strip_prefix /pages
		try_files {path}.html {path} {path}/
		file_server
	}
	@info file {
		try_files {path} {path}/index.html
	}
	handle /info/* {
		uri strip_prefix /info
		respond @info "rel={file_match.relative} type={file_match.type} rem={file_match.remainder}"
		respond "no file {path} {http.request.orig_uri.path} {http.request.orig_uri.query}"
	}
	@split file {
		try_files {path} /index.html
		split_path .txt
	}
	handle /split/* {
		uri strip_prefix /split
		respond @split "split rel={file_match.relative} rem={file_match.remainder}"
	}
	@largest file {
		try_files /doc.txt /style.css /README /nothing.txt
		try_policy largest_size
	}
	@smallest file {
		try_files /doc.txt /empty.txt /style.css
		try_policy smallest_size
	}
	handle /largest {
		respond @largest "largest {file_match.relative}"
	}
	handle /smallest {
		respond @smallest "smallest {file_match.relative}"
	}
	respond "none"
}""", [
    get("spa-file", "/spa/../style.css"),
    get("spa-fallback", "/spa/app/route?x=1"),
    get("pages-html", "/pages/sub/page"),
    get("pages-file", "/pages/doc.txt"),
    get("pages-dir", "/pages/sub"),
    get("pages-none", "/pages/nothing"),
    get("info-file", "/info/sub/page.html"),
    get("info-dir-index", "/info/sub"),
    get("info-dir-slash", "/info/noindex/"),
    get("info-none", "/info/nope?q=1"),
    get("info-space", "/info/with%20space.txt"),
    get("info-traversal", "/info/../../outside.txt"),
    get("split-remainder", "/split/doc.txt/extra/path"),
    get("split-upper", "/split/DOC.TXT/x"),
    get("split-not-name", "/split/doc.txtx/y"),
    get("largest", "/largest"),
    get("smallest", "/smallest"),
])

# ---- matchers --------------------------------------------------------------

config("match-query", """
:{PORT} {
	@both query a=1 a=2 b=*
	@empty query c=
	@space query q=a+b
	@none query
	respond @both "both"
	respond @empty "empty-value"
	respond @space "space"
	respond @none "no query"
	respond "other"
}""", [
    get("both", "/?a=2&b=x"),
    get("both-second-value", "/?a=9&a=1&b="),
    get("missing-b", "/?a=1"),
    get("b-no-value", "/?a=1&b"),
    get("empty-value", "/?c="),
    get("empty-key-only", "/?c"),
    get("space-plus", "/?q=a+b"),
    get("space-escaped", "/?q=a%20b"),
    get("semicolon", "/?a=1;b=2&b=1"),
    get("bad-escape", "/?a=1&b=%zz"),
    get("no-query", "/"),
    get("bare-qmark", "/?"),
    get("only-amps", "/?&&"),
    get("encoded-key", "/?%61=1&b=1"),
])

config("match-remote-ip", """
:{PORT} {
	@lo remote_ip 127.0.0.0/8
	@host remote_ip 127.0.0.1
	@pair remote_ip 127.0.0.4/31 ::1
	@other remote_ip 10.0.0.0/8 fd00::/8
	handle /lo {
		respond @lo "lo"
	}
	handle /host {
		respond @host "host"
	}
	handle /pair {
		respond @pair "pair"
	}
	handle /other {
		respond @other "other"
	}
	@not not remote_ip 192.168.0.0/16
	respond @not "not {remote_host}"
	respond "none"
}""", [
    get("lo", "/lo"),
    get("host", "/host"),
    get("pair", "/pair"),
    get("other", "/other"),
    get("not", "/x"),
])

config("match-path", """
:{PORT} {
	@exact path /exact
	@prefix path /pre/*
	@suffix path *.php
	@middle path /m/*/end
	@multi path /one /two /three/*
	@contains path */mid/*
	respond @exact "exact"
	respond @prefix "prefix"
	respond @suffix "suffix"
	respond @middle "middle"
	respond @multi "multi"
	respond @contains "contains"
	respond "none"
}""", [
    get("exact", "/exact"),
    get("exact-upper", "/EXACT"),
    get("exact-trailing", "/exact/"),
    get("prefix", "/pre/x/y"),
    get("prefix-bare", "/pre"),
    get("suffix", "/a/b/index.php"),
    get("suffix-query", "/index.php?x=.js"),
    get("middle", "/m/anything/end"),
    get("middle-deep", "/m/a/b/end"),
    get("multi-two", "/two"),
    get("multi-three", "/three/x"),
    get("contains", "/x/mid/y"),
    get("encoded-slash", "/pre%2Fx"),
    get("encoded-exact", "/ex%61ct"),
])

config("match-method", """
:{PORT} {
	@get method GET
	@write method POST PUT PATCH
	@del method DELETE
	respond @get "get"
	respond @write "write {method}"
	respond @del "delete" 202
	respond "other {method}" 405
}""", [
    R("post", "POST", "/", body="x"),
    R("put", "PUT", "/", body="x"),
    R("patch", "PATCH", "/", body=""),
    R("delete", "DELETE", "/"),
    R("options", "OPTIONS", "/"),
    R("lower-get", "get", "/"),
    R("custom", "PURGE", "/"),
    R("head", "HEAD", "/x"),
    R("trace", "TRACE", "/"),
    R("post-chunked", "POST", "/", headers=[("Transfer-Encoding", "chunked")], body="3\r\nabc\r\n0\r\n\r\n"),
])

config("match-host", """
:{PORT} {
	@ex host example.com
	@wild host *.example.org
	@multi host a.test b.test
	respond @ex "example.com"
	respond @wild "wildcard {host}"
	respond @multi "multi {host}"
	respond "no host match {host}"
}""", [
    get("ex", "/", host="example.com"),
    get("ex-port", "/", host="example.com:{PORT}"),
    get("ex-upper", "/", host="EXAMPLE.COM"),
    get("ex-sub", "/", host="www.example.com"),
    get("wild", "/", host="www.example.org"),
    get("wild-deep", "/", host="a.b.example.org"),
    get("wild-bare", "/", host="example.org"),
    get("multi-b", "/", host="b.test:{PORT}"),
    get("ip", "/", host="127.0.0.1"),
    get("empty-host", "/", host=""),
])

config("match-header", """
:{PORT} {
	@exact header X-Key secret
	@prefix header X-Pre foo*
	@suffix header X-Suf *bar
	@any header X-Any *
	@multi header X-Multi b
	respond @exact "exact"
	respond @prefix "prefix"
	respond @suffix "suffix"
	respond @any "any"
	respond @multi "multi"
	respond "none"
}""", [
    get("exact", "/", headers=[("X-Key", "secret")]),
    get("exact-case", "/", headers=[("X-Key", "SECRET")]),
    get("exact-lowername", "/", headers=[("x-key", "secret")]),
    get("prefix", "/", headers=[("X-Pre", "foolish")]),
    get("suffix", "/", headers=[("X-Suf", "crowbar")]),
    get("any-empty", "/", headers=[("X-Any", "")]),
    get("multi-b", "/", headers=[("X-Multi", "b")]),
    get("multi-list", "/", headers=[("X-Multi", "c, b")]),
    get("repeated", "/", headers=[("X-Key", "nope"), ("X-Key", "secret")]),
    get("none", "/", headers=[("X-Other", "secret")]),
])

config("match-not", """
:{PORT} {
	@notapi not path /api/*
	@notget not method GET
	@both {
		not path /public/*
		not header X-Admin yes
	}
	@notblock not {
		path /a/*
		method POST
	}
	respond @notget "not get"
	respond @both "both nots"
	respond @notapi "not api"
	respond @notblock "not block"
	respond "fell through"
}""", [
    get("api", "/api/x"),
    get("public", "/public/x"),
    get("admin", "/x", headers=[("X-Admin", "yes")]),
    get("public-admin", "/public/x", headers=[("X-Admin", "yes")]),
    R("post-a", "POST", "/a/x", body=""),
    R("post-api", "POST", "/api/x", body=""),
    get("api-admin", "/api/x", headers=[("X-Admin", "yes")]),
    get("a", "/a/x", headers=[("X-Admin", "yes")]),
    R("head-public", "HEAD", "/public/x"),
])

config("match-combined", """
:{PORT} {
	@apipost {
		path /api/*
		method POST
	}
	@hostpath {
		host example.com
		path /admin /admin/*
	}
	@proto protocol http
	respond @apipost "api post"
	respond @hostpath "admin of example"
	header @proto X-Proto http
	respond "default"
}""", [
    R("api-post", "POST", "/api/x", body="1"),
    get("api-get", "/api/x"),
    get("hostpath", "/admin", host="example.com"),
    get("hostpath-sub", "/admin/users", host="example.com:{PORT}"),
    get("hostpath-wronghost", "/admin"),
    get("proto", "/p"),
    R("api-post-upper", "POST", "/API/x", body="1"),
    get("admin-dots", "/x/../admin", host="example.com"),
    get("admin-encoded", "/%61dmin", host="example.com"),
])

# ---- site addresses --------------------------------------------------------

config("sites-hosts", """
http://a.test:{PORT} {
	respond "site a {host}"
}
http://b.test:{PORT}, http://c.test:{PORT} {
	respond "site b or c {host}"
}
http://*.wild.test:{PORT} {
	respond "wild {host}"
}
:{PORT} {
	respond "catch-all {host}"
}""", [
    get("a", "/", host="a.test:{PORT}"),
    get("a-noport", "/", host="a.test"),
    get("a-upper", "/", host="A.Test:{PORT}"),
    get("b", "/", host="b.test:{PORT}"),
    get("c", "/", host="c.test"),
    get("wild", "/", host="x.wild.test:{PORT}"),
    get("wild-deep", "/", host="y.x.wild.test"),
    get("wild-bare", "/", host="wild.test"),
    get("other", "/", host="zzz.test"),
    get("ip", "/", host="127.0.0.1:{PORT}"),
])

config("sites-only-host", """
http://only.test:{PORT} {
	respond "only {path}"
}""", [
    get("only", "/x", host="only.test:{PORT}"),
    get("only-noport", "/x", host="only.test"),
    get("other", "/x", host="other.test:{PORT}"),
    get("ip", "/x", host="127.0.0.1:{PORT}"),
    get("upper", "/x", host="ONLY.TEST"),
    R("head-other", "HEAD", "/x", host="nope"),
    R("post-only", "POST", "/p", host="only.test", body="b"),
    get("dot", "/x", host="only.test."),
    get("wrong-port", "/x", host="only.test:99"),
])

# ---- basicauth (`basicauth` as Caddy 2.6 spells it; `basic_auth` since 2.8) ----
# "secret" at bcrypt cost 4, so the answers take no time (an unknown user is
# compared against Caddy's cost-14 fake hash: test_auth.py has that one).
AUTH_HASH = "$2a$04$DoVe.pJuRunMLrtN3xndxuSeYO4OBcImIfF2AJUJhO7K5I4xtz8eq"

config("basicauth", """
:{PORT} {
	header X-Before yes
	basicauth /realm/* bcrypt "Staff only" {
		alice %s
	}
	basicauth /priv/* {
		alice %s
		carol JDJhJDA0JERvVmUucEp1UnVuTUxydE4zeG5keHVTZVlPNE9CY0ltSWZGMkFKVUpoTzdLNUk0eHR6OGVx
	}
	header /priv/* X-User "{http.auth.user.id}"
	respond "user={http.auth.user.id}"
}""" % (AUTH_HASH, AUTH_HASH), [
    get("none", "/priv/x"),
    get("ok", "/priv/x", headers=[("Authorization", "Basic YWxpY2U6c2VjcmV0")]),
    get("ok-lower-scheme", "/priv/x", headers=[("Authorization", "basic YWxpY2U6c2VjcmV0")]),
    get("wrong", "/priv/x", headers=[("Authorization", "Basic YWxpY2U6d3Jvbmc=")]),
    get("no-colon", "/priv/x", headers=[("Authorization", "Basic YWxpY2VzZWNyZXQ=")]),
    get("empty-password", "/priv/x", headers=[("Authorization", "Basic YWxpY2U6")]),
    get("bad-base64", "/priv/x", headers=[("Authorization", "Basic YWxpY2U6c2VjcmV0!")]),
    get("unpadded", "/priv/x", headers=[("Authorization", "Basic YWxpY2U6d3Jvbmc")]),
    get("bearer", "/priv/x", headers=[("Authorization", "Bearer YWxpY2U6c2VjcmV0")]),
    get("two-spaces", "/priv/x", headers=[("Authorization", "Basic  YWxpY2U6c2VjcmV0")]),
    get("base64-account", "/priv/x", headers=[("Authorization", "Basic Y2Fyb2w6c2VjcmV0")]),
    get("realm", "/realm/x"),
    get("realm-ok", "/realm/x", headers=[("Authorization", "Basic YWxpY2U6c2VjcmV0")]),
    get("public", "/pub"),
    get("public-with-creds", "/pub", headers=[("Authorization", "Basic YWxpY2U6c2VjcmV0")]),
    R("head-none", "HEAD", "/priv/x"),
])

# ---- request_body: max_size limits only a handler that reads the body ----
config("request-body", """
:{PORT} {
	request_body {
		max_size 10
	}
	respond /here "not read"
	reverse_proxy 127.0.0.1:{UP}
}""", [
    R("small", "POST", "/p", body="short"),
    R("exact", "POST", "/p", body="0123456789"),
    R("over-length", "POST", "/p", body="0123456789abcdef"),
    R("over-chunked", "POST", "/p", headers=[("Transfer-Encoding", "chunked")],
      body="10\r\n0123456789abcdef\r\n0\r\n\r\n"),
    R("small-chunked", "POST", "/p", headers=[("Transfer-Encoding", "chunked")], body="5\r\nshort\r\n0\r\n\r\n"),
    R("over-respond", "POST", "/here", body="0123456789abcdef"),
], add_headers=[("Accept-Encoding", "identity")])   # else Go's transport adds gzip (proxy-basic)
