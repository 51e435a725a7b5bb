#!/usr/bin/env python3
"""The house check: no import circle and no import from a lower layer to a higher one, in the
widget (`src/`), the shared crate (`core/src/`) and the server (`server/src/`).

It reads every `use` (with `crate::{a, b::{c}}` groups, `super::` and `self::`) and every path
written out in code (`crate::x::y`, `super::z`), resolves each to the file of the module it
names, and then:
- finds the circles between files (Tarjan's strongly connected components);
- checks each arrow against the layers below: a file may import its own layer and the layers
  under it, never one above;
- fails with the arrows that break either rule, each with the line that makes it.

`python3 scripts/house.py` checks the repository; `--self-test` first proves on small made-up
crates that a circle or an upward import is caught. The test command runs both.
"""
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each crate: its source folder, its roots, and its layers from the top down. A file's layer is
# the first whose pattern matches its path (relative to the source folder); fnmatch-like, where
# `x/*` holds everything under `x/`.
# The server's rooms, one per capability; a new capability adds its name here.
CAPABILITIES = ["auth", "visits", "consents", "withdrawals", "receipts", "ledger", "retention", "alerts",
                "editions"]

CRATES = {
    "widget": {
        "src": "src",
        "roots": ["lib.rs", "main.rs", "bin/prerender.rs"],
        "layers": [
            ("composition", ["lib.rs", "main.rs", "bin/*", "app.rs", "app/*"]),
            ("features", ["banner.rs", "choices.rs", "choices/*", "policy.rs", "my_data.rs",
                          "withdrawal.rs", "changes.rs", "update_notice.rs"]),
            ("parts", ["dialog.rs", "feedback.rs", "loading.rs", "download.rs", "language.rs"]),
            ("actions", ["widget.rs"]),
            ("effects", ["api.rs", "api/*", "outbox.rs", "outbox/*", "embed.rs", "storage.rs",
                         "focus.rs"]),
            ("model", ["model.rs", "model/*", "i18n.rs", "config.rs", "json.rs", "json/*",
                       "slot.rs", "command.rs"]),
        ],
    },
    "core": {
        "src": "core/src",
        "roots": ["lib.rs"],
        "layers": [
            ("root", ["lib.rs"]),
            ("contract", ["api.rs", "receipt.rs", "signals.rs"]),
            ("domain", ["catalog.rs", "catalog/*", "policy.rs", "ledger.rs", "subject.rs",
                        "words.rs"]),
            ("base", ["lang.rs", "date.rs", "maps.rs"]),
        ],
    },
    "server": {
        "src": "server/src",
        "roots": ["lib.rs", "main.rs"],
        "layers": [
            ("app", ["lib.rs", "main.rs", "app.rs", "settings.rs", "cli/*", "cli.rs", "demo.rs"]),
            ("http", ["http/*", "http.rs"]),
            ("state", ["state.rs"]),
            ("capabilities", [f"{room}{end}" for room in CAPABILITIES for end in (".rs", "/*")]),
            ("errors", ["error.rs"]),
            ("store", ["store/*"]),
            ("base", ["clock.rs", "seal.rs", "vital.rs", "texts.rs", "texts/*"]),
        ],
    },
}


def strip(text):
    """The code without comments, strings and characters, the lines kept where they were."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 40]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append("\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append("\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 12]):
            i += len(re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 12]).group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand(tree):
    """`a::{b, c::{d, e}}` → ["a::b", "a::c::d", "a::c::e"]."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)  # `x as y` names x
    tree = re.sub(r"\s+", "", tree)
    depth, start = 0, None
    for k, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = k
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                prefix, inner, rest = tree[:start], tree[start + 1:k], tree[k + 1:]
                parts, d, s = [], 0, 0
                for m, x in enumerate(inner + ","):
                    if x == "{":
                        d += 1
                    elif x == "}":
                        d -= 1
                    elif x == "," and d == 0:
                        if inner[s:m]:
                            parts.append(inner[s:m])
                        s = m + 1
                out = []
                for p in parts:
                    out += expand(prefix + p + rest)
                return out
    return [re.sub(r"::self$", "", tree)]


class Crate:
    def __init__(self, name, src, roots, layers):
        self.name, self.src, self.layers = name, Path(src), layers
        self.files = sorted(p for p in self.src.rglob("*.rs"))
        self.roots = [self.src / r for r in roots if (self.src / r).exists()]

    def rel(self, path):
        return path.relative_to(self.src).as_posix()

    def module_dir(self, file):
        """The folder where the submodules of `file` live."""
        if file in self.roots or file.name == "mod.rs":
            return file.parent
        return file.with_suffix("")

    def parent(self, file):
        if file in self.roots:
            return None
        folder = file.parent if file.name != "mod.rs" else file.parent.parent
        for candidate in [folder.with_suffix(".rs"), folder / "mod.rs"] + [r for r in self.roots if r.parent == folder]:
            if candidate.exists() and candidate in self.files:
                return candidate
        return None

    def child(self, file, name):
        folder = self.module_dir(file)
        for candidate in [folder / f"{name}.rs", folder / name / "mod.rs"]:
            if candidate in self.files:
                return candidate
        return None

    def root_of(self, file):
        f = file
        while self.parent(f) is not None:
            f = self.parent(f)
        return f if f in self.roots else self.roots[0]

    def resolve(self, file, path, inline_depth):
        parts = path.split("::")
        head = parts[0]
        if head == "crate":
            here, parts = self.root_of(file), parts[1:]
        elif head in ("super", "self"):
            here = file
            while parts and parts[0] in ("super", "self"):
                if parts[0] == "super":
                    if inline_depth:
                        inline_depth -= 1
                    else:
                        here = self.parent(here)
                        if here is None:
                            return None
                parts = parts[1:]
        elif self.child(file, head) is not None and not inline_depth:
            here = file
        else:
            return None
        for part in parts:
            nxt = self.child(here, part)
            if nxt is None:
                break
            here = nxt
        return here

    def arrows(self):
        """(from, to) → [(line, path)]."""
        found = {}
        for file in self.files:
            code = strip(file.read_text())
            inline = inline_ranges(code)
            paths = []
            for m in re.finditer(r"\buse\s+([^;]+);", code):
                for p in expand(m.group(1)):
                    paths.append((m.start(), p))
            for m in re.finditer(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", code):
                paths.append((m.start(), m.group(1)))
            for pos, p in paths:
                if is_test_code(pos, inline):
                    continue
                depth = sum(1 for a, b, _ in inline if a <= pos < b)
                target = self.resolve(file, p, depth)
                if target is not None and target != file:
                    line = code.count("\n", 0, pos) + 1
                    found.setdefault((file, target), []).append((line, p))
        return found

    def layer(self, file):
        rel = self.rel(file)
        for rank, (name, patterns) in enumerate(self.layers):
            for pat in patterns:
                if rel == pat or (pat.endswith("/*") and rel.startswith(pat[:-1])):
                    return rank, name
        return None, None


def inline_ranges(code):
    """(start, end, is_test) of each inline `mod x { … }`."""
    out = []
    for m in re.finditer(r"\bmod\s+\w+\s*\{", code):
        depth, k = 1, m.end()
        while k < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[k], 0)
            k += 1
        before = code[max(0, m.start() - 60):m.start()]
        out.append((m.end(), k, "#[cfg(test)]" in before.replace(" ", "").replace("\n", "")[-40:]))
    return out


def is_test_code(pos, inline):
    return any(a <= pos < b and test for a, b, test in inline)


def circles(nodes, edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    graph = {n: [] for n in nodes}
    for a, b in edges:
        graph[a].append(b)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    sys.setrecursionlimit(10000)
    for n in nodes:
        if n not in index:
            visit(n)
    return out


def check(crate):
    """The problems of one crate, as lines of text."""
    problems = []
    arrows = crate.arrows()
    for group in circles(crate.files, arrows.keys()):
        members = set(group)
        problems.append(f"{crate.name}: circle of {len(group)} files: " + ", ".join(crate.rel(f) for f in group))
        for (a, b), uses in sorted(arrows.items()):
            if a in members and b in members:
                line, path = uses[0]
                problems.append(f"    {crate.rel(a)}:{line} -> {crate.rel(b)} ({path})")
    for file in crate.files:
        if crate.layer(file)[0] is None:
            problems.append(f"{crate.name}: {crate.rel(file)} is in no layer; name its layer in scripts/house.py")
    for (a, b), uses in sorted(arrows.items()):
        (ra, na), (rb, nb) = crate.layer(a), crate.layer(b)
        if ra is not None and rb is not None and rb < ra:
            line, path = uses[0]
            problems.append(f"{crate.name}: {crate.rel(a)}:{line} ({na}) imports {crate.rel(b)} ({nb}), a layer above it ({path})")
    return problems, len(arrows)


def self_test():
    """Made-up crates in which the check must find what is wrong."""
    cases = {
        "a circle through a use group": ({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::{b::Thing, other};\n",
            "b.rs": "use crate::a::Other;\n",
        }, "circle of 2 files"),
        "a circle through super:: and a path in code": ({
            "lib.rs": "mod x;\nuse x::y::Y;\npub struct Root;\n",
            "x/mod.rs": "pub mod y;\n",
            "x/y.rs": "pub struct Y;\nfn f() -> super::super::Root { todo!() }\n",
        }, "circle of 2 files"),
        "a circle through a nested group and super": ({
            "lib.rs": "mod m;\n",
            "m/mod.rs": "mod p;\nmod q;\n",
            "m/p.rs": "use super::{q::{self, Q}};\n",
            "m/q.rs": "fn g() { let _ = super::p::P; }\n",
        }, "circle of 2 files"),
        "a circle through a renamed import": ({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::Thing as Other;\n",
            "b.rs": "use crate::a::Class;\n",
        }, "circle of 2 files"),
        "an import from a lower layer to a higher one": ({
            "lib.rs": "mod low;\nmod high;\n",
            "high.rs": "use crate::low::L;\n",
            "low.rs": "use crate::high::H;\n",
        }, "a layer above it"),
        "a comment and a string are not imports": ({
            "lib.rs": "mod low;\nmod high;\n",
            "high.rs": "",
            "low.rs": "// use crate::high::H;\nconst S: &str = \"crate::high::H\";\n",
        }, None),
    }
    failures = 0
    for name, (files, expected) in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            for rel, text in files.items():
                (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / rel).write_text(text)
            crate = Crate("made-up", tmp, ["lib.rs"], [("top", ["lib.rs", "high.rs", "a.rs", "b.rs", "x/*", "m/*"]), ("bottom", ["low.rs"])])
            problems, _ = check(crate)
            text = "\n".join(problems)
            ok = (expected in text) if expected else not problems
            print(f"self-test {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {text or 'nothing found'}"))
            failures += not ok
    return failures


def main():
    failures = self_test() if "--self-test" in sys.argv else 0
    for name, c in CRATES.items():
        crate = Crate(name, ROOT / c["src"], c["roots"], c["layers"])
        problems, count = check(crate)
        big = [f for f in crate.files if len(f.read_text().splitlines()) > 500]
        print(f"{name}: {len(crate.files)} files, {count} arrows between them, "
              f"{len(crate.layers)} layers: " + " > ".join(n for n, _ in crate.layers)
              + ("; no circle, no arrow upward" if not problems else ""))
        for f in big:
            print(f"    note: {crate.rel(f)} has {len(f.read_text().splitlines())} lines")
        for p in problems:
            print("  " + p)
        failures += len(problems)
    if failures:
        print(f"house: {failures} problem(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
