"""ebpf programs end to end: the four examples of examples/plugins served by
zsrt from a Caddyfile (rate limit, JSON API, HS256 JWT, AWS SigV4 checked
against AWS's published test vectors), and the hostile programs of hostile/:
each refused by zsc, or trapped with a 500 while the worker keeps serving.
Usage: test_plugins.py BUILD_DIR"""
import base64
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import harness  # noqa: E402
from harness import Zsrt, failures, get  # noqa: E402

passed = [0]


def check(what, cond, detail=""):
    harness.check(what, cond, detail)
    passed[0] += 1 if cond else 0
from upstream import Upstream  # noqa: E402

EXAMPLES = os.path.join(HERE, "..", "..", "examples", "plugins")
HOSTILE = os.path.join(HERE, "hostile")


@contextlib.contextmanager
def serve(build, caddyfile):
    """zsrt serving the Caddyfile, stopped by PID afterwards"""
    z = Zsrt(build, caddyfile)
    try:
        yield z
    finally:
        z.stop()


def ex(name):
    return os.path.join(os.path.abspath(EXAMPLES), name)


def test_rate_limit(build):
    with serve(build, ":{PORT} {\n\tebpf * %s 1 3\n\trespond \"ok\"\n}\n" % ex("rate_limit.c")) as z:
        codes = [get(z.port, "/").status for _ in range(5)]
        check("rate limit: a burst of 3, then 429", codes == [200, 200, 200, 429, 429], codes)
        r = get(z.port, "/")
        check("rate limit: Retry-After on 429", r.status == 429 and r.header("Retry-After") == "1", r.headers)
        time.sleep(1.1)
        check("rate limit: a token a second", get(z.port, "/").status == 200)


def test_json_api(build):
    cf = (":{PORT} {\n\tebpf /users/* %s {\n\t\tdata `{\"users\": {\"1\": {\"name\": \"Ada\", \"tags\": [\"x\"]}, "
          "\"2\": {\"name\": \"Li\\u00f1us\"}}}`\n\t}\n\trespond \"fallthrough\"\n}\n") % ex("json_api.c")
    with serve(build, cf) as z:
        r = get(z.port, "/users/1")
        body = json.loads(r.body) if r.status == 200 else None
        check("json api: a user", body == {"id": "1", "user": {"name": "Ada", "tags": ["x"]}}, (r.status, r.body))
        check("json api: Content-Type", r.header("Content-Type") == "application/json", r.headers)
        r = get(z.port, "/users/2")
        check("json api: escapes kept as JSON", r.status == 200 and json.loads(r.body)["user"]["name"] == "Li\u00f1us",
              r.body)
        r = get(z.port, "/users/9")
        check("json api: 404 for a missing user", r.status == 404, (r.status, r.body))
        r = get(z.port, "/other")
        check("json api: other paths go on", r.status == 200 and r.body == b"fallthrough", r.body)
        r = get(z.port, "/users/1", method="DELETE")
        check("json api: other methods go on", r.body == b"fallthrough", r.body)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(secret, claims, alg="HS256"):
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret, (head + "." + body).encode(), hashlib.sha256).digest()
    return head + "." + body + "." + b64url(sig)


def test_jwt(build):
    up = Upstream()
    try:
        cf = (":{PORT} {\n\tebpf * %s {\n\t\tsecret s3cr3t-key\n\t}\n\treverse_proxy 127.0.0.1:%d\n}\n"
              % (ex("jwt_hs256.c"), up.port))
        with serve(build, cf) as z:
            good = jwt(b"s3cr3t-key", {"sub": "ada", "exp": int(time.time()) + 600})
            r = get(z.port, "/", headers=[("Authorization", "Bearer " + good), ("X-Jwt-Sub", "forged")])
            check("jwt: a valid token passes", r.status == 200, (r.status, r.body))
            check("jwt: sub goes upstream", up.last and up.last["headers"].get("x-jwt-sub") == "ada",
                  up.last and up.last["headers"])
            cases = [("no token", []),
                     ("wrong secret", [("Authorization", "Bearer " + jwt(b"other", {"sub": "x"}))]),
                     ("expired", [("Authorization", "Bearer " + jwt(b"s3cr3t-key", {"exp": 1000}))]),
                     ("exp not a number", [("Authorization", "Bearer " + jwt(b"s3cr3t-key", {"exp": "never"}))]),
                     ("alg none", [("Authorization", "Bearer " + jwt(b"s3cr3t-key", {}, alg="none"))]),
                     ("tampered", [("Authorization", "Bearer " + good[:-2] + ("AA" if good[-2:] != "AA" else "BB"))]),
                     ("garbage", [("Authorization", "Bearer a.b")])]
            for what, headers in cases:
                r = get(z.port, "/", headers=headers)
                check("jwt: 401 for " + what, r.status == 401 and r.header("WWW-Authenticate") == "Bearer",
                      (r.status, r.body))
    finally:
        up.stop()


def test_vars(build):
    prog = os.path.join(HERE, "programs", "set_var.c")
    cf = (":{PORT} {\n\troute {\n\t\tebpf * %s\n\t\theader X-Seen \"{http.vars.user}\"\n\t}\n"
          "\trespond \"hello {vars.user}[{vars.missing}]\"\n}\n") % prog
    with serve(build, cf) as z:
        r = get(z.port, "/", headers=[("X-User", "ada")])
        check("vars: a program's variable in a later respond", r.status == 200 and r.body == b"hello ada[]",
              (r.status, r.body))
        check("vars: and in a later header", r.header("X-Seen") == "ada", r.headers)
        r = get(z.port, "/")
        check("vars: unset is empty, and nothing leaks from the request before", r.body == b"hello []", r.body)


# AWS's published SigV4 test vectors: the aws-sig-v4-test-suite (get-vanilla,
# get-vanilla-query-order-key-case) and the S3 developer guide's examples
# ("Signature Calculations for the Authorization Header", GET Object and GET
# Bucket list objects): request in, Authorization out.
SUITE = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service")
S3 = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3")
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
VECTORS = [
    ("get-vanilla", SUITE, "example.amazonaws.com", "/", [("X-Amz-Date", "20150830T123600Z")], "host;x-amz-date",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-query-order-key-case", SUITE, "example.amazonaws.com", "/?Param2=value2&Param1=value1",
     [("X-Amz-Date", "20150830T123600Z")], "host;x-amz-date",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("s3 get object", S3, "examplebucket.s3.amazonaws.com", "/test.txt",
     [("Range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY), ("x-amz-date", "20130524T000000Z")],
     "host;range;x-amz-content-sha256;x-amz-date",
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
     "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
     "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    ("s3 list objects", S3, "examplebucket.s3.amazonaws.com", "/?max-keys=2&prefix=J",
     [("x-amz-content-sha256", EMPTY), ("x-amz-date", "20130524T000000Z")], "host;x-amz-content-sha256;x-amz-date",
     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
     "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
     "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
]


def test_sigv4(build):
    up = Upstream()
    try:
        for name, (ak, sk, region, service), host, target, headers, signed, want in VECTORS:
            cf = (":{PORT} {\n\tebpf * %s {\n\t\taccess_key %s\n\t\tsecret_key %s\n\t\tregion %s\n\t\tservice %s\n"
                  "\t\tsigned_headers %s\n\t}\n\treverse_proxy 127.0.0.1:%d\n}\n"
                  % (ex("sigv4.c"), ak, sk, region, service, signed, up.port))
            with serve(build, cf) as z:
                up.last = None
                r = get(z.port, target, host=host, headers=headers)
                got = up.last and up.last["headers"].get("authorization")
                check("sigv4 " + name, r.status == 200 and got == want, (r.status, got))
        with serve(build, cf) as z:   # no X-Amz-Date: now, and sent upstream
            r = get(z.port, "/", host="examplebucket.s3.amazonaws.com", headers=[("x-amz-content-sha256", EMPTY)])
            date = up.last and up.last["headers"].get("x-amz-date")
            check("sigv4: the date is now when the request has none",
                  r.status == 200 and date == time.strftime("%Y%m%dT%H%M", time.gmtime()) + date[13:], date)
    finally:
        up.stop()


REFUSED = [("recursion.c", "recursion is not allowed"), ("bad_helper.c", "call to unknown helper 55"),
           ("write_r10.c", "writes r10"), ("huge_stack.c", "stack limit"), ("no_entry.c", "no function zs_handle")]
TRAPPED = [("endless_loop.c", "trap budget"), ("wild_pointer.c", "trap fault"), ("rodata_write.c", "trap fault"),
           ("bad_length.c", "trap fault"), ("bad_action.c", None)]


def test_hostile(build):
    zsc = os.path.join(build, "compiler", "zsc")
    d = tempfile.mkdtemp(prefix="zs-plugins-")
    for prog, words in REFUSED:
        cf = os.path.join(d, "Caddyfile")
        with open(cf, "w") as f:
            f.write(":8080 {\n\tebpf * %s\n}\n" % os.path.join(HOSTILE, prog))
        r = subprocess.run([zsc, cf, "-o", os.path.join(d, "site.zsb")], capture_output=True, text=True)
        check("hostile %s refused at compile" % prog, r.returncode != 0 and words in r.stderr, r.stderr[-400:])
    routes = "".join("\thandle /%d {\n\t\tebpf * %s\n\t\trespond \"survived\"\n\t}\n" % (i, os.path.join(HOSTILE, p))
                     for i, (p, _) in enumerate(TRAPPED))
    with serve(build, ":{PORT} {\n%s\trespond \"alive\"\n}\n" % routes) as z:
        for i, (prog, _) in enumerate(TRAPPED):
            r = get(z.port, "/%d" % i)
            check("hostile %s: 500" % prog, r.status == 500, (r.status, r.body))
            r = get(z.port, "/")
            check("hostile %s: the worker serves on" % prog, r.status == 200 and r.body == b"alive", r.status)
        time.sleep(0.2)
        log = z.output()
        for prog, words in TRAPPED:
            if words:
                check("hostile %s: logged" % prog, words in log, log[-300:])


# what aarch64 must decide as x86_64 does (zsrt-aarch64 under qemu, --run-request):
# the programs that need no libcrypto, which the static cross build lacks
SAME_ON_ARM = [
    ("rate_limit.c 1 1", [b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"]),
    ("json_api.c {\n\t\tdata `{\"users\": {\"1\": {\"name\": \"Ada\"}}}`\n\t}",
     [b"GET /users/1 HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /users/2 HTTP/1.1\r\nHost: a\r\n\r\n",
      b"GET /users/a.b HTTP/1.1\r\nHost: a\r\n\r\n", b"PUT /users/1 HTTP/1.1\r\nHost: a\r\n\r\n"]),
] + [(os.path.join(HOSTILE, p), [b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"]) for p, _ in TRAPPED]


def test_aarch64(build):
    zsc, zsrt = os.path.join(build, "compiler", "zsc"), os.path.join(build, "runtime", "zsrt")
    arm, qemu = os.path.join(build, "runtime", "zsrt-aarch64"), shutil.which("qemu-aarch64")
    if not qemu or not os.path.exists(arm):
        print("skip aarch64: qemu-aarch64 or zsrt-aarch64 missing")
        return
    d = tempfile.mkdtemp(prefix="zs-plugins-arm-")
    for spec, requests in SAME_ON_ARM:
        prog = spec if spec.startswith("/") else os.path.join(os.path.abspath(EXAMPLES), spec)
        cf = os.path.join(d, "Caddyfile")
        with open(cf, "w") as f:
            f.write(":8080 {\n\tebpf * %s\n\trespond \"next\"\n}\n" % prog)
        blobs = {t: os.path.join(d, t + ".zsb") for t in ("x86_64", "aarch64")}
        if any(subprocess.run([zsc, cf, "-o", blobs[t], "--target=" + t], capture_output=True).returncode
               for t in blobs):
            check("aarch64 %s: compiled" % os.path.basename(spec.split()[0]), False)
            continue
        for i, raw in enumerate(requests):
            req = os.path.join(d, "req")
            with open(req, "wb") as f:
                f.write(raw)
            x86 = subprocess.run([zsrt, "--run-request", req, blobs["x86_64"]], capture_output=True)
            a64 = subprocess.run([qemu, arm, "--run-request", req, blobs["aarch64"]], capture_output=True)
            check("aarch64 %s request %d decides as x86_64" % (os.path.basename(spec.split()[0]), i),
                  (x86.returncode, x86.stdout) == (a64.returncode, a64.stdout), (x86.stdout[:200], a64.stdout[:200]))


def main():
    build = os.path.abspath(sys.argv[1])
    for t in (test_rate_limit, test_json_api, test_jwt, test_vars, test_sigv4, test_hostile, test_aarch64):
        try:
            t(build)
        except Exception as e:   # a crash of one test is a failure, the others still run
            check(t.__name__, False, repr(e))
    print("%d passed, %d failed, 0 skipped" % (passed[0], len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
