#!/usr/bin/env bash
# Times `ckptmeta validate` against peer JSON Schema validators on the same N schema-1.0
# sidecars (~1 KB each, 1% invalid, each beside its checkpoint) and prints ratios against
# sourcemeta `jsonschema` (its native binary, -c: it goes on after a failure, as we do).
#
#   bash bench/compare.sh --install      # first: npm install the peers into bench/node_modules
#   bash bench/compare.sh [N]            # default N=10000; ROUNDS=7 rounds (env)
#
# Workloads (issue 12 targets beside each ratio):
#   cold   validate the tree, every file read and checked (--no-cache when ckptmeta has a cache)
#   -j 1   the same with one worker: per core (sourcemeta is single-threaded)
#   warm   the results cache populated and nothing changed (ckptmeta only; the peer runs cold)
#   one    one file, process start to exit (the pre-commit case; --no-cache), and the same
#          file again with its verdict in the results cache (a hit: no schema is compiled)
# Runs alternate (ckptmeta, sourcemeta, ajv-cli, ckptmeta, …) so a change in the machine's load
# hits every tool alike; each figure is the median. Timing uses hyperfine (Debian hyperfine)
# when present, one hyperfine call per run, else Python's perf_counter around each process.
# The migrate targets (first run ≤ 1.3× the atomic-write floor, second run ≤ validate) come from
# migrate's BenchmarkRun10k, run at the end (MIGRATE_RUNS=0 skips it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

if [ "${1:-}" = "--install" ]; then
  # Pinned; npm keeps the tarballs in its cache, so a reinstall works offline (--prefer-offline).
  (cd "$here" && npm install --prefer-offline --no-audit --no-fund --silent \
    @sourcemeta/jsonschema@16.11.0 ajv-cli@5.0.0 ajv-formats@3.0.1)
  exit 0
fi
n="${1:-10000}"
rounds="${ROUNDS:-7}"
out="$here/out"
data="$out/tree-$n"
mkdir -p "$out"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "building ckptmeta"
(cd "$root" && go build -o "$out/ckptmeta.linked" ./cmd/ckptmeta)
# Timed from a copy: a binary fresh from the linker (written through mmap) maps 0.3-0.6 ms
# slower per run than the same bytes written by cp, a cost of the build, not of ckptmeta
# (DESIGN.md, Start-up); sourcemeta's binary, unpacked by npm, is written the cp way too.
cp "$out/ckptmeta.linked" "$out/ckptmeta.tmp" && mv "$out/ckptmeta.tmp" "$out/ckptmeta" && rm "$out/ckptmeta.linked"
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

# sourcemeta's npm package ships one native binary per platform; its cli.js only spawns the
# right one. We call that binary directly: node's start-up is not sourcemeta's.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) plat=linux-x86_64 ;;
  Linux-aarch64) plat=linux-arm64 ;;
  Darwin-x86_64) plat=darwin-x86_64 ;;
  Darwin-arm64) plat=darwin-arm64 ;;
  *) plat=unknown ;;
esac
if [ "$plat" != unknown ] && ldd --version 2>&1 | grep -qi musl; then plat="$plat-musl"; fi
sm="$here/node_modules/@sourcemeta/jsonschema/build/github-releases/jsonschema-$plat"
ajv="$here/node_modules/.bin/ajv"

nocache=""
if "$ck" validate --help | grep -q -- '--no-cache'; then nocache="--no-cache"; fi
cachedir="$out/cache"
rm -rf "$cachedir"

python3 - "$ck" "$sm" "$ajv" "$out" "$data" "$one" "$n" "$rounds" "$nocache" "$cachedir" "$load_start" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
ck, sm, ajv, out, data, one, n, rounds, nocache, cachedir, load_start = sys.argv[1:]
n, rounds = int(n), int(rounds)
schema = os.path.join(out, "schema-1.0.json")
have_sm, have_ajv = os.access(sm, os.X_OK), os.access(ajv, os.X_OK)
nc = [nocache] if nocache else []
hyperfine = shutil.which("hyperfine")

def run(cmd):
    """One run, output discarded; wall seconds (exit codes ignored: the tree has invalid files)."""
    if hyperfine:
        f = os.path.join(out, "h.json")
        subprocess.run([hyperfine, "-N", "-i", "--runs", "1", "--style", "none", "--export-json", f,
                        " ".join(cmd)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return json.load(open(f))["results"][0]["times"][0]
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t

def check(label, cmd, want):
    """Run once and show what the tool said: a benchmark of a tool that failed to run is no benchmark."""
    p = subprocess.run(cmd, capture_output=True, text=True)
    text = (p.stdout + p.stderr).strip().splitlines()
    last = text[-1] if text else ""
    print("  %-22s exit %d: %s" % (label, p.returncode, last[:110]))
    if want not in (p.stdout + p.stderr):
        sys.exit("compare.sh: %s did not report %r; not timing it" % (label, want))

# workloads: name -> [(tool, cmd)]; the tools of a workload alternate round by round.
cold = [("ckptmeta", [ck, "validate", *nc, data])]
j1 = [("ckptmeta", [ck, "validate", "-j", "1", *nc, data])]
warm = [("ckptmeta", [ck, "validate", "--cache-dir", cachedir, data])] if nocache else []
one_ = [("ckptmeta", [ck, "validate", *nc, one])]
one_hit = [("ckptmeta", [ck, "validate", "--cache-dir", cachedir, one])] if nocache else []
if have_sm:
    smc = [sm, "validate", "-c", schema, data]
    cold.append(("sourcemeta", smc)); j1.append(("sourcemeta", smc)); warm.append(("sourcemeta", smc))
    one_.append(("sourcemeta", [sm, "validate", "-c", schema, one]))
    if one_hit:
        one_hit.append(("sourcemeta", [sm, "validate", "-c", schema, one]))
if have_ajv:
    cold.append(("ajv-cli", [ajv, "validate", "--spec=draft2020", "--strict=false", "-s", schema, "-d",
                             os.path.join(data, "*/*/*.metadata.yaml")]))
    one_.append(("ajv-cli", [ajv, "validate", "--spec=draft2020", "--strict=false", "-s", schema, "-d", one]))

print("\nwhat each tool says about the tree (one run each):")
check("ckptmeta", cold[0][1], "%d files checked" % n)
if have_sm:
    check("sourcemeta -c", cold[1][1], "%d validated" % n)
if have_ajv:
    check("ajv-cli", cold[-1][1], "invalid")
if nocache:
    subprocess.run(warm[0][1], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # populate the cache
    check("ckptmeta (warm)", warm[0][1], "%d files checked" % n)
    subprocess.run(one_hit[0][1], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # its verdict cached
    check("ckptmeta (one, hit)", one_hit[0][1], "1 file checked")

workloads = [("validate %d, cold" % n, cold, 1, "<= 0.5x"),
             ("validate %d, -j 1" % n, j1, 1, "<= 0.8x"),
             ("validate %d, warm cache" % n, warm, 1, "<= 0.1x"),
             ("one file, start to exit", one_, 10, "<= 1.0x"),
             ("one file, cache hit", one_hit, 10, "<= 1.0x")]
results = {}
for name, cmds, per_round, _ in workloads:
    if not cmds or cmds[0][0] != "ckptmeta":
        continue
    times = {tool: [] for tool, _ in cmds}
    for r in range(rounds):
        for tool, cmd in cmds:
            for _ in range(per_round):
                times[tool].append(run(cmd))
    results[name] = {tool: statistics.median(ts) for tool, ts in times.items()}
    print("  timed %-28s %s" % (name, ", ".join("%s %d runs" % (t, len(ts)) for t, ts in times.items())))

def fmt(s):
    return "%.3f s" % s if s >= 0.1 else "%.1f ms" % (s * 1000)

print()
print("machine: %d cores (nproc), %s" % (os.cpu_count(), next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")))
print("timing: %s, %d alternating rounds, medians; load average at start: %s" % ("hyperfine 1 run per call" if hyperfine else "perf_counter", rounds, load_start))
if have_sm:
    print("sourcemeta: %s (native binary %s)" % (subprocess.run([sm, "--version"], capture_output=True, text=True).stdout.strip(), os.path.basename(sm)))
print()
print("%-28s %10s %14s %9s %9s %10s" % ("workload", "ckptmeta", "sourcemeta -c", "ratio", "target", "ajv-cli"))
for name, cmds, _, target in workloads:
    r = results.get(name)
    if r is None:
        print("%-28s %10s" % (name, "n/a (this ckptmeta has no results cache)" if "warm" in name or "hit" in name else "n/a"))
        continue
    ours, peer, a = r["ckptmeta"], r.get("sourcemeta"), r.get("ajv-cli")
    ratio = "%.2fx" % (ours / peer) if peer else "-"
    print("%-28s %10s %14s %9s %9s %10s" % (name, fmt(ours), fmt(peer) if peer else "-", ratio, target, fmt(a) if a else "-"))
if "validate %d, cold" % n in results and "validate %d, -j 1" % n in results:
    c, j = results["validate %d, cold" % n]["ckptmeta"], results["validate %d, -j 1" % n]["ckptmeta"]
    print("\nckptmeta speed-up from 1 worker to %d: %.2fx" % (os.cpu_count(), j / c))
PY

# migrate: the target is relative to the atomic-write floor, which only a Go program in the
# same run can measure; BenchmarkRun10k measures the floor, migrate's first and second run and
# validate on the same tree, and reports first/floor (target <= 1.3) and second/validate (<= 1).
# MIGRATE_RUNS=0 skips it.
if [ "${MIGRATE_RUNS:-2}" != 0 ]; then
  echo
  echo "migrate (go test -bench BenchmarkRun10k -benchtime ${MIGRATE_RUNS:-2}x ./migrate; medians):"
  (cd "$root" && go test -run '^$' -bench '^BenchmarkRun10k$' -benchtime "${MIGRATE_RUNS:-2}x" ./migrate) |
    awk '/^BenchmarkRun10k/ { for (i = 3; i < NF; i += 2) printf "  %-18s %s\n", $(i+1), $i }'
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
