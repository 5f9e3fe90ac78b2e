# Sourced by ./ctxnet, ./test and .ci/run: installs the Debian packages ContextNets needs when they are missing.
# The packages: oneDNN 2.6 (runtime and headers), the Fashion-MNIST dataset, and the PNG and JPEG decoders
# (libpng, libturbojpeg; their headers only for the tests that check our bindings against them).
CTXNET_APT_PACKAGES="libdnnl2 libdnnl-dev dataset-fashion-mnist libpng16-16 libturbojpeg0 libpng-dev libturbojpeg0-dev"

missing_packages() {
  local p missing=""
  for p in $CTXNET_APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  echo "$missing"
}

require_native() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  echo "ContextNets needs these Debian packages:$missing" >&2
  local sudo=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "Install them as root: apt-get install -y$missing" >&2
      return 1
    fi
  fi
  echo "Installing them with apt-get..." >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2 \
    || { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2; } \
    || { echo "apt-get could not install:$missing" >&2; return 1; }
}
