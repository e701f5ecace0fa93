#!/usr/bin/env bash
# The local stack's cluster: a kind cluster `servestack` (kubeconfig context kind-servestack)
# and an image registry on localhost:5001, wired the way kind's local-registry guide does it
# (https://kind.sigs.k8s.io/docs/user/local-registry/, site/static/examples/kind-with-registry.sh
# in kubernetes-sigs/kind): containerd on each node reads /etc/containerd/certs.d, a hosts.toml
# there sends `localhost:5001` to the registry container on the `kind` network, and the
# `local-registry-hosting` ConfigMap in kube-public documents the registry (KEP-1755).
#
#   local-cluster.sh up      create what is missing; a second run changes nothing
#   local-cluster.sh down    delete the cluster and the registry container
#   local-cluster.sh tools   only install the pinned kind and kubectl into .tools/bin
#
# kind and kubectl are pinned. When .tools/bin lacks them they are downloaded from their
# release sites and checked against the checksum each release publishes (the way
# helm/kind-action's kind.sh installs them); without a download tool or network, a kind
# already on PATH is used. Needs Docker.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${SERVESTACK_TOOLS:-$ROOT/.tools/bin}"

CLUSTER="${KIND_CLUSTER_NAME:-servestack}"
KIND_VERSION=v0.30.0
KUBECTL_VERSION=v1.34.0
# The node image kind v0.30.0 defaults to (pkg/apis/config/defaults/image.go at that tag):
# Kubernetes 1.34, the local stack's kubernetesVersion.
NODE_IMAGE="kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a"
REGISTRY_NAME=kind-registry
REGISTRY_PORT=5001
REGISTRY_IMAGE="registry:3"
CERTS_DIR=/etc/containerd/certs.d

say() { printf 'local-cluster: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

need_docker() {
  command -v docker >/dev/null 2>&1 || die "docker not found; install Docker (https://docs.docker.com/get-docker/) and retry"
  docker info >/dev/null 2>&1 || die "docker is installed but no daemon answers; start Docker and retry"
}

platform() {
  local os arch
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported machine $(uname -m) (kind ships amd64 and arm64)" ;;
  esac
  printf '%s %s\n' "$os" "$arch"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# download URL CHECKSUM_URL DEST: fetch both, compare, install only on a match.
download() {
  local url="$1" sum_url="$2" dest="$3" tmp expected actual
  tmp="$(mktemp)"
  curl -fsL --retry 3 -o "$tmp" "$url" || {
    rm -f "$tmp"
    return 1
  }
  # kind's .sha256sum is "<hash>  <file>", dl.k8s.io's .sha256 is "<hash>": the first field.
  expected="$(curl -fsL --retry 3 "$sum_url" | cut -d' ' -f1)" || {
    rm -f "$tmp"
    return 1
  }
  actual="$(sha256_of "$tmp")"
  if [[ -z "$expected" || "$actual" != "$expected" ]]; then
    rm -f "$tmp"
    die "checksum mismatch for $url (expected ${expected:-nothing}, got $actual)"
  fi
  mkdir -p "$(dirname "$dest")"
  chmod +x "$tmp"
  mv "$tmp" "$dest"
}

install_tools() {
  local os arch
  read -r os arch < <(platform)
  if [[ ! -x "$TOOLS/kind" ]] || ! "$TOOLS/kind" version 2>/dev/null | grep -q "kind $KIND_VERSION "; then
    command -v curl >/dev/null 2>&1 || return 1
    local base="https://github.com/kubernetes-sigs/kind/releases/download/$KIND_VERSION/kind-$os-$arch"
    download "$base" "$base.sha256sum" "$TOOLS/kind" || return 1
    say "installed kind $KIND_VERSION in $TOOLS"
  fi
  if [[ ! -x "$TOOLS/kubectl" ]] || ! "$TOOLS/kubectl" version --client 2>/dev/null | grep -q "$KUBECTL_VERSION\$"; then
    command -v curl >/dev/null 2>&1 || return 1
    local url="https://dl.k8s.io/release/$KUBECTL_VERSION/bin/$os/$arch/kubectl"
    download "$url" "$url.sha256" "$TOOLS/kubectl" || return 1
    say "installed kubectl $KUBECTL_VERSION in $TOOLS"
  fi
}

# Sets KIND and KUBECTL: the pinned copies, else what PATH has; one line when kind is missing.
find_tools() {
  install_tools || true # offline: fall back to PATH
  KIND="$TOOLS/kind"
  [[ -x "$KIND" ]] || KIND="$(command -v kind || true)"
  [[ -n "$KIND" ]] || die "kind not found and not downloadable; install kind $KIND_VERSION (https://kind.sigs.k8s.io/docs/user/quick-start/#installation) and retry"
  KUBECTL="$TOOLS/kubectl"
  [[ -x "$KUBECTL" ]] || KUBECTL="$(command -v kubectl || true)"
  [[ -n "$KUBECTL" ]] || die "kubectl not found and not downloadable; install kubectl $KUBECTL_VERSION and retry"
}

cluster_exists() {
  "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER"
}

up() {
  need_docker
  find_tools

  # 1. The registry container, published on the host's loopback only.
  local state
  state="$(docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)"
  if [[ "$state" == false ]]; then
    docker start "$REGISTRY_NAME" >/dev/null
  elif [[ "$state" != true ]]; then
    docker run -d --restart=always -p "127.0.0.1:$REGISTRY_PORT:5000" --network bridge \
      --name "$REGISTRY_NAME" "$REGISTRY_IMAGE" >/dev/null
    say "registry $REGISTRY_NAME started on localhost:$REGISTRY_PORT"
  fi

  # 2. The cluster, with containerd reading per-registry hosts.toml files.
  if ! cluster_exists; then
    "$KIND" create cluster --name "$CLUSTER" --image "$NODE_IMAGE" --wait 120s --config=- <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$CERTS_DIR"
EOF
  fi

  # 3. On every node, localhost:5001 means the registry container (a node's localhost is
  #    its own network namespace, not the host's).
  local node dir="$CERTS_DIR/localhost:$REGISTRY_PORT"
  for node in $("$KIND" get nodes --name "$CLUSTER"); do
    docker exec "$node" mkdir -p "$dir"
    printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" | docker exec -i "$node" cp /dev/stdin "$dir/hosts.toml"
  done

  # 4. The registry joins the cluster's network once.
  if [[ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_NAME")" == null ]]; then
    docker network connect kind "$REGISTRY_NAME"
  fi

  # 5. Document the registry for tools that look for it (KEP-1755).
  "$KUBECTL" --context "kind-$CLUSTER" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:$REGISTRY_PORT"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
EOF
  say "cluster $CLUSTER ready (context kind-$CLUSTER), registry localhost:$REGISTRY_PORT"
}

down() {
  need_docker
  KIND="$TOOLS/kind"
  [[ -x "$KIND" ]] || KIND="$(command -v kind || true)"
  if [[ -n "$KIND" ]] && cluster_exists; then
    "$KIND" delete cluster --name "$CLUSTER"
  elif [[ -z "$KIND" ]]; then
    say "kind not found; only the registry container is removed"
  fi
  if docker inspect "$REGISTRY_NAME" >/dev/null 2>&1; then
    docker rm -f "$REGISTRY_NAME" >/dev/null
    say "registry $REGISTRY_NAME removed"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  tools) install_tools || die "could not download kind $KIND_VERSION / kubectl $KUBECTL_VERSION (needs curl and the network)" ;;
  *)
    echo "usage: $(basename "$0") up|down|tools" >&2
    exit 2
    ;;
esac
