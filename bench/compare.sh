#!/usr/bin/env bash
# Times `ckptmeta validate` against peer JSON Schema validators on the same N schema-1.0
# sidecars (~1 KB each, 1% invalid) and on one file (the pre-commit case), and prints ratios.
#
#   bash bench/compare.sh [N]            # default N=10000
#   bash bench/compare.sh --install      # first: npm install the peers into bench/node_modules
#
# Peers, when installed: sourcemeta `jsonschema` (npm @sourcemeta/jsonschema), ajv-cli (npm
# ajv-cli), python-jsonschema with PyYAML (Debian python3-jsonschema python3-yaml).
# Uses hyperfine when present (Debian hyperfine), else the best of 3 runs of `date`-timed loops.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

if [ "${1:-}" = "--install" ]; then
  (cd "$here" && npm install --no-audit --no-fund --silent @sourcemeta/jsonschema@16 ajv-cli@5 ajv-formats@3)
  exit 0
fi
n="${1:-10000}"
out="$here/out"
data="$out/tree-$n"
mkdir -p "$out"

echo "building ckptmeta"
(cd "$root" && go build -o "$out/ckptmeta" ./cmd/ckptmeta)
ck="$out/ckptmeta"
"$ck" schema show 1.0 > "$out/schema-1.0.json"

if [ ! -d "$data" ]; then
  echo "writing $n sidecars to $data"
  python3 - "$data" "$n" "$root/testdata/sidecars/valid/seed.ckpt.metadata.yaml" <<'PY'
import os, sys
data, n, seed = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read()
bad = seed.replace("epoch: 18", "epoch: -18")
for i in range(n):
    d = os.path.join(data, "exp%03d" % (i // 100), "checkpoints")
    os.makedirs(d, exist_ok=True)
    name = os.path.join(d, "epoch-%02d_step-%06d.ckpt" % (i % 100, i))
    # Each sidecar records its own checkpoint (a copied path would be sidecar/misplaced).
    doc = bad if i % 100 == 99 else seed
    rel = os.path.relpath(name, data).replace(os.sep, "/")
    doc = "\n".join("checkpoint_path: " + rel if l.startswith("checkpoint_path:") else l for l in doc.split("\n"))
    open(name + ".metadata.yaml", "w").write(doc)
    open(name, "w").close()
PY
fi
one="$(find "$data" -name '*.metadata.yaml' | sort | sed -n 1p)"

declare -A cmd_many cmd_one
cmd_many[ckptmeta]="$ck validate --no-stale $data"
cmd_one[ckptmeta]="$ck validate --no-stale $one"
sm="$here/node_modules/.bin/jsonschema"
if [ -x "$sm" ]; then
  cmd_many[sourcemeta]="$sm validate $out/schema-1.0.json $data"
  cmd_one[sourcemeta]="$sm validate $out/schema-1.0.json $one"
fi
ajv="$here/node_modules/.bin/ajv"
if [ -x "$ajv" ]; then
  cmd_many[ajv-cli]="$ajv validate --spec=draft2020 --strict=false -s $out/schema-1.0.json -d '$data/**/*.metadata.yaml'"
  cmd_one[ajv-cli]="$ajv validate --spec=draft2020 --strict=false -s $out/schema-1.0.json -d $one"
fi
if /usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null; then
  cat > "$out/pyjs.py" <<'PY'
import sys, json, glob, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft202012Validator(schema) if hasattr(jsonschema, "Draft202012Validator") else jsonschema.Draft7Validator(schema)
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
bad = 0
for p in sys.argv[2:] if len(sys.argv) > 3 else glob.glob(sys.argv[2] + "/**/*.metadata.yaml", recursive=True):
    doc = yaml.load(open(p), Loader=loader)
    doc["created_at"] = str(doc["created_at"])
    bad += any(True for _ in v.iter_errors(doc))
sys.exit(1 if bad else 0)
PY
  cmd_many[python-jsonschema]="/usr/bin/python3 $out/pyjs.py $out/schema-1.0.json $data"
fi

# time_cmd CMD: best wall time in seconds over 3 runs (exit codes ignored: the tree has invalid files)
time_cmd() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N -i -w 1 -r 5 --export-json "$out/h.json" "$1" >/dev/null 2>&1 || true
    python3 -c 'import json;print("%.4f" % min(json.load(open("'"$out"'/h.json"))["results"][0]["times"]))'
  else
    best=999
    for _ in 1 2 3; do
      s=$(date +%s.%N); bash -c "$1" >/dev/null 2>&1 || true; e=$(date +%s.%N)
      best=$(python3 -c "print('%.4f' % min($best, $e - $s))")
    done
    echo "$best"
  fi
}

printf '\n%-20s %12s %16s\n' "tool" "$n files (s)" "one file (ms)"
declare -A t_many t_one
for tool in ckptmeta sourcemeta ajv-cli python-jsonschema; do
  [ -n "${cmd_many[$tool]:-}" ] || { printf '%-20s %12s %16s\n' "$tool" "not installed" "-"; continue; }
  t_many[$tool]=$(time_cmd "${cmd_many[$tool]}")
  if [ -n "${cmd_one[$tool]:-}" ]; then
    t_one[$tool]=$(time_cmd "${cmd_one[$tool]}")
    printf '%-20s %12s %16s\n' "$tool" "${t_many[$tool]}" "$(python3 -c "print('%.1f' % (${t_one[$tool]}*1000))")"
  else
    printf '%-20s %12s %16s\n' "$tool" "${t_many[$tool]}" "-"
  fi
done
echo
for tool in sourcemeta ajv-cli python-jsonschema; do
  [ -n "${t_many[$tool]:-}" ] || continue
  python3 -c "print('ckptmeta vs %-18s %5.2fx faster on $n files' % ('$tool:', ${t_many[$tool]} / ${t_many[ckptmeta]}))"
done
echo "(machine: $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
