// zsc explore: runs the page's own script against a small stand-in for the
// DOM and checks what a reader sees: hovering a Caddyfile line marks lines in
// every stage column, a click pins and scrolls, Escape clears, toggles hide.
// Usage: node explore_script_test.js ZSC SOURCE_ROOT (registered where node is).
"use strict";
const { execFileSync } = require("child_process");
const path = require("path");
const vm = require("vm");

const [zsc, root] = process.argv.slice(2);
const caseDir = path.join(root, "testsuite", "golden", "cases", "handle");
const page = execFileSync(zsc, ["explore", "Caddyfile", "--stdout"], { cwd: caseDir, encoding: "utf8",
                                                                     maxBuffer: 64 << 20 });
let failures = 0;
function check(ok, what) {
  if (!ok) { failures++; console.error("FAIL: " + what); }
}

function unescape(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'")
          .replace(/&amp;/g, "&");
}

function fakeClassList() {
  const set = new Set();
  return { add: (...c) => c.forEach((x) => set.add(x)), remove: (...c) => c.forEach((x) => set.delete(x)),
           contains: (c) => set.has(c), toggle: (c, on) => (on ? set.add(c) : set.delete(c)) };
}

function fakeTarget() {
  const handlers = {};
  return { handlers, addEventListener: (type, fn) => { (handlers[type] = handlers[type] || []).push(fn); },
           fire(type, ev) { (handlers[type] || []).forEach((fn) => fn(ev)); } };
}

// every <section class="col">: its rows, as far as page.js looks at them
const sections = {};
for (const m of page.matchAll(/<section class="col" id="col-([a-z-]+)"[^>]*?( hidden)?>([\s\S]*?)<\/section>/g)) {
  const code = Object.assign(fakeTarget(), { scrollTop: 0, clientHeight: 400 });
  const rows = [...m[3].matchAll(/<div class="l[^"]*"><i>(\d+)<\/i>(.*)<\/div>/g)].map((r, i) => {
    const row = { classList: fakeClassList(), textContent: r[1] + unescape(r[2]), firstChild: { textContent: r[1] },
                  offsetTop: i * 18, offsetHeight: 18 };
    row.closest = () => row;
    return row;
  });
  sections["col-" + m[1]] = { id: m[1], hidden: !!m[2], code, rows,
                              querySelector: () => code, querySelectorAll: () => rows };
}
const json = page.match(/<script type="application\/json" id="zs-links">([\s\S]*?)<\/script>/)[1];
const script = page.match(/<script>\n([\s\S]*?)<\/script>/)[1];
const status = { textContent: "" };
const colours = fakeTarget();
const toggles = [...page.matchAll(/<input type="checkbox" data-col="([a-z-]+)"( checked)?>/g)].map((m) =>
  Object.assign(fakeTarget(), { dataset: { col: m[1] }, checked: !!m[2] }));
const document = Object.assign(fakeTarget(), {
  body: { classList: fakeClassList() },
  getElementById: (id) => sections[id] || { "zs-links": { textContent: json }, "zs-status": status,
                                            "zs-colours": colours }[id] || null,
  querySelectorAll: (sel) => (sel === "nav input[data-col]" ? toggles : []),
});
vm.runInNewContext(script, { document, Map, JSON, Math });

const marked = (id, cls) => sections["col-" + id].rows.filter((r) => r.classList.contains(cls)).length;
const source = sections["col-caddyfile"].rows;
const line = source.findIndex((r) => r.textContent.includes('respond "api {path}"'));
check(line >= 0, "the respond line is in the Caddyfile column");

sections["col-caddyfile"].code.fire("mouseover", { target: source[line] });
check(source[line].classList.contains("cur"), "the hovered line is marked");
for (const id of ["c", "bpf", "caged", "asm"])
  check(marked(id, "hl") > 0, "hovering Caddyfile line " + (line + 1) + " marks lines in " + id);
check(status.textContent.startsWith("Caddyfile:" + (line + 1)), "the status line names it: " + status.textContent);

// the other way: a marked asm line leads back to the same Caddyfile line
const asm = sections["col-asm"];
const asmRow = asm.rows.findIndex((r) => r.classList.contains("hl"));
asm.code.fire("click", { target: asm.rows[asmRow] });
check(source[line].classList.contains("hl") && marked("caddyfile", "hl") === 1,
      "clicking an asm line of it marks that Caddyfile line alone");
check(sections["col-caged"].code.scrollTop > 0, "a click scrolls the other columns to the marked lines");
sections["col-caddyfile"].code.fire("mouseover", { target: source[0] });
check(!source[0].classList.contains("cur"), "hovering does not move a pinned mark");
document.fire("keydown", { key: "Escape" });
check(marked("asm", "cur") + marked("caddyfile", "hl") === 0, "Escape clears the marks");

const ir = toggles.find((t) => t.dataset.col === "ir");
check(sections["col-ir"].hidden && !ir.checked, "the IR column starts hidden");
ir.checked = true;
ir.fire("change", {});
check(!sections["col-ir"].hidden, "its toggle shows it");
colours.fire("change", { target: { checked: false } });
check(!document.body.classList.contains("colours"), "the colours toggle turns the shades off");

console.error(failures + " failure(s)");
process.exit(failures ? 1 : 0);
