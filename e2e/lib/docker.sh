# Sourced by the harness scripts (e2e/kind/*, and so e2e/demo and the e2e suite): the host's
# packages and a Docker engine that answers.
#
#   ensure_packages PACKAGE...  apt-get install the Debian packages that are not installed yet
#   docker_ensure OWNER   install Debian's docker.io when dockerd is missing; start dockerd in the
#                         background (log: ~/.cache/goldpan/dockerd.log) when no daemon answers,
#                         with the harness's runc wrapper as its default runtime
#                         (e2e/tools/goldpan-runc); records its pid and OWNER in
#                         ~/.cache/goldpan/dockerd.started
#   docker_release OWNER  stop dockerd, only if docker_ensure OWNER started it
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
  nohup dockerd --add-runtime "goldpan-runc=$goldpan_cache/bin/goldpan-runc" \
    --default-runtime goldpan-runc >"$goldpan_cache/dockerd.log" 2>&1 &
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
