#!/usr/bin/env bash
# Herald's toolchain: what its checks and tests need, at the versions in
# versions.env. The builder image (Dockerfile) is made by this script and .ci/run
# runs it on CI's machine, so both test on the same tools. Each tool is checked
# first and only what is missing or too old is installed: Debian packages with
# apt, the gcloud CLI and its emulators from Google's apt repository, terraform
# from HashiCorp's release zip with its SHA256 checked. Then every tool is checked
# again, and any still missing is named.
#
#   install-toolchain.sh           install what is missing (as root, on Debian)
#   install-toolchain.sh --check   install nothing: report, say what would be
#                                  installed, exit 1 if anything is missing
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=versions.env
. "$here/versions.env"

TOOLS=(python java gcloud firestore-emulator pubsub-emulator terraform chromium shellcheck git)
GOOGLE_KEYRING=/usr/share/keyrings/cloud.google.gpg
GOOGLE_SOURCES=/etc/apt/sources.list.d/google-cloud-sdk.list
TERRAFORM_DIR=/usr/local/bin

fail() {
  echo "install-toolchain: $1: $2" >&2
  exit 1
}

# at_least HAVE WANT: true when version HAVE >= WANT.
at_least() {
  [ "$(printf '%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# Each check_<tool> sets `detail` (what was found, or why it will not do) and
# returns 0 when the tool is present and recent enough.
detail=""

check_python() {
  local python version
  # The interpreter ./herald picks: the same line as in the herald script.
  python=${HERALD_PYTHON:-$(command -v python3.11 || command -v python3.12 || command -v python3 || true)}
  if [ -z "$python" ]; then
    detail="no python3.11, python3.12 or python3 on PATH"
    return 1
  fi
  if ! version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); then
    detail="$python does not run"
    return 1
  fi
  case " $PYTHON_SERIES " in
    *" $version "*) ;;
    *)
      detail="$python is Python $version; Herald needs one of: $PYTHON_SERIES"
      return 1
      ;;
  esac
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    detail="$python (Python $version) cannot create a virtual environment"
    return 1
  fi
  detail="$version ($python)"
}

check_java() {
  local version major
  if ! command -v java >/dev/null; then
    detail="not on PATH"
    return 1
  fi
  version=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  major=${version%%.*}
  if [ "$major" = 1 ]; then # Java 8 and older say 1.8.0_...
    major=$(echo "$version" | cut -d . -f 2)
  fi
  if ! [[ $major =~ ^[0-9]+$ ]] || [ "$major" -lt "$JAVA_MIN_MAJOR" ]; then
    detail="Java ${version:-of unknown version}; the emulators need $JAVA_MIN_MAJOR or later"
    return 1
  fi
  detail=$version
}

# The SDK Herald starts the emulators from (shared/herald_tools/local/emulators.py).
sdk_root() {
  local gcloud
  if [ -n "${HERALD_GCLOUD_SDK:-}" ]; then
    echo "$HERALD_GCLOUD_SDK"
  elif gcloud=$(command -v gcloud); then
    dirname "$(dirname "$(readlink -f "$gcloud")")"
  else
    return 1
  fi
}

installed_gcloud_version() {
  local root
  root=$(sdk_root) && cat "$root/VERSION" 2>/dev/null
}

check_gcloud() {
  local root version
  if ! root=$(sdk_root); then
    detail="not on PATH"
    return 1
  fi
  if ! version=$(installed_gcloud_version); then
    detail="no VERSION file in $root"
    return 1
  fi
  if ! at_least "$version" "$GCLOUD_VERSION"; then
    detail="$version, older than $GCLOUD_VERSION"
    return 1
  fi
  detail="$version ($root)"
}

# check_sdk_file PATH_UNDER_SDK_ROOT
check_sdk_file() {
  local root
  if ! root=$(sdk_root); then
    detail="no gcloud SDK"
    return 1
  fi
  if [ ! -f "$root/$1" ]; then
    detail="$root/$1 is missing"
    return 1
  fi
  detail="$root/$1"
}

check_firestore_emulator() {
  check_sdk_file platform/cloud-firestore-emulator/cloud-firestore-emulator.jar
}

check_pubsub_emulator() {
  check_sdk_file platform/pubsub-emulator/bin/cloud-pubsub-emulator
}

check_terraform() {
  local version
  if ! command -v terraform >/dev/null; then
    detail="not on PATH"
    return 1
  fi
  version=$(terraform version 2>/dev/null | sed -n '1s/^Terraform v//p')
  if [ -z "$version" ] || ! at_least "$version" "$TERRAFORM_VERSION"; then
    detail="${version:-unknown version}, older than $TERRAFORM_VERSION"
    return 1
  fi
  detail="$version ($(command -v terraform))"
}

check_chromium() {
  if ! detail=$(command -v chromium || command -v chromium-browser); then
    detail="not on PATH (the browser test needs it)"
    return 1
  fi
}

check_shellcheck() {
  if ! command -v shellcheck >/dev/null; then
    detail="not on PATH (the tests lint the shell scripts with it)"
    return 1
  fi
  detail=$(shellcheck --version | sed -n 's/^version: //p')
}

check_git() {
  if ! command -v git >/dev/null; then
    detail="not on PATH"
    return 1
  fi
  detail=$(git --version | sed 's/^git version //')
}

# check_all: reports every tool and collects those that will not do in `missing`.
missing=()
check_all() {
  local tool
  missing=()
  for tool in "${TOOLS[@]}"; do
    if "check_${tool//-/_}"; then
      printf '%-19s ok       %s\n' "$tool" "$detail"
    else
      printf '%-19s MISSING  %s\n' "$tool" "$detail"
      missing+=("$tool")
    fi
  done
}

# plan: what installs the missing tools, in `debian_packages`, `google_packages`
# and `terraform_zip`.
debian_packages=()
google_packages=()
terraform_zip=""
plan() {
  local tool sdk_version=$GCLOUD_VERSION
  debian_packages=()
  google_packages=()
  terraform_zip=""
  if check_gcloud; then
    # A missing emulator matches the gcloud already there.
    sdk_version=$(installed_gcloud_version)
  fi
  for tool in "${missing[@]}"; do
    case $tool in
      python) debian_packages+=(python3 python3-venv) ;;
      java) debian_packages+=("openjdk-$JAVA_MIN_MAJOR-jdk") ;;
      gcloud) google_packages+=("google-cloud-cli=$GCLOUD_VERSION-0"
        "google-cloud-cli-firestore-emulator=$GCLOUD_VERSION-0"
        "google-cloud-cli-pubsub-emulator=$GCLOUD_VERSION-0") ;;
      firestore-emulator) google_packages+=("google-cloud-cli-firestore-emulator=$sdk_version-0") ;;
      pubsub-emulator) google_packages+=("google-cloud-cli-pubsub-emulator=$sdk_version-0") ;;
      terraform) terraform_zip=$TERRAFORM_VERSION ;;
      chromium | shellcheck | git) debian_packages+=("$tool") ;;
    esac
  done
  if [ ${#google_packages[@]} -gt 0 ]; then
    debian_packages+=(ca-certificates curl gnupg)
    mapfile -t google_packages < <(printf '%s\n' "${google_packages[@]}" | sort -u)
  fi
  if [ -n "$terraform_zip" ]; then
    debian_packages+=(ca-certificates curl unzip)
  fi
  if [ ${#debian_packages[@]} -gt 0 ]; then
    mapfile -t debian_packages < <(printf '%s\n' "${debian_packages[@]}" | sort -u)
  fi
}

apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 "$@"
}

install_debian_packages() {
  echo "installing from Debian: ${debian_packages[*]}"
  # Slim images drop /usr/share/man, where the JDK's postinst links its man pages.
  mkdir -p /usr/share/man/man1
  apt_get update || fail "${missing[*]}" "apt-get update failed"
  apt_get install -y --no-install-recommends "${debian_packages[@]}" \
    || fail "${missing[*]}" "apt-get could not install ${debian_packages[*]}"
}

install_google_packages() {
  echo "installing from Google's apt repository: ${google_packages[*]}"
  if [ ! -s "$GOOGLE_KEYRING" ]; then
    curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg \
      | gpg --dearmor --yes -o "$GOOGLE_KEYRING" \
      || fail gcloud "could not fetch Google's apt signing key"
  fi
  echo "deb [signed-by=$GOOGLE_KEYRING] https://packages.cloud.google.com/apt cloud-sdk main" >"$GOOGLE_SOURCES"
  apt_get update || fail gcloud "apt-get update failed with Google's repository"
  apt_get install -y --no-install-recommends "${google_packages[@]}" \
    || fail gcloud "apt-get could not install ${google_packages[*]}"
}

scratch=""
install_terraform() {
  local arch sum url
  arch=$(dpkg --print-architecture)
  case $arch in
    amd64) sum=$TERRAFORM_SHA256_AMD64 ;;
    arm64) sum=$TERRAFORM_SHA256_ARM64 ;;
    *) fail terraform "no pinned SHA256 for $arch in versions.env" ;;
  esac
  url="https://releases.hashicorp.com/terraform/$TERRAFORM_VERSION/terraform_${TERRAFORM_VERSION}_linux_$arch.zip"
  echo "installing terraform $TERRAFORM_VERSION from $url"
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  curl -fsSL --proto '=https' -o "$scratch/terraform.zip" "$url" \
    || fail terraform "could not download $url"
  echo "$sum  $scratch/terraform.zip" | sha256sum --check --status \
    || fail terraform "$url does not have the SHA256 in versions.env ($sum)"
  unzip -q -o "$scratch/terraform.zip" terraform -d "$scratch" \
    || fail terraform "$url holds no terraform binary"
  install -m 0755 "$scratch/terraform" "$TERRAFORM_DIR/terraform"
}

main() {
  local mode=install tool
  case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      return 0
      ;;
    *)
      echo "usage: install-toolchain.sh [--check]" >&2
      return 2
      ;;
  esac

  check_all
  if [ ${#missing[@]} -eq 0 ]; then
    echo "toolchain complete"
    return 0
  fi
  plan
  if [ "$mode" = check ]; then
    [ ${#debian_packages[@]} -eq 0 ] || echo "would install from Debian: ${debian_packages[*]}"
    [ ${#google_packages[@]} -eq 0 ] || echo "would install from Google's apt repository: ${google_packages[*]}"
    [ -z "$terraform_zip" ] || echo "would install terraform $terraform_zip from its release zip"
    echo "install-toolchain: missing: ${missing[*]}" >&2
    return 1
  fi

  [ "$EUID" -eq 0 ] || fail "${missing[*]}" "missing, and only root can install them"
  [ ${#debian_packages[@]} -eq 0 ] || install_debian_packages
  [ ${#google_packages[@]} -eq 0 ] || install_google_packages
  [ -z "$terraform_zip" ] || install_terraform

  echo "checking again:"
  check_all
  for tool in "${missing[@]}"; do
    echo "install-toolchain: $tool: still missing after installing" >&2
  done
  [ ${#missing[@]} -eq 0 ] || return 1
  echo "toolchain complete"
}

main "$@"
