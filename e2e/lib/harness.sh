# Sourced by the harness scripts (.ci/run, e2e/kind/*, e2e/images/*), from the repository root:
# the host's packages, a Docker engine that answers, and the versions the repository pins.
#
#   ensure_packages PACKAGE...  apt-get install the Debian packages that are not installed yet
#   docker_ensure OWNER   install Debian's docker.io when dockerd is missing; start dockerd in the
#                         background (log: ~/.cache/goldpan/dockerd.log) when no daemon answers,
#                         with the harness's runc wrapper as its default runtime
#                         (e2e/tools/goldpan-runc); records its pid and OWNER in
#                         ~/.cache/goldpan/dockerd.started
#   docker_release OWNER  stop dockerd, only if docker_ensure OWNER started it
#   docker_legacy_builder where BuildKit's client plugin is missing (Debian's docker.io), use the
#                         legacy builder and drop its deprecation notice from `docker build`
#   chart_app_version     charts/goldpan/Chart.yaml's appVersion, the tag of Goldpan's images
#   kube_version          the Kubernetes release that e2e/k8s/go.mod pins
#   kind_module_dir       the sigs.k8s.io/kind module, at the version e2e/tools/node-build built
#
# There is no systemd on the CI machine, so the daemon is a plain background process.

goldpan_cache="${GOLDPAN_CACHE:-$HOME/.cache/goldpan}"

ensure_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "host: installing Debian's ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

docker_ensure() {
  local owner="${1:?docker_ensure OWNER}"
  command -v dockerd >/dev/null 2>&1 || ensure_packages docker.io
  if docker info >/dev/null 2>&1; then
    return 0
  fi
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  # The wrapper lets privileged containers (Kind's nodes) start where the capability bounding set
  # lacks CAP_SYS_RESOURCE. It does so on every host, so it is used only by a daemon started here,
  # for the harness; a daemon that already answers is used as it is.
  "$here/tools/node-build" --only goldpan-runc >&2
  mkdir -p "$goldpan_cache"
  echo "docker: starting dockerd (log: $goldpan_cache/dockerd.log)" >&2
  # Without the descriptors this shell inherited: a caller's lock (flock /tmp/goldpan-kind.lock
  # e2e/kind/up) would otherwise be held by the daemon for as long as it runs.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd="${fd##*/}"
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    exec nohup dockerd --add-runtime "goldpan-runc=$goldpan_cache/bin/goldpan-runc" \
      --default-runtime goldpan-runc >"$goldpan_cache/dockerd.log" 2>&1
  ) &
  local pid=$!
  echo "$pid $owner" >"$goldpan_cache/dockerd.started"
  local i
  for i in $(seq 1 120); do
    docker info >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$goldpan_cache/dockerd.log" >&2
      rm -f "$goldpan_cache/dockerd.started"
      echo "docker: dockerd exited" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "docker: dockerd did not answer within 60 s; see $goldpan_cache/dockerd.log" >&2
  return 1
}

docker_release() {
  local owner="${1:?docker_release OWNER}" file="$goldpan_cache/dockerd.started" pid started_by i
  [[ -f "$file" ]] || return 0
  read -r pid started_by <"$file"
  [[ "$started_by" == "$owner" ]] || return 0
  rm -f "$file"
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
}

docker_legacy_builder() {
  docker buildx version >/dev/null 2>&1 && return 0
  export DOCKER_BUILDKIT=0
  docker() {
    if [[ "$1" == build ]]; then
      command docker "$@" 2> >(grep -v -e 'legacy builder is deprecated' -e 'BuildKit is currently disabled' \
        -e '^ *environment-variable\.$' -e '^$' >&2)
    else
      command docker "$@"
    fi
  }
}

chart_app_version() {
  sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' charts/goldpan/Chart.yaml
}

kube_version() {
  sed -n 's|^require k8s.io/kubernetes \(v[0-9][^ ]*\)$|\1|p' e2e/k8s/go.mod
}

kind_module_dir() {
  (cd e2e/k8s && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json \
    "sigs.k8s.io/kind@$(cat "$goldpan_cache/bin/kind.version")" | jq -r .Dir)
}
