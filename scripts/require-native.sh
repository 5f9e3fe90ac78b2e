# Sourced by ./ctxnet and ./test: installs the Debian packages ContextNets needs when they are missing.
# At run time: oneDNN 2.6, the Fashion-MNIST dataset, the PNG and JPEG decoders, and the font of the pictures.
CTXNET_APT_PACKAGES="libdnnl2 dataset-fashion-mnist libpng16-16 libturbojpeg0 fonts-dejavu-core"
# For data-parallel training (ctxnet train --distributed): Open MPI's mpirun and libmpi.so.40.
CTXNET_MPI_PACKAGES="openmpi-bin"
# For the tests as well: the headers that our bindings are checked against (compiled with gcc), Debian's
# PyTorch, which makes the reference logits that the models are compared with, Debian's onnx package, whose
# checker validates the exported ONNX files, and Open MPI with its mpi.h, for the distributed training tests.
CTXNET_TEST_PACKAGES="libdnnl-dev libpng-dev libturbojpeg0-dev gcc python3-torch python3-torchvision python3-onnx $CTXNET_MPI_PACKAGES libopenmpi-dev"

missing_packages() {
  local p missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  echo "$missing"
}

# require_native [extra packages...]: the run-time packages and any extra ones.
require_native() {
  local missing
  missing=$(missing_packages $CTXNET_APT_PACKAGES "$@")
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
