#!/usr/bin/env bash
# Opt-in fast path: build @tensorflow/tfjs-node offline so `initTf('auto')` picks the `tensorflow`
# backend (~4x faster training than wasm, see lib/embedder/backend.ts).
#
# Why this script exists: tfjs-node's own install script downloads libtensorflow 2.9.1 from
# storage.googleapis.com, which fails offline, so npm drops the optional dependency. Instead we
# take the TensorFlow C library and C headers from the tensorflow-cpu wheel (pip), put them where
# tfjs-node's binding.gyp looks (deps/lib, deps/include), and compile the N-API binding.
#
# - Never touches package.json or package-lock.json: the package is staged with npm in a cache
#   folder outside the repo and copied into node_modules; its own dependencies are nested under
#   node_modules/@tensorflow/tfjs-node/node_modules so nothing at the top level changes.
#   `@tensorflow/tfjs` is NOT nested, so tfjs-node registers onto the project's single tfjs-core.
# - Idempotent: exits early when tfjs-node already loads; `--force` rebuilds.
# - `npm ci` deletes node_modules, so run this script again after it. A plain `npm install` kept
#   the package (checked with `npm install --dry-run`: "up to date"), but any npm run that decides
#   to reinstall tfjs-node re-runs its failing install script and drops it again; the script is
#   cheap to re-run: ~1 s when the build is intact, ~45 s from the cache, ~4.5 min cold (measured
#   on 2 busy cores; most of it is the 270 MB wheel and the 790 MB library).
#
# Usage: bash scripts/build-tfjs-node.sh [--force]
set -euo pipefail

TFJS_NODE_VERSION=4.22.0
TF_WHEEL_VERSION=2.21.0
# tfjs-node's scripts/deps-constants.js: install.js skips its download when this file exists.
LIBTENSORFLOW_EXPECTED=libtensorflow.so.2.9.1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/fewshot/tfjs-node-${TFJS_NODE_VERSION}-tf${TF_WHEEL_VERSION}"
PKG_DIR="$ROOT/node_modules/@tensorflow/tfjs-node"
FORCE=0

for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    *) echo "unknown argument '$arg'; usage: bash scripts/build-tfjs-node.sh [--force]" >&2; exit 1 ;;
  esac
done

log() { echo "[build-tfjs-node] $*"; }
die() { echo "[build-tfjs-node] error: $*" >&2; exit 1; }

# Loads tfjs-node the way lib/embedder/backend.ts does (oneDNN off: it crashes on some convs)
# and runs one conv so a broken library fails here, not at first use.
check_load() {
  (cd "$ROOT" && TF_ENABLE_ONEDNN_OPTS=0 TF_CPP_MIN_LOG_LEVEL=2 node -e "
    const tf = require('@tensorflow/tfjs-node');
    const core = require('@tensorflow/tfjs');
    if (tf.engine() !== core.engine() || tf.Tensor !== core.Tensor) throw new Error('tfjs-node uses a second copy of @tensorflow/tfjs');
    const y = tf.conv2d(tf.ones([1, 5, 5, 1]), tf.ones([3, 3, 1, 2]), 1, 'same').sum().dataSync()[0];
    // 3x3 'same' over 5x5 ones: each output sums its in-bounds window, (2+3+3+3+2)^2 = 169 per filter.
    if (y !== 2 * 169) throw new Error('conv2d smoke test gave ' + y + ', expected 338');
    console.log('tfjs-node ' + tf.version['tfjs-node'] + ' loaded, backend ' + tf.getBackend());
  ")
}

command -v node >/dev/null || die "node not found"
command -v npm >/dev/null || die "npm not found"
command -v python3 >/dev/null || die "python3 (with pip) is needed to fetch the tensorflow-cpu wheel"
command -v make >/dev/null && command -v g++ >/dev/null || die "make and g++ are needed to compile the binding (apt-get install build-essential)"
[ -d "$ROOT/node_modules/@tensorflow/tfjs" ] || die "node_modules/@tensorflow/tfjs is missing; run npm ci first"

if [ "$FORCE" = 0 ] && [ -d "$PKG_DIR" ] && LOADED="$(check_load 2>/dev/null)"; then
  log "already built: $LOADED"
  exit 0
fi

START_S=$SECONDS
mkdir -p "$CACHE_DIR"

# 1. Stage the npm package (and its dependency closure) outside the repo, without install scripts.
STAGE="$CACHE_DIR/stage"
if [ ! -f "$STAGE/node_modules/@tensorflow/tfjs-node/package.json" ]; then
  log "staging @tensorflow/tfjs-node@$TFJS_NODE_VERSION in $STAGE"
  rm -rf "$STAGE" && mkdir -p "$STAGE"
  echo '{"name":"tfjs-node-stage","private":true}' >"$STAGE/package.json"
  (cd "$STAGE" && npm install --ignore-scripts --no-audit --no-fund --no-package-lock --omit=dev \
    "@tensorflow/tfjs-node@$TFJS_NODE_VERSION" >/dev/null)
fi

log "copying the package into $PKG_DIR"
rm -rf "$PKG_DIR"
cp -a "$STAGE/node_modules/@tensorflow/tfjs-node" "$PKG_DIR"
# Nest tfjs-node's runtime dependencies (transitively), skipping @tensorflow/*, which must resolve
# to the project's copies so there is exactly one tfjs-core.
node - "$STAGE/node_modules" "$PKG_DIR/node_modules" <<'EOF'
const fs = require('fs');
const path = require('path');
const [from, to] = process.argv.slice(2);
const seen = new Set();
// Resolves `name` as Node would from package dir `dir` inside the staged tree.
function locate(name, dir) {
  for (let d = dir; d.startsWith(from); d = path.dirname(d)) {
    const base = path.basename(d) === 'node_modules' ? d : path.join(d, 'node_modules');
    const p = path.join(base, name);
    if (fs.existsSync(path.join(p, 'package.json'))) return p;
    if (d === from) break;
  }
  throw new Error(`cannot resolve ${name} from ${dir}`);
}
function walk(dir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    if (name.startsWith('@tensorflow/')) continue;
    let p;
    try { p = locate(name, dir); } catch (e) { if (pkg.optionalDependencies?.[name]) continue; throw e; }
    if (seen.has(p)) continue;
    seen.add(p);
    const dest = path.join(to, path.relative(from, p));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.cpSync(p, dest, { recursive: true, verbatimSymlinks: true });
    walk(p);
  }
}
walk(path.join(from, '@tensorflow', 'tfjs-node'));
fs.mkdirSync(path.join(to, '.bin'), { recursive: true });
fs.symlinkSync('../@mapbox/node-pre-gyp/bin/node-pre-gyp', path.join(to, '.bin', 'node-pre-gyp'));
console.log(`[build-tfjs-node] nested ${seen.size} dependencies`);
EOF

# 2. The TensorFlow C library and headers, from the tensorflow-cpu wheel (cached).
WHEEL_DIR="$CACHE_DIR/wheel"
LIB_CACHE="$CACHE_DIR/lib"
INC_CACHE="$CACHE_DIR/include"
if [ ! -f "$LIB_CACHE/.complete" ]; then
  if ! ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_WHEEL_VERSION"-*.whl >/dev/null 2>&1; then
    log "downloading tensorflow-cpu==$TF_WHEEL_VERSION (about 270 MB) with pip"
    python3 -m pip download --no-deps --only-binary=:all: --dest "$WHEEL_DIR" \
      "tensorflow-cpu==$TF_WHEEL_VERSION" >/dev/null
  fi
  WHEEL="$(ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_WHEEL_VERSION"-*.whl | head -n 1)"
  log "extracting the C library and headers from $(basename "$WHEEL")"
  rm -rf "$LIB_CACHE" "$INC_CACHE"
  python3 - "$WHEEL" "$LIB_CACHE" "$INC_CACHE" "$STAGE/node_modules/@tensorflow/tfjs-node/binding" <<'EOF'
import os, re, shutil, sys, zipfile
wheel, lib_dir, inc_dir, binding_dir = sys.argv[1:]
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
INC = 'tensorflow/include/'
include_re = re.compile(rb'^\s*#\s*include\s+"([^"]+)"', re.M)
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    missing = libs - names
    if missing:
        sys.exit(f'wheel lacks {sorted(missing)}; expected a tensorflow-cpu 2.x manylinux wheel')
    for name in libs:
        os.makedirs(lib_dir, exist_ok=True)
        with z.open(name) as src, open(os.path.join(lib_dir, os.path.basename(name)), 'wb') as out:
            shutil.copyfileobj(src, out, 1 << 20)
    # Copy the transitive closure of the TensorFlow headers the binding's sources include.
    todo = []
    for f in os.listdir(binding_dir):
        if f.endswith(('.cc', '.h')):
            todo += [m.decode() for m in include_re.findall(open(os.path.join(binding_dir, f), 'rb').read())]
    seen = set()
    while todo:
        header = todo.pop()
        if header in seen or INC + header not in names:
            continue  # the binding's own headers, or system headers
        seen.add(header)
        data = z.read(INC + header)
        dest = os.path.join(inc_dir, header)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        open(dest, 'wb').write(data)
        todo += [m.decode() for m in include_re.findall(data)]
    print(f'[build-tfjs-node] copied {len(seen)} headers')
EOF
  touch "$LIB_CACHE/.complete"
fi

log "linking the library into $PKG_DIR/deps"
mkdir -p "$PKG_DIR/deps/lib" "$PKG_DIR/deps/include"
for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  # A hard link saves ~850 MB when the cache is on the same file system; copy otherwise.
  ln -f "$LIB_CACHE/$f" "$PKG_DIR/deps/lib/$f" 2>/dev/null || cp -f "$LIB_CACHE/$f" "$PKG_DIR/deps/lib/$f"
done
cp -a "$INC_CACHE/." "$PKG_DIR/deps/include/"
(
  cd "$PKG_DIR/deps/lib"
  # -ltensorflow / -ltensorflow_framework at link time; the SONAMEs (libtensorflow_cc.so.2,
  # libtensorflow_framework.so.2) at run time through the binding's rpath $ORIGIN/../../deps/lib.
  ln -sf libtensorflow_cc.so.2 libtensorflow.so
  ln -sf libtensorflow_cc.so.2 libtensorflow.so.2
  ln -sf libtensorflow_cc.so.2 "$LIBTENSORFLOW_EXPECTED"
  ln -sf libtensorflow_framework.so.2 libtensorflow_framework.so
  ln -sf libtensorflow_framework.so.2 "libtensorflow_framework.so.${LIBTENSORFLOW_EXPECTED#libtensorflow.so.}"
)

# 3. Compile the binding. node-gyp must not download Node headers (offline): point it at the
# headers shipped with this Node install when present.
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
NPM_NODE_GYP="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NPM_NODE_GYP" ] || die "npm's bundled node-gyp not found at $NPM_NODE_GYP"
NODEDIR_ARGS=()
if [ -f "$NODE_PREFIX/include/node/common.gypi" ]; then NODEDIR_ARGS=(--nodedir="$NODE_PREFIX"); fi
log "compiling the binding (a few minutes)"
(
  cd "$PKG_DIR"
  npm_config_node_gyp="$NPM_NODE_GYP" JOBS="${JOBS:-2}" \
    node node_modules/@mapbox/node-pre-gyp/bin/node-pre-gyp rebuild --build-from-source --build-latest-napi-version-only "${NODEDIR_ARGS[@]}" \
    >"$CACHE_DIR/node-gyp.log" 2>&1 || { tail -n 40 "$CACHE_DIR/node-gyp.log" >&2; die "compiling failed; full log: $CACHE_DIR/node-gyp.log"; }
)

log "checking that it loads"
check_load || die "tfjs-node was built but does not load; see the error above"
log "done in $((SECONDS - START_S)) s"
