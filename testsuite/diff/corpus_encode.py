"""The encode configurations of the differential test: respond bodies, files
and proxied answers asked for with every kind of Accept-Encoding (bodies
are compared decoded, see run)."""
from corpus import config
from corpus_serve import base36
from docroot import FILES, MTIME
from rawreq import R, get, raw

LONG_ETAG = '"%s%s"' % (base36(MTIME), base36(len(FILES["enc/long.txt"])))
LONG_BODY = "a respond body long enough to be encoded " * 20

GZ = [("Accept-Encoding", "gzip")]

config("encode-default", """
:{PORT} {
	encode zstd gzip
	handle /r {
		respond "%s"
	}
	handle /short {
		respond "short"
	}
	handle /json {
		header Content-Type application/json
		respond "%s"
	}
	root * {ROOT}
	file_server
}""" % (LONG_BODY, LONG_BODY), [
    get("respond-gzip", "/r", headers=GZ),
    get("respond-zstd", "/r", headers=[("Accept-Encoding", "zstd")]),
    get("respond-tie", "/r", headers=[("Accept-Encoding", "gzip, zstd")]),
    get("respond-q", "/r", headers=[("Accept-Encoding", "zstd;q=0.5, gzip;q=0.9")]),
    get("respond-q0", "/r", headers=[("Accept-Encoding", "gzip;q=0")]),
    get("respond-identity", "/r", headers=[("Accept-Encoding", "identity")]),
    get("respond-star", "/r", headers=[("Accept-Encoding", "*")]),
    get("respond-upper", "/r", headers=[("Accept-Encoding", "GZIP")]),
    get("respond-no-transform", "/r", headers=GZ + [("Cache-Control", "no-transform")]),
    get("respond-websocket", "/r", headers=GZ + [("Sec-WebSocket-Key", "dGhlIHNhbXBsZQ==")]),
    get("respond-short", "/short", headers=GZ),
    get("respond-json", "/json", headers=GZ),
    R("respond-head", "HEAD", "/r", headers=GZ),
    ("respond-http10", [raw("GET", "/r", headers=GZ, version="HTTP/1.0")]),
    get("file-gzip", "/enc/long.txt", headers=GZ),
    get("file-zstd", "/enc/long.txt", headers=[("Accept-Encoding", "zstd")]),
    get("file-html", "/enc/long.html", headers=GZ),
    get("file-png", "/enc/long.png", headers=GZ),
    get("file-small", "/doc.txt", headers=GZ),
    R("file-head", "HEAD", "/enc/long.txt", headers=GZ),
    get("file-304", "/enc/long.txt", headers=GZ + [("If-None-Match", LONG_ETAG)]),
    get("file-range", "/enc/long.txt", headers=GZ + [("Range", "bytes=100-1999")]),
    get("file-range-small", "/enc/long.txt", headers=GZ + [("Range", "bytes=0-9")]),
    get("file-multirange", "/enc/long.txt", headers=GZ + [("Range", "bytes=0-99,1000-5999")]),
    get("file-plain", "/enc/long.txt"),
])

config("encode-options", """
:{PORT} {
	encode gzip {
		minimum_length 20
		match {
			status 2xx 404
			header Content-Type text/*
		}
	}
	handle /missing {
		respond "this is not here, not at all" 404
	}
	handle /gone {
		respond "this is gone, gone for good" 410
	}
	respond "a body over twenty bytes long"
}""", [
    get("min-20", "/", headers=GZ),
    get("status-404", "/missing", headers=GZ),
    get("status-410", "/gone", headers=GZ),
])

config("encode-proxy", """
:{PORT} {
	encode gzip
	reverse_proxy 127.0.0.1:{UP}
}""", [
    get("proxied-gzip", "/echo", headers=GZ + [("X-Pad", "p" * 600)]),
    get("proxied-small", "/echo", headers=GZ),
    R("proxied-head", "HEAD", "/echo", headers=GZ + [("X-Pad", "p" * 600)]),
], add_headers=[("Accept-Encoding", "identity")])   # else Go's transport asks the upstream for gzip (proxy-basic)

config("precompressed", """
:{PORT} {
	root * {ROOT}
	file_server {
		precompressed gzip br
	}
}""", [
    get("sidecar-gzip", "/enc/long.txt", headers=GZ),
    get("sidecar-none-accepted", "/enc/long.txt", headers=[("Accept-Encoding", "zstd")]),
    get("sidecar-missing", "/enc/long.png", headers=GZ),
    get("sidecar-br-first", "/enc/long.html", headers=[("Accept-Encoding", "gzip, br")]),
    get("sidecar-q", "/enc/long.html", headers=[("Accept-Encoding", "gzip;q=1, br;q=0.5")]),
    get("sidecar-dir", "/enc/dir.txt", headers=GZ),
    R("sidecar-head", "HEAD", "/enc/long.txt", headers=GZ),
    get("sidecar-range", "/enc/long.txt", headers=GZ + [("Range", "bytes=0-9")]),
    get("sidecar-multirange", "/enc/long.txt", headers=GZ + [("Range", "bytes=0-9,20-")]),
    get("sidecar-plain", "/enc/long.txt"),
])
