# Sourced by ./test: installs the ONNX Runtime that the export tests run models on (tests/node: onnxruntime-node,
# pinned in package-lock.json) into tests/node/node_modules, which git ignores. It installs once, and again only when
# package-lock.json changes. --ignore-scripts: the CPU runtime ships inside the npm package; its install script
# would only fetch GPU providers.
require_ort() {
  local dir="tests/node"
  local stamp="$dir/node_modules/.contextnets-lock.sha256"
  if ! command -v npm >/dev/null 2>&1; then
    echo "The ONNX export tests need Node.js and npm (Debian: apt-get install nodejs npm)." >&2
    return 1
  fi
  local want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules/onnxruntime-node" ]; then return 0; fi
  echo "Installing onnxruntime-node for the ONNX export tests (npm ci --ignore-scripts in $dir)..." >&2
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund >&2) || { echo "npm ci failed in $dir" >&2; return 1; }
  echo "$want" > "$stamp"
}
