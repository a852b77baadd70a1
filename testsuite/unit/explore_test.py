#!/usr/bin/env python3
"""zsc explore: the page holds every stage exactly as `zsc --emit` prints it,
links a Caddyfile line to lines of every later stage (and the links agree
with each other along the chain), loads nothing from the network, escapes
every text, and is still written (with the diagnostics) when a stage fails.
Usage: explore_test.py ZSC SOURCE_ROOT"""
import html
import json
import os
import re
import subprocess
import sys
import tempfile

FIELDS = 4                     # src, c_line, pc, caged_line (compiler/explore/explore.h)
STAGES = {"caddyfile": None, "c": "c", "bpf": "bpf", "caged": "caged-c", "asm": "asm",
          "ast": "ast", "ir": "ir", "json": "json", "lowered": "lowered"}
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return ok


def columns(page):
    """column id -> list of row texts (unescaped, without the line number)"""
    cols = {}
    for m in re.finditer(r'<section class="col" id="col-([a-z-]+)"[^>]*>(.*?)</section>', page, re.S):
        rows = re.findall(r'<div class="l[^"]*"><i>\d+</i>(.*?)</div>\n', m.group(2))
        cols[m.group(1)] = [html.unescape(r) for r in rows]
    return cols


def links(page):
    m = re.search(r'<script type="application/json" id="zs-links">(.*?)</script>', page, re.S)
    data = json.loads(m.group(1))
    out = {}
    for c in data["cols"]:
        flat = c["links"]
        out[c["id"]] = (c["level"], [flat[i:i + FIELDS] for i in range(0, len(flat), FIELDS)])
    return out


def linked(lk, frm, row, to):
    """the rows of column `to` linked to row `row` of column `frm`, as page.js links them"""
    (lf, rows_f), (lt, rows_t) = lk[frm], lk[to]
    f = min(lf, lt)
    if f >= FIELDS:
        return [row] if frm == to else []
    v = rows_f[row][f]
    if (v < 0) if f == 2 else (v <= 0):
        return []
    return [i for i, r in enumerate(rows_t) if r[f] == v]


def run(zsc, args, cwd):
    return subprocess.run([zsc, "explore"] + args, cwd=cwd, capture_output=True, text=True)


def check_stages(zsc, case, cols):
    for col, stage in STAGES.items():
        if not check(col in cols and cols[col], "column %s is on the page and not empty" % col):
            continue
        if stage is None:
            want = open(os.path.join(case, "Caddyfile")).read()
        else:
            want = subprocess.run([zsc, "--emit=" + stage, "Caddyfile"], cwd=case, capture_output=True,
                                  text=True, check=True).stdout
        check(cols[col] == want.splitlines(), "column %s shows exactly zsc --emit=%s" % (col, stage))


def check_links(page, case, cols):
    lk = links(page)
    src = open(os.path.join(case, "Caddyfile")).read().splitlines()
    line = next(i for i, t in enumerate(src) if 'respond "api {path}"' in t)
    for col in ["c", "bpf", "caged", "asm"]:
        rows = linked(lk, "caddyfile", line, col)
        check(rows, "Caddyfile line %d is linked to lines of %s" % (line + 1, col))
        back = [linked(lk, col, r, "caddyfile") for r in rows]
        check(all(b == [line] for b in back), "the %s lines of Caddyfile line %d link back to it" % (col, line + 1))
    check(any('"api "' in cols["c"][r] for r in linked(lk, "caddyfile", line, "c")),
          "the eBPF C linked to the respond line holds its body")
    check(any('"api "' in cols["bpf"][r] for r in linked(lk, "caddyfile", line, "bpf")),
          "the eBPF linked to the respond line loads its body")
    # along the chain: an asm line's caged C line names the instruction the eBPF column shows
    for r, (s, c, pc, g) in enumerate(lk["asm"][1]):
        if g > 0 and pc >= 0:
            check(lk["caged"][1][g - 1][2] == pc, "asm line %d: caged C line %d is instruction %d" % (r + 1, g, pc))
            check(re.match(r"\s+%d: " % pc, cols["bpf"][linked(lk, "asm", r, "bpf")[-1]]),
                  "asm line %d leads to the listing line of instruction %d" % (r + 1, pc))
    for r, (s, c, pc, g) in enumerate(lk["caged"][1]):
        if pc >= 0:
            check(cols["caged"][r].startswith("  /* %d " % pc), "caged C line %d holds instruction %d" % (r + 1, pc))


def check_self_contained(page):
    check("http://" not in page and "https://" not in page, "no http(s) URL in the page")
    check(not re.search(r"<[a-zA-Z][^<>]*\b(src|href)\s*=", page, re.I), "no src= or href= attribute in a tag")
    check("@import" not in page and "url(" not in page, "no CSS import or url()")
    check(page.count("<script") == 2 and page.count("</script>") == 2, "exactly the two inline scripts")


def check_escaping(zsc, tmp):
    with open(os.path.join(tmp, "Caddyfile"), "w") as f:
        f.write(':8080 {\n\trespond "<b>hi</b> & </script><script>x()</script>"\n}\n')
    r = run(zsc, ["Caddyfile"], tmp)
    check(r.returncode == 0 and r.stdout.strip() == "wrote explore.html", "explore.html written by default: " + r.stderr)
    page = open(os.path.join(tmp, "explore.html")).read()
    check("<b>hi</b>" not in page and "&lt;b&gt;hi&lt;/b&gt; &amp;" in page, "< > & in a respond body are escaped")
    check(page.count("</script>") == 2, "a </script> in a respond body does not end a script element")
    cols = columns(page)
    check(any("<b>hi</b> & </script>" in t for t in cols.get("caddyfile", [])), "the escaped text reads back as the source")


def check_failure(zsc, tmp):
    with open(os.path.join(tmp, "Bad"), "w") as f:
        f.write(':8080 {\n\tno_such_directive <x>\n}\n')
    r = run(zsc, ["Bad", "-o", "bad.html"], tmp)
    check(r.returncode == 1 and "error" in r.stderr, "a broken Caddyfile fails with its error on stderr")
    page = open(os.path.join(tmp, "bad.html")).read() if os.path.exists(os.path.join(tmp, "bad.html")) else ""
    check('<details class="diag"' in page and "no_such_directive" in page, "the page still shows the diagnostics")
    check("&lt;x&gt;" in page and "<x>" not in page, "the broken source is escaped too")
    check(run(zsc, [], tmp).returncode == 2, "no input is a usage error")
    check(run(zsc, ["Bad", "--stdlib=names"], tmp).returncode == 2, "the page always shows the stdlib code")


def main():
    zsc, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    case = os.path.join(root, "testsuite", "golden", "cases", "handle")
    r = run(zsc, ["Caddyfile", "--stdout"], case)
    if not check(r.returncode == 0, "zsc explore --stdout succeeds: " + r.stderr):
        return 1
    page = r.stdout
    cols = columns(page)
    check_stages(zsc, case, cols)
    check_links(page, case, cols)
    check_self_contained(page)
    with tempfile.TemporaryDirectory() as tmp:
        check_escaping(zsc, tmp)
        check_failure(zsc, tmp)
    print("%d failure(s)" % len(failures), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
