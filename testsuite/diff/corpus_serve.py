"""The file_server and reverse_proxy configurations of the differential test
(the site root is docroot.py's tree, the upstream echo_upstream.py's echo)."""
from corpus import config
from docroot import FILES, MTIME
from rawreq import R, bare, get, pipelined, raw


def base36(n):
    digits = ""
    while True:
        n, d = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
        if n == 0:
            return digits


# the ETag Caddy derives from a file's modification time and size
DOC_ETAG = '"%s%s"' % (base36(MTIME), base36(len(FILES["doc.txt"])))

# ---- file_server -----------------------------------------------------------

config("files-basic", """
:{PORT} {
	root * {ROOT}
	file_server
}""", [
    get("index-direct", "/index.html"),
    get("sub-noslash", "/sub"),
    get("sub-noslash-query", "/sub?x=1"),
    get("sub-slash", "/sub/"),
    get("sub-page", "/sub/page.html"),
    get("deep-leaf", "/sub/deep/leaf.txt"),
    get("deep-dir", "/sub/deep/"),
    get("noindex", "/noindex/"),
    get("txtindex", "/txtindex/"),
    get("missing", "/missing.html"),
    get("file-slash", "/doc.txt/"),
    R("head-file", "HEAD", "/doc.txt"),
    R("post-file", "POST", "/doc.txt", body="x"),
    R("delete-file", "DELETE", "/doc.txt"),
    get("empty", "/empty.txt"),
    get("hidden", "/.hidden"),
    get("sub-index-direct", "/sub/index.html"),
])

config("files-mime", """
:{PORT} {
	root * {ROOT}
	file_server
}""", [
    get("css", "/style.css"),
    get("js", "/app.js"),
    get("json", "/data.json"),
    get("txt", "/doc.txt"),
    get("htm", "/page.htm"),
    get("xml", "/feed.xml"),
    get("svg", "/pic.svg"),
    get("png", "/image.png"),
    get("jpg", "/photo.jpg"),
    get("gif", "/anim.gif"),
    get("woff2", "/font.woff2"),
    get("pdf", "/doc.pdf"),
    get("wasm", "/clip.wasm"),
    get("noext", "/README"),
    get("upper-ext", "/UPPER.HTML"),
    get("unknown-ext", "/data.unknownext"),
    get("rs", "/code.rs"),
    get("sh", "/run.sh"),
    get("upper-c", "/prog.C"),
    get("lower-c", "/prog.c"),
    get("tgz", "/arch.tgz"),
    get("webmanifest", "/site.webmanifest"),
    get("md", "/notes.md"),
    get("ico", "/icon.ico"),
    get("upper-mp4", "/movie.MP4"),
])

config("files-conditional", """
:{PORT} {
	root * {ROOT}
	file_server
}""", [
    get("ims-future", "/doc.txt", headers=[("If-Modified-Since", "Fri, 01 Jan 2038 00:00:00 GMT")]),
    get("ims-past", "/doc.txt", headers=[("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")]),
    get("ims-exact", "/doc.txt", headers=[("If-Modified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")]),
    get("inm-star", "/doc.txt", headers=[("If-None-Match", "*")]),
    get("inm-other", "/doc.txt", headers=[("If-None-Match", '"nope"')]),
    get("inm-etag", "/doc.txt", headers=[("If-None-Match", DOC_ETAG)]),
    get("if-match-etag", "/doc.txt", headers=[("If-Match", DOC_ETAG)]),
    get("range-first", "/doc.txt", headers=[("Range", "bytes=0-4")]),
    get("range-suffix", "/doc.txt", headers=[("Range", "bytes=-3")]),
    get("range-open", "/doc.txt", headers=[("Range", "bytes=6-")]),
    get("range-bad", "/doc.txt", headers=[("Range", "bytes=100-200")]),
    get("range-multi", "/doc.txt", headers=[("Range", "bytes=0-1,3-4")]),
    get("range-multi-spaces", "/doc.txt", headers=[("Range", "bytes= 0-1 , ,-3")]),
    get("range-multi-overlap", "/doc.txt", headers=[("Range", "bytes=0-1,1-2")]),
    get("range-multi-too-much", "/doc.txt", headers=[("Range", "bytes=0-5,3-8")]),
    get("range-multi-one-past", "/doc.txt", headers=[("Range", "bytes=0-1,20-30")]),
    get("range-multi-all-past", "/doc.txt", headers=[("Range", "bytes=20-30,40-50")]),
    get("range-multi-bad", "/doc.txt", headers=[("Range", "bytes=0-1,x")]),
    get("range-multi-empty-part", "/doc.txt", headers=[("Range", "bytes=-0,2-3")]),
    get("range-multi-unknown-type", "/data.unknownext", headers=[("Range", "bytes=0-1,3-4")]),
    get("range-multi-if-range", "/doc.txt", headers=[("Range", "bytes=0-1,3-4"), ("If-Range", DOC_ETAG)]),
    get("range-multi-if-range-old", "/doc.txt", headers=[("Range", "bytes=0-1,3-4"), ("If-Range", '"old"')]),
    R("range-multi-head", "HEAD", "/doc.txt", headers=[("Range", "bytes=0-1,3-4")]),
    get("range-invalid", "/doc.txt", headers=[("Range", "bytes=x")]),
    get("range-reversed", "/doc.txt", headers=[("Range", "bytes=5-2")]),
    get("range-suffix-zero", "/doc.txt", headers=[("Range", "bytes=-0")]),
    get("range-upper-unit", "/doc.txt", headers=[("Range", "BYTES=0-1")]),
    get("range-plus", "/doc.txt", headers=[("Range", "bytes=+1-+2")]),
    get("range-empty-list", "/doc.txt", headers=[("Range", "bytes=")]),
    get("range-empty-file", "/empty.txt", headers=[("Range", "bytes=0-")]),
    get("if-match-fail", "/doc.txt", headers=[("If-Match", '"nope"')]),
    get("ius-past", "/doc.txt", headers=[("If-Unmodified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")]),
    get("ius-future", "/doc.txt", headers=[("If-Unmodified-Since", "Fri, 01 Jan 2038 00:00:00 GMT")]),
    get("ius-bad", "/doc.txt", headers=[("If-Unmodified-Since", "yesterday")]),
    get("if-match-star", "/doc.txt", headers=[("If-Match", "*")]),
    get("if-match-weak", "/doc.txt", headers=[("If-Match", "W/" + DOC_ETAG)]),
    get("if-match-list", "/doc.txt", headers=[("If-Match", '"a", ' + DOC_ETAG)]),
    get("if-match-over-ius", "/doc.txt", headers=[("If-Match", DOC_ETAG),
                                                  ("If-Unmodified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")]),
    R("if-match-fail-head", "HEAD", "/doc.txt", headers=[("If-Match", '"nope"')]),
    R("head-ims", "HEAD", "/doc.txt", headers=[("If-Modified-Since", "Fri, 01 Jan 2038 00:00:00 GMT")]),
])

config("files-escape", """
:{PORT} {
	root * {ROOT}
	file_server
}""", [
    get("dotdot", "/../outside.txt"),
    get("dotdot-encoded", "/%2e%2e/outside.txt"),
    get("dotdot-slash-encoded", "/sub/..%2f..%2foutside.txt"),
    get("dotdot-deep", "/sub/deep/../../doc.txt"),
    get("space", "/with%20space.txt"),
    get("space-raw-plus", "/with+space.txt"),
    get("utf8", "/caf%C3%A9.txt"),
    get("semicolon", "/semi;colon.txt"),
    get("encoded-name", "/%64oc.txt"),
    get("encoded-slash", "/sub%2Fpage.html"),
    get("nul", "/doc.txt%00.html"),
    get("backslash", "/sub\\page.html"),
    get("link-in", "/link-in.txt"),
    get("link-out", "/link-out.txt"),
    get("trailing-dot", "/doc.txt."),
    get("double-slash-file", "//sub//page.html"),
])

config("files-index", """
:{PORT} {
	root * {ROOT}
	file_server {
		index home.html index.txt
	}
}""", [
    get("home", "/home/"),
    get("home-noslash", "/home"),
    get("txtindex", "/txtindex/"),
    get("sub-no-html-index", "/sub/"),
    get("root-noindex", "/"),
    get("home-file", "/home/index.html"),
    get("home-home", "/home/home.html"),
    R("head-home", "HEAD", "/home/"),
    get("home-query", "/home?x=1"),
])

config("files-no-canonical", """
:{PORT} {
	root * {ROOT}
	file_server {
		disable_canonical_uris
	}
}""", [
    get("sub-noslash", "/sub"),
    get("sub-slash", "/sub/"),
    get("file-slash", "/doc.txt/"),
    get("index-direct", "/sub/index.html"),
])

JSON = [("Accept", "application/json")]

config("files-browse", """
:{PORT} {
	root * {ROOT}
	file_server browse {
		hide *.key
	}
}""", [
    get("json", "/list/", headers=JSON),
    get("json-noslash", "/list", headers=JSON),
    get("json-query-noslash", "/list?sort=size", headers=JSON),
    get("json-accept-mixed", "/list/", headers=[("Accept", "text/html, Application/JSON;q=0.9")]),
    get("json-sort-size", "/list/?sort=size", headers=JSON),
    get("json-sort-size-desc", "/list/?sort=size&order=desc", headers=JSON),
    get("json-sort-name-desc", "/list/?sort=name&order=desc", headers=JSON),
    get("json-sort-time", "/list/?sort=time", headers=JSON),
    get("json-sort-bogus", "/list/?sort=bogus&order=up", headers=JSON),
    get("json-cookie", "/list/", headers=JSON + [("Cookie", "a=1; sort=size; order=desc")]),
    get("json-cookie-quoted", "/list/", headers=JSON + [("Cookie", 'sort="name"')]),
    get("json-limit", "/list/?limit=2", headers=JSON),
    get("json-offset", "/list/?offset=2&limit=2", headers=JSON),
    get("json-offset-past", "/list/?offset=99", headers=JSON),
    get("json-limit-bad", "/list/?limit=x&offset=-1", headers=JSON),
    get("json-escaped-param", "/list/?s%6Frt=si%7Ae", headers=JSON),
    get("json-sub", "/list/sub2/", headers=JSON),
    get("json-noindex", "/noindex/", headers=JSON),
    get("json-index-wins", "/sub/", headers=JSON),
    get("json-hidden-dir", "/list/secret.key/", headers=JSON),
    R("json-head", "HEAD", "/list/", headers=JSON),
    R("json-post", "POST", "/list/", headers=JSON, body="x"),
    get("html", "/list/"),
])

config("files-hide", """
:{PORT} {
	root * {ROOT}
	file_server {
		hide .hidden doc.txt sub/deep
	}
}""", [
    get("hidden", "/.hidden"),
    get("doc", "/doc.txt"),
    get("deep", "/sub/deep/leaf.txt"),
    get("deep-dir", "/sub/deep/"),
    get("sub", "/sub/page.html"),
    get("doc-encoded", "/%64oc.txt"),
    get("doc-dots", "/sub/../doc.txt"),
    get("style", "/style.css"),
    get("link-in", "/link-in.txt"),
])

config("files-mixed", """
:{PORT} {
	root * {ROOT}
	header /sub/* X-Sub yes
	redir /old /sub/ permanent
	respond /health "ok"
	handle_path /static/* {
		file_server
	}
	handle /api/* {
		respond "api"
	}
	handle {
		file_server
	}
}""", [
    get("static-css", "/static/style.css"),
    get("static-sub", "/static/sub/page.html"),
    get("static-dir", "/static/sub"),
    get("static-root", "/static/"),
    get("static-bare", "/static"),
    get("sub", "/sub/page.html"),
    get("sub-dir", "/sub"),
    get("old", "/old"),
    get("health", "/health"),
    get("api", "/api/x"),
    get("missing", "/nope"),
])

config("files-root-matcher", """
:{PORT} {
	root * {ROOT}
	root /docs/* {ROOT}/sub
	handle_path /docs/* {
		file_server
	}
	file_server
}""", [
    get("docs-page", "/docs/page.html"),
    get("docs-root", "/docs/"),
    get("docs-deep", "/docs/deep/leaf.txt"),
    get("plain", "/doc.txt"),
    get("docs-missing", "/docs/doc.txt"),
    get("docs-bare", "/docs"),
    get("sub-direct", "/sub/page.html"),
    R("head-docs", "HEAD", "/docs/page.html"),
    get("docs-upper", "/DOCS/page.html"),
])

# ---- reverse_proxy ---------------------------------------------------------
# Caddy's transport (Go's) adds `Accept-Encoding: gzip` to a request that has
# none and decompresses the answer; zsrt forwards the client's fields as they
# are. Proxied requests therefore carry an Accept-Encoding of their own, and
# one bare request per configuration set shows that difference on its own.
PROXY_AE = [("Accept-Encoding", "identity")]

config("proxy-basic", """
:{PORT} {
	reverse_proxy 127.0.0.1:{UP}
}""", [
    get("xff-client", "/x", headers=[("X-Forwarded-For", "6.6.6.6")]),
    get("xfh-client", "/x", headers=[("X-Forwarded-Host", "evil.test"), ("X-Forwarded-Proto", "https")]),
    get("host-other", "/echo?q=1", host="site.test"),
    get("hop-request", "/x", headers=[("Connection", "X-Drop-Me"), ("X-Drop-Me", "1"), ("Keep-Alive", "300")]),
    get("te-trailers", "/x", headers=[("TE", "trailers")]),
    get("upgrade", "/x", headers=[("Proxy-Connection", "keep-alive"), ("Upgrade", "foo")]),
    R("post-body", "POST", "/post", headers=[("Content-Type", "text/plain")], body="hello upstream"),
    R("post-chunked", "POST", "/chunk-in", headers=[("Transfer-Encoding", "chunked")],
      body="5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
    R("put-empty", "PUT", "/put", body=""),
    get("status-404", "/status/404"),
    get("status-500", "/status/500"),
    get("status-204", "/status/204"),
    get("cookies", "/cookies"),
    get("hop-response", "/hop"),
    get("chunked-response", "/chunked"),
    get("encoded-path", "/a%20b/%2F/c?x=%41"),
    get("dots", "/a/../b"),
    get("ua", "/ua", headers=[("User-Agent", "diff-test/1.0"), ("Accept-Encoding", "identity")]),
    R("head", "HEAD", "/head"),
    pipelined("pipelined-proxy", raw("GET", "/first"), raw("GET", "/second")),
    bare(get("no-accept-encoding", "/ae")),
    get("absolute-form", "http://localhost:{PORT}/abs?q=1"),
], add_headers=PROXY_AE)

config("proxy-paths", """
:{PORT} {
	handle_path /api/* {
		reverse_proxy 127.0.0.1:{UP}
	}
	handle /keep/* {
		reverse_proxy 127.0.0.1:{UP}
	}
	reverse_proxy /direct* 127.0.0.1:{UP}
	respond "not proxied"
}""", [
    get("api", "/api/users?id=7"),
    get("api-slash", "/api/"),
    get("api-encoded", "/api/a%2Fb%20c"),
    get("keep", "/keep/x?y"),
    get("direct", "/direct/z"),
    get("directory", "/directory"),
    get("other", "/other"),
    R("api-post", "POST", "/api/p", body="data"),
    get("api-status", "/api/status/201"),
    get("api-dots", "/api/a/../b"),
], add_headers=PROXY_AE)

config("proxy-headers", """
:{PORT} {
	header X-Added yes
	header -X-Upstream
	header {
		defer
		Content-Type "text/x-replaced"
		+Set-Cookie "c=3"
	}
	header /immediate/* Content-Type "text/x-immediate"
	reverse_proxy 127.0.0.1:{UP}
}""", [
    get("immediate", "/immediate/x"),
    get("plain", "/x"),
    get("cookies", "/cookies"),
    get("status-404", "/status/404"),
    get("status-204", "/status/204"),
    R("head", "HEAD", "/h"),
    R("post", "POST", "/p", body="b"),
    get("chunked", "/chunked"),
    get("host", "/x", host="example.com"),
    get("hop", "/hop"),
], add_headers=PROXY_AE)

config("proxy-host-site", """
http://api.test:{PORT} {
	reverse_proxy 127.0.0.1:{UP}
}
http://down.test:{PORT} {
	reverse_proxy 127.0.0.1:{DOWN}
}
:{PORT} {
	respond "no proxy"
}""", [
    get("api", "/x", host="api.test:{PORT}"),
    get("api-noport", "/x", host="api.test"),
    get("api-upper", "/x", host="API.TEST"),
    get("down", "/x", host="down.test"),
    R("down-head", "HEAD", "/x", host="down.test"),
    R("down-post", "POST", "/x", host="down.test", body="lost"),
    get("other", "/x", host="other.test"),
    get("api-xff", "/x", host="api.test", headers=[("X-Forwarded-For", "1.2.3.4, 5.6.7.8")]),
    get("api-forwarded", "/x", host="api.test", headers=[("Forwarded", "for=1.2.3.4")]),
], add_headers=PROXY_AE)

# ---- a site as people write them --------------------------------------------

config("site-example", """
:{PORT} {
	root * {ROOT}
	header /api/* Cache-Control "no-store"
	header X-Frame-Options DENY
	respond /health "ok" 200
	redir /old /new 301
	handle_path /api/* {
		reverse_proxy 127.0.0.1:{UP}
	}
	file_server
}""", [
    get("health", "/health"),
    get("health-head", "/health", headers=[("Accept", "text/plain")]),
    get("old", "/old"),
    get("api", "/api/v1/items?limit=2"),
    R("api-post", "POST", "/api/v1/items", headers=[("Content-Type", "application/json")], body='{"n":1}'),
    get("css", "/style.css"),
    get("sub", "/sub"),
    get("sub-page", "/sub/page.html"),
    get("missing", "/nope.html"),
    get("api-status", "/api/status/503"),
], add_headers=PROXY_AE)
