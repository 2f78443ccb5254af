#!/usr/bin/env bash
# Smoke-test the built app: dist/repowiki/repowiki gui --smoke on a tiny ZIP, offscreen.
#
#   installers/smoke.sh [APP]        APP defaults to dist/repowiki/repowiki
#
# Passes when the app opened its window, started Redis and the workers, indexed the ZIP (one small
# file per language the chunker parses, so every bundled tree-sitter grammar is loaded), streamed an
# answer with references, exited 0 -- and no process that mentions the smoke's data dir is left.
set -euo pipefail
cd "$(dirname "$0")/.."
app="$(realpath "${1:-dist/repowiki/repowiki}")"
[ -x "$app" ] || { echo "smoke.sh: $app not found; run installers/build.sh first" >&2; exit 1; }

work="$(mktemp -d -t repowiki-smoke-XXXXXX)"
home="$work/home"
trap 'rm -rf "$work"' EXIT
src="$work/tiny-main"
mkdir -p "$src/src"
cat > "$src/README.md" <<'MD'
# tiny

A tiny project that greets people by name, once per language.
MD
printf 'def greet(name):\n    """A friendly greeting for name."""\n    return f"Hello, {name}!"\n' > "$src/src/greet.py"
printf 'function greet(name) {\n  return `Hello, ${name}!`;\n}\nmodule.exports = { greet };\n' > "$src/src/greet.js"
printf 'export function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\n' > "$src/src/greet.ts"
printf 'export function Greeting(props: {name: string}) {\n  return <p>Hello, {props.name}!</p>;\n}\n' > "$src/src/greeting.tsx"
printf 'public class Greeter {\n    public static String greet(String name) {\n        return "Hello, " + name + "!";\n    }\n}\n' > "$src/src/Greeter.java"
printf 'package greet\n\nfunc Greet(name string) string {\n\treturn "Hello, " + name + "!"\n}\n' > "$src/src/greet.go"
printf 'pub fn greet(name: &str) -> String {\n    format!("Hello, {}!", name)\n}\n' > "$src/src/greet.rs"
printf '#include <stdio.h>\n\nvoid greet(const char *name) {\n    printf("Hello, %%s!\\n", name);\n}\n' > "$src/src/greet.c"
printf '#include <string>\n\nstd::string greet(const std::string &name) {\n    return "Hello, " + name + "!";\n}\n' > "$src/src/greet.cpp"
printf 'public static class Greeter {\n    public static string Greet(string name) => $"Hello, {name}!";\n}\n' > "$src/src/Greeter.cs"
printf 'def greet(name)\n  "Hello, #{name}!"\nend\n' > "$src/src/greet.rb"
printf '<?php\nfunction greet($name) {\n    return "Hello, $name!";\n}\n' > "$src/src/greet.php"
(cd "$work" && python3 -m zipfile -c tiny.zip tiny-main/ >/dev/null 2>&1 || (cd "$work" && zip -qr tiny.zip tiny-main))

status=0
start=$(date +%s%N)
QT_QPA_PLATFORM=offscreen timeout 900 "$app" --home "$home" gui --smoke "$work/tiny.zip" \
    --smoke-question "How does greet build the greeting?" || status=$?
end=$(date +%s%N)
echo "smoke.sh: the smoke run took $(( (end - start) / 1000000000 )) s (exit $status)"

# Every grammar loaded: each code file's definition is found by name (search prints its symbols).
symbols="$("$app" --home "$home" search tiny "greet Greeter Greeting function" -k 40 --json)" || status=1
parsed="$(printf '%s' "$symbols" | python3 -c '
import json, sys
refs = json.load(sys.stdin)["references"]
print(len({r["path"] for r in refs if r["symbol"] and r["path"].startswith("src/")}))')" || parsed=0
echo "smoke.sh: $parsed of 12 code files have a definition found by tree-sitter"
[ "$parsed" = 12 ] || { echo "smoke.sh: a tree-sitter grammar did not load" >&2; status=1; }

left="$(pgrep -f -- "$home" || true)"
if [ -n "$left" ]; then
    echo "smoke.sh: processes left behind:" >&2
    ps -o pid=,args= -p "$(echo $left | tr ' ' ',')" >&2 || true
    kill -KILL $left 2>/dev/null || true
    status=1
fi
[ "$status" = 0 ] && echo "smoke.sh: PASS" || echo "smoke.sh: FAIL" >&2
exit "$status"
