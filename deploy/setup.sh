#!/usr/bin/env bash
# Provisions a Raspberry Pi as a device of a Javia OTA fleet: Java 17, the agent's package (javia-ota-agent .deb),
# its settings and the voice assistant's example unit. Checks the server URL and the enrollment key before it
# installs anything, and changes nothing when run a second time with the same settings. See --help, and
# docs/operations.md "Provision a Raspberry Pi".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'HELP'
Usage: sudo deploy/setup.sh [OPTIONS]

Makes this Raspberry Pi a device of a Javia OTA fleet:
  1. checks the server URL (GET /actuator/health) and the enrollment key (see "How the key is checked");
  2. installs a Java 17 runtime when /usr/bin/java is missing or older (apt-get install openjdk-17-jre-headless);
  3. keeps the device UUID in /root/.javia_device_uuid (created once, never replaced);
  4. writes the agent's settings to /etc/javia-agent/agent.env (root only, 0600);
  5. installs the agent's package (apt-get install ./javia-ota-agent_<version>_all.deb) unless that version or a
     newer one is installed already: the agent under /opt/javia-agent/releases/<v> with current -> it, its helpers in
     /usr/lib/javia-agent, its units in /lib/systemd/system (enabled, and started by the package);
  6. installs the example voice-assistant-client.service in /etc/systemd/system, enables the units and starts
     (or, when its settings changed, restarts) the agent.
Nothing is installed when a check fails. A second run with the same settings changes nothing.

Settings (option, else environment, else the value from an earlier run, else a question on a terminal):
  --server-url URL          SERVER_URL       the OTA server, e.g. https://ota.example.com or http://192.168.1.10:8000
  --enrollment-key-file F   API_KEY          the server's OTA_ENROLLMENT_KEY (from a file, '-' for stdin, or the
                                             environment: never on the command line, where ps and history see it)
  --timezone ZONE           DEVICE_TIMEZONE  default: detected (timedatectl, /etc/timezone, /etc/localtime)
  --device-name NAME        DEVICE_NAME      default: the agent uses the hostname
  --gpio-button-pin N       GPIO_BUTTON_PIN  BCM pin of the assistant's button; default: none
  --app-user USER           APP_USER         the user the voice-assistant app runs as; default: $SUDO_USER, else pi
  --service-name UNIT       SERVICE_NAME     the unit the agent restarts after an update; default
                                             voice-assistant-client (then the example unit is installed)
  --publisher-key-file F    OTA_PUBLISHER_KEYS  the publisher's .pub file(s) (create_update.sh keygen), comma
                                             separated: once pinned, the agent installs only packages signed by
                                             one of them, and a lower version only with a signed rollback
  --server-ca-file F        SERVER_CA_FILE   the CA (PEM) the server's TLS certificate must chain to, copied to
                                             /etc/javia-agent/server-ca.pem; default: the system's CAs
  --agent-deb FILE          the agent's package to install; default: the newest javia-ota-agent_*_all.deb next
                            to this script or in its parent directory, else in pi-agent/target of this checkout

Behaviour:
  --non-interactive, -y     never ask; fail with a message naming what is missing
  --no-start                install and configure, but call no systemctl at all (e.g. when building an image;
                            the package itself enables and starts the agent only where systemd is running)
  --root DIR                install under DIR instead of / (tests, image building); apt-get and systemctl are
                            still the ones on PATH, so put stand-ins first (deploy/sandbox/bin: its apt-get
                            installs a .deb into DIR with dpkg --root)
  -h, --help                this text

How the key is checked, without registering anything: setup.sh sends POST /api/v1/devices/register with an
empty body and the key. The server checks the key before the body: an unknown key gets 401, a key of the wrong
kind 403, and an accepted key 400 ("device_uuid must be a UUID"), so no device record is made. Then
GET /api/v1/devices/ with the same key must be refused (403): a key that may list devices is an admin key, and an
admin key does not belong on a device. The agent registers itself on its first start, with this device's UUID.

Unattended (e.g. from a provisioning script):
  sudo API_KEY="$ENROLLMENT_KEY" deploy/setup.sh -y --server-url https://ota.example.com --timezone Europe/Berlin

Exit: 0 done (or nothing to do), 1 a check or a step failed (the message says what to do), 2 bad usage.
HELP
}

# ---------------------------------------------------------------- fixed layout (relative to --root)
AGENT_PACKAGE=javia-ota-agent
CONFIG=/etc/javia-agent/agent.env
UNIT_DIR=/etc/systemd/system
INSTALL_DIR=/opt/javia
STATE_DIR=/var/lib/javia-agent
UUID_FILE=/root/.javia_device_uuid
AGENT_UNIT=javia-ota-agent.service
CLIENT_UNIT=voice-assistant-client.service
MARKER="# Installed by Javia OTA deploy/setup.sh: it rewrites this file; put your changes in a drop-in (systemctl edit)."
KEEP_LINE="# ---- lines below are yours: setup.sh keeps them (e.g. LOG_LEVEL=FINE, URGENT_IDLE_MINUTES=30) ----"

say() { printf '%s\n' "$*"; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'setup.sh: %s\nRun deploy/setup.sh --help for the usage.\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------- arguments
root=/
interactive=auto
start=true
opt_server_url="" opt_key_file="" opt_timezone="" opt_device_name="" opt_gpio="" opt_app_user="" opt_service=""
opt_deb="" opt_publisher_keys="" opt_ca_file=""
gpio_given=false
need_value() { [[ $# -ge 2 && -n "$2" ]] || usage_error "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --server-url) need_value "$@"; opt_server_url="$2"; shift 2 ;;
    --enrollment-key-file) need_value "$@"; opt_key_file="$2"; shift 2 ;;
    --enrollment-key|--api-key) usage_error "$1 is not accepted (a key on the command line shows in ps and shell history): set API_KEY in the environment (sudo API_KEY=... deploy/setup.sh) or use --enrollment-key-file FILE" ;;
    --timezone) need_value "$@"; opt_timezone="$2"; shift 2 ;;
    --device-name) need_value "$@"; opt_device_name="$2"; shift 2 ;;
    --gpio-button-pin) [[ $# -ge 2 ]] || usage_error "$1 needs a value (a BCM pin number, or '' for none)"; opt_gpio="$2"; gpio_given=true; shift 2 ;;
    --app-user) need_value "$@"; opt_app_user="$2"; shift 2 ;;
    --service-name) need_value "$@"; opt_service="$2"; shift 2 ;;
    --agent-deb) need_value "$@"; opt_deb="$2"; shift 2 ;;
    --agent-jar) usage_error "--agent-jar is gone: the agent is installed from its package, --agent-deb FILE (pi-agent/target/javia-ota-agent_<version>_all.deb after ./mvnw -B -ntp -DskipTests package)" ;;
    --publisher-key-file) need_value "$@"; opt_publisher_keys="$2"; shift 2 ;;
    --server-ca-file) need_value "$@"; opt_ca_file="$2"; shift 2 ;;
    --root) need_value "$@"; root="$2"; shift 2 ;;
    -y|--non-interactive) interactive=no; shift ;;
    --no-start) start=false; shift ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

root="${root%/}"
[[ -z "$root" ]] || [[ -d "$root" ]] || mkdir -p "$root" || die "cannot create the install root $root"
R="$root"   # "" for the real system, so "$R/etc" is /etc
real_system=false
[[ -z "$R" ]] && real_system=true
if $real_system && [[ $EUID -ne 0 ]]; then
  die "run it as root: sudo deploy/setup.sh (or install elsewhere with --root DIR)"
fi
if [[ "$interactive" == auto ]]; then
  if [[ -t 0 && -t 1 ]]; then interactive=yes; else interactive=no; fi
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# ---------------------------------------------------------------- what an earlier run wrote
declare -A previous=()
if [[ -f "$R$CONFIG" ]]; then
  while IFS= read -r line; do
    [[ "$line" == "$KEEP_LINE" ]] && break
    [[ "$line" =~ ^([A-Z_]+)=(.*)$ ]] || continue
    name="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}"
    if [[ "$value" =~ ^\"(.*)\"$ ]]; then value="${BASH_REMATCH[1]}"; fi
    previous["$name"]="$value"
  done < "$R$CONFIG"
fi

ask() { # ask VAR "question" default [secret]
  local __var="$1" question="$2" default="$3" secret="${4:-}" answer=""
  if [[ "$interactive" != yes ]]; then
    printf -v "$__var" '%s' "$default"
    return
  fi
  if [[ -n "$secret" ]]; then
    local hint=""
    [[ -n "$default" ]] && hint=" [Enter keeps the current one]"
    read -r -s -p "$question$hint: " answer; echo
  else
    read -r -p "$question${default:+ [$default]}: " answer
  fi
  printf -v "$__var" '%s' "${answer:-$default}"
}

detect_timezone() {
  local zone=""
  if $real_system && command -v timedatectl >/dev/null 2>&1; then
    zone="$(timedatectl show -p Timezone --value 2>/dev/null || true)"
  fi
  if [[ -z "$zone" && -s "$R/etc/timezone" ]]; then
    zone="$(tr -d '[:space:]' < "$R/etc/timezone")"
  fi
  if [[ -z "$zone" && -L "$R/etc/localtime" ]]; then
    zone="$(readlink "$R/etc/localtime" | sed -n 's#.*zoneinfo/##p')"
  fi
  printf '%s' "${zone:-UTC}"
}

# ---------------------------------------------------------------- settings
server_url="${opt_server_url:-${SERVER_URL:-${previous[SERVER_URL]:-}}}"
if [[ -z "$opt_server_url" && -z "${SERVER_URL:-}" ]]; then
  ask server_url "Server URL (e.g. https://ota.example.com)" "$server_url"
fi

key=""
if [[ -n "$opt_key_file" ]]; then
  if [[ "$opt_key_file" == "-" ]]; then
    IFS= read -r key || true
  else
    [[ -r "$opt_key_file" ]] || die "cannot read the key file $opt_key_file"
    key="$(head -n 1 "$opt_key_file")"
  fi
elif [[ -n "${API_KEY:-}" ]]; then
  key="$API_KEY"
else
  key="${previous[API_KEY]:-}"
  ask key "Enrollment key (the server's OTA_ENROLLMENT_KEY)" "$key" secret
fi
key="$(printf '%s' "$key" | tr -d '[:space:]')"

timezone="${opt_timezone:-${DEVICE_TIMEZONE:-${previous[DEVICE_TIMEZONE]:-}}}"
if [[ -z "$timezone" ]]; then
  timezone="$(detect_timezone)"
  if [[ -z "$opt_timezone" && -z "${DEVICE_TIMEZONE:-}" ]]; then
    ask timezone "Device time zone (scheduled updates install from 02:00 in it)" "$timezone"
  fi
fi
device_name="${opt_device_name:-${DEVICE_NAME:-${previous[DEVICE_NAME]:-}}}"
if $gpio_given; then gpio="$opt_gpio"; else gpio="${GPIO_BUTTON_PIN:-${previous[GPIO_BUTTON_PIN]:-}}"; fi
service="${opt_service:-${SERVICE_NAME:-${previous[SERVICE_NAME]:-voice-assistant-client}}}"
service="${service%.service}"
app_user="${opt_app_user:-${APP_USER:-}}"
if [[ -z "$app_user" && -f "$R$UNIT_DIR/$CLIENT_UNIT" ]]; then
  app_user="$(sed -n 's/^User=//p' "$R$UNIT_DIR/$CLIENT_UNIT" | head -n 1)"
fi
if [[ -z "$app_user" ]]; then
  app_user="${SUDO_USER:-pi}"
  [[ "$app_user" == root ]] && app_user=pi
fi

publisher_keys="${OTA_PUBLISHER_KEYS:-${previous[OTA_PUBLISHER_KEYS]:-}}"
if [[ -n "$opt_publisher_keys" ]]; then
  publisher_keys=""
  IFS=',' read -r -a pub_files <<< "$opt_publisher_keys"
  for pub in "${pub_files[@]}"; do
    [[ -r "$pub" ]] || die "cannot read the publisher key file $pub (the .pub file that create_update.sh keygen wrote)"
    publisher_keys+="${publisher_keys:+,}$(head -n 1 "$pub" | tr -d '[:space:]')"
  done
fi
publisher_keys="$(printf '%s' "$publisher_keys" | tr -d '[:space:]')"
if [[ -n "$publisher_keys" ]]; then
  IFS=',' read -r -a pub_keys <<< "$publisher_keys"
  for pub in "${pub_keys[@]}"; do
    [[ "$pub" =~ ^ed25519:[A-Za-z0-9+/]{43}=$ ]] \
      || die "'${pub:0:20}...' is not a publisher public key: one is a line ed25519:BASE64 (the .pub file of create_update.sh keygen)"
  done
fi
CA_FILE=/etc/javia-agent/server-ca.pem
server_ca="${SERVER_CA_FILE:-${previous[SERVER_CA_FILE]:-}}"
if [[ -n "$opt_ca_file" ]]; then
  [[ -r "$opt_ca_file" ]] || die "cannot read the CA file $opt_ca_file"
  grep -q -- '-----BEGIN CERTIFICATE-----' "$opt_ca_file" \
    || die "$opt_ca_file holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA's certificate in PEM"
  server_ca="$CA_FILE"
fi

# ---------------------------------------------------------------- local checks (nothing installed yet)
missing=()
[[ -n "$server_url" ]] || missing+=("the server URL (--server-url or SERVER_URL)")
[[ -n "$key" ]] || missing+=("the enrollment key (API_KEY in the environment, or --enrollment-key-file)")
if [[ ${#missing[@]} -gt 0 ]]; then
  die "missing: $(IFS=';'; echo "${missing[*]}"); nothing was installed"
fi
server_url="${server_url%/}"
[[ "$server_url" =~ ^https?://[^/[:space:]]+(/[^[:space:]]*)?$ ]] \
  || die "server URL '$server_url' must look like https://ota.example.com or http://192.168.1.10:8000; nothing was installed"
[[ "$key" =~ ^[[:print:]]+$ && "$key" != *\"* ]] || die "the enrollment key holds characters a key never has; copy it again"
if [[ ! -f "/usr/share/zoneinfo/$timezone" && ! -f "$R/usr/share/zoneinfo/$timezone" ]] || [[ "$timezone" == */../* || "$timezone" == ../* ]]; then
  die "time zone '$timezone' is unknown: use a name from timedatectl list-timezones, e.g. Europe/Berlin or UTC"
fi
[[ -z "$gpio" || "$gpio" =~ ^([0-9]|[1-4][0-9]|5[0-3])$ ]] || die "GPIO button pin '$gpio' must be a BCM pin number from 0 to 53 (or empty: no button)"
[[ "$device_name" != *\"* && "$device_name" != *$'\n'* ]] || die "the device name must not contain double quotes"
[[ "$service" =~ ^[A-Za-z0-9:_.@-]+$ && "$service" != -* ]] || die "'$service' is not a systemd unit name"
[[ "$app_user" =~ ^[a-z_][a-z0-9_-]*$ ]] || die "'$app_user' is not a user name"

user_exists() {
  if $real_system; then id -u "$1" >/dev/null 2>&1
  elif [[ -f "$R/etc/passwd" ]]; then grep -q "^$1:" "$R/etc/passwd"
  else return 0; fi
}
group_exists() {
  if $real_system; then getent group "$1" >/dev/null 2>&1
  elif [[ -f "$R/etc/group" ]]; then grep -q "^$1:" "$R/etc/group"
  else return 0; fi
}
install_client_unit=false
if [[ "$service" == voice-assistant-client ]]; then
  install_client_unit=true
  user_exists "$app_user" || die "user '$app_user' (who runs the voice assistant) does not exist: create it or pass --app-user USER"
fi

# newest_deb DIR: the newest agent package in DIR, if any
newest_deb() { ls -t "$1"/"$AGENT_PACKAGE"_*_all.deb 2>/dev/null | head -n 1 || true; }
deb="$opt_deb"
if [[ -z "$deb" ]]; then
  for dir in "$here" "$here/.." "$here/../pi-agent/target"; do
    deb="$(newest_deb "$dir")"
    [[ -n "$deb" ]] && break
  done
fi
[[ -n "$deb" && -f "$deb" ]] || die "no agent package: build it on a computer with ./mvnw -B -ntp -DskipTests package, copy pi-agent/target/${AGENT_PACKAGE}_*_all.deb to this Pi (next to deploy/) or pass --agent-deb FILE (nothing was installed)"
deb="$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"   # apt-get takes a path to a file only with a slash
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is missing: setup.sh installs the agent's .deb, on Raspberry Pi OS or Debian"
deb_package="$(dpkg-deb -f "$deb" Package 2>/dev/null || true)"
deb_version="$(dpkg-deb -f "$deb" Version 2>/dev/null || true)"
[[ -n "$deb_package" ]] || die "$deb is not a Debian package (a broken copy?); copy it again"
[[ "$deb_package" == "$AGENT_PACKAGE" ]] || die "$deb is the package $deb_package, not the agent's ($AGENT_PACKAGE): pass pi-agent/target/${AGENT_PACKAGE}_*_all.deb"
[[ -f "$here/systemd/$CLIENT_UNIT" ]] || die "$here/systemd/$CLIENT_UNIT is missing: copy the whole deploy/ directory"
command -v curl >/dev/null 2>&1 || die "curl is needed to check the server: sudo apt-get install curl"

# ---------------------------------------------------------------- server checks (nothing installed yet)
say "Checking the server $server_url"
if [[ "$server_url" == http://* && ! "$server_url" =~ ^http://(localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|[^/:]+\.local) ]]; then
  say "  note: plain http over a public network shows the enrollment key and device tokens to anyone on the way; use https"
fi
header="$scratch/key-header"
( umask 077; printf 'X-API-Key: %s\n' "$key" > "$header" )
http() { # http METHOD PATH [BODY]: prints the status code, the body goes to $scratch/body
  local method="$1" path="$2" args=(-sS -o "$scratch/body" -w '%{http_code}' --max-time 15 --connect-timeout 10)
  [[ "$path" == /api/* ]] && args+=(-H "@$header")
  if [[ "$method" == POST ]]; then args+=(-X POST -H 'Content-Type: application/json' --data "$3"); fi
  curl "${args[@]}" "$server_url$path" 2>"$scratch/curl-error"
}
code="$(http GET /actuator/health)" || die "cannot reach $server_url ($(tr -d '\n' < "$scratch/curl-error")): check the URL (scheme, host, port), this Pi's network, and that the server runs (on the server: sudo systemctl status javia-ota-server); nothing was installed"
if [[ "$code" != 200 ]] || ! grep -q '"status" *: *"UP"' "$scratch/body"; then
  die "$server_url/actuator/health answered HTTP $code ($(head -c 200 "$scratch/body")), not a healthy Javia OTA server: check the URL, and the server's log (sudo journalctl -u javia-ota-server); nothing was installed"
fi
say "  server is up"
code="$(http POST /api/v1/devices/register '{}')" || die "cannot reach $server_url/api/v1/devices/register ($(tr -d '\n' < "$scratch/curl-error")); nothing was installed"
case "$code" in
  400) ;;
  401) die "the server does not know this enrollment key: copy OTA_ENROLLMENT_KEY from the server's settings (/etc/javia-ota/server.env); nothing was installed" ;;
  403) die "this key may not register devices (is it a device token?): use the server's OTA_ENROLLMENT_KEY; nothing was installed" ;;
  *) die "POST /api/v1/devices/register answered HTTP $code ($(head -c 200 "$scratch/body")) where a Javia OTA server answers 400: is $server_url the OTA server? nothing was installed" ;;
esac
code="$(http GET '/api/v1/devices/?size=1')" || die "cannot reach $server_url/api/v1/devices/; nothing was installed"
if [[ "$code" == 200 ]]; then
  die "this is an admin key: anyone holding this Pi's SD card could then control the whole fleet. Give devices the enrollment key (OTA_ENROLLMENT_KEY); nothing was installed"
fi
say "  enrollment key accepted"

# ---------------------------------------------------------------- install
changed_files=()
units_changed=false
agent_changed=false
client_changed=false

# put_file SRC DEST MODE: replaces DEST (atomically) only when its content or mode differs; echoes what it did
put_file() {
  local src="$1" dest="$R$2" mode="$3" dir tmp
  if [[ -f "$dest" ]] && cmp -s "$src" "$dest" && [[ "$(stat -c %a "$dest")" == "$mode" ]]; then
    say "  unchanged  $2"
    return 1
  fi
  dir="$(dirname "$dest")"
  mkdir -p "$dir"
  tmp="$(mktemp "$dir/.setup.XXXXXX")"
  cat "$src" > "$tmp"
  chmod "$mode" "$tmp"
  [[ $EUID -eq 0 ]] && chown 0:0 "$tmp"
  mv -f "$tmp" "$dest"
  say "  written    $2"
  changed_files+=("$2")
  return 0
}

java_major() {
  local bin="$R/usr/bin/java" line
  [[ -x "$bin" ]] || return 1
  line="$("$bin" -version 2>&1 | head -n 1)"
  [[ "$line" =~ version\ \"([0-9]+) ]] || return 1
  printf '%s' "${BASH_REMATCH[1]}"
}

say "Installing"
major="$(java_major || true)"
if [[ -z "$major" || "$major" -lt 17 ]]; then
  say "  /usr/bin/java is ${major:+Java $major, }${major:-missing}: installing openjdk-17-jre-headless (a few minutes on a Pi)"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
    || say "  note: apt-get update failed; trying the install with the package lists already there"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openjdk-17-jre-headless \
    || die "apt-get install openjdk-17-jre-headless failed (see above): check the network and apt sources, then run setup.sh again"
  major="$(java_major || true)"
  [[ -n "$major" && "$major" -ge 17 ]] || die "after installing openjdk-17-jre-headless /usr/bin/java is still not Java 17+: sudo update-alternatives --config java"
  changed_files+=(/usr/bin/java)
else
  say "  unchanged  /usr/bin/java (Java $major)"
fi

mkdir -p "$R$INSTALL_DIR"
if [[ -s "$R$UUID_FILE" ]]; then
  device_uuid="$(tr -d '[:space:]' < "$R$UUID_FILE")"
  [[ "$device_uuid" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] \
    || die "$UUID_FILE does not hold a device UUID ('$device_uuid'): restore it from a backup, or delete it to make this Pi a new device"
  say "  unchanged  $UUID_FILE ($device_uuid)"
else
  # A UUID7: 48 bits of Unix milliseconds, version 7, 74 random bits with the RFC 9562 variant.
  ms_hex="$(printf '%012x' "$(date +%s%3N)")"
  rnd="$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n')"
  device_uuid="$(printf '%s-%s-7%s-%x%s-%s' "${ms_hex:0:8}" "${ms_hex:8:4}" "${rnd:0:3}" \
    $(( (0x${rnd:3:1} & 0x3) | 0x8 )) "${rnd:4:3}" "${rnd:7:12}")"
  printf '%s\n' "$device_uuid" > "$scratch/uuid"
  put_file "$scratch/uuid" "$UUID_FILE" 644 >/dev/null
  say "  written    $UUID_FILE ($device_uuid)"
fi

{
  say "# Javia OTA agent settings, written by deploy/setup.sh (pi-agent/README.md lists every setting)."
  say "# Run setup.sh again to change the ones above the last comment line; the environment of the unit wins"
  say "# over this file, so a drop-in (sudo systemctl edit javia-ota-agent) can override one value."
  say "SERVER_URL=$server_url"
  say "API_KEY=$key"
  say "DEVICE_TIMEZONE=$timezone"
  [[ -n "$device_name" ]] && say "DEVICE_NAME=\"$device_name\""
  say "INSTALL_DIR=$INSTALL_DIR"
  say "STATE_DIR=$STATE_DIR"
  say "DEVICE_UUID_FILE=$UUID_FILE"
  say "SERVICE_NAME=$service"
  say "GPIO_BUTTON_PIN=$gpio"
  [[ -n "$publisher_keys" ]] && say "OTA_PUBLISHER_KEYS=$publisher_keys"
  [[ -n "$server_ca" ]] && say "SERVER_CA_FILE=$server_ca"
  say "# apt-get runs in its own transient unit, so that restarting the agent never interrupts dpkg."
  say "APT_VIA_SYSTEMD_RUN=true"
  say "$KEEP_LINE"
  if [[ -f "$R$CONFIG" ]] && grep -qxF "$KEEP_LINE" "$R$CONFIG"; then
    awk -v keep="$KEEP_LINE" 'mine { print } $0 == keep { mine = 1 }' "$R$CONFIG"
  fi
} > "$scratch/agent.env"
if [[ -n "$opt_ca_file" ]] && put_file "$opt_ca_file" "$CA_FILE" 644; then agent_changed=true; fi
if put_file "$scratch/agent.env" "$CONFIG" 600; then agent_changed=true; fi

# The package after the settings: its postinst starts the agent (where systemd runs), which needs agent.env. The
# same version installed already is left alone, so a second run changes nothing. A Pi set up before the package
# had the unit this script wrote in /etc/systemd/system: the package's postinst removes that copy (it carries
# $MARKER), so its own unit in /lib/systemd/system is the one systemd runs.
package_installed=false
dpkg_query=(dpkg-query)
$real_system || dpkg_query+=(--admindir="$R/var/lib/dpkg")
installed="$("${dpkg_query[@]}" -W -f='${db:Status-Abbrev}|${Version}' "$AGENT_PACKAGE" 2>/dev/null || true)"
if [[ "$installed" == "ii |$deb_version" ]]; then
  say "  unchanged  $AGENT_PACKAGE $deb_version"
elif [[ "$installed" == "ii |"* ]] && dpkg --compare-versions "${installed#*|}" gt "$deb_version"; then
  # apt-get refuses a downgrade under -y anyway; an older package is no reason to stop provisioning
  say "  kept       $AGENT_PACKAGE ${installed#*|} (newer than $(basename "$deb"))"
else
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$deb" \
    || die "apt-get install $deb failed (see above): check the network and apt sources (it may need Java's package), then run setup.sh again"
  say "  installed  $AGENT_PACKAGE $deb_version${installed:+ (was ${installed#*|})}"
  changed_files+=("$AGENT_PACKAGE $deb_version")
  package_installed=true
fi

if $install_client_unit; then
  if [[ -f "$R$UNIT_DIR/$CLIENT_UNIT" ]] && ! grep -qxF "$MARKER" "$R$UNIT_DIR/$CLIENT_UNIT"; then
    say "  kept       $UNIT_DIR/$CLIENT_UNIT (your own unit: setup.sh only replaces the example it installed)"
  else
    groups=""
    for g in audio gpio; do
      if group_exists "$g"; then groups+="${groups:+ }$g"; fi
    done
    { say "$MARKER"
      sed -e "s/^User=.*/User=$app_user/" -e "s/^SupplementaryGroups=.*/SupplementaryGroups=$groups/" \
        "$here/systemd/$CLIENT_UNIT"; } | sed '/^SupplementaryGroups=$/d' > "$scratch/$CLIENT_UNIT"
    if put_file "$scratch/$CLIENT_UNIT" "$UNIT_DIR/$CLIENT_UNIT" 644; then units_changed=true; client_changed=true; fi
  fi
fi

# ---------------------------------------------------------------- systemd
if $start; then
  say "Starting"
  if $units_changed; then systemctl daemon-reload; say "  reloaded   systemd"; fi
  enable_unit() {
    if systemctl is-enabled --quiet "$1"; then say "  unchanged  $1 enabled"
    else systemctl enable --quiet "$1"; say "  enabled    $1"; changed_files+=("enabled $1"); fi
  }
  enable_unit "$AGENT_UNIT"
  if ! systemctl is-active --quiet "$AGENT_UNIT"; then
    systemctl start "$AGENT_UNIT"; say "  started    $AGENT_UNIT"; changed_files+=("started $AGENT_UNIT")
  elif $agent_changed && ! $package_installed; then
    # (a package just installed was (re)started by its postinst, after the settings above were written)
    systemctl restart "$AGENT_UNIT"; say "  restarted  $AGENT_UNIT (its settings changed)"
  else
    say "  unchanged  $AGENT_UNIT running"
  fi
  if $install_client_unit && grep -qxF "$MARKER" "$R$UNIT_DIR/$CLIENT_UNIT" 2>/dev/null; then
    enable_unit "$CLIENT_UNIT"
    if systemctl is-active --quiet "$CLIENT_UNIT"; then
      if $client_changed; then systemctl restart "$CLIENT_UNIT"; say "  restarted  $CLIENT_UNIT (its unit changed)"; fi
    elif [[ -e "$R$INSTALL_DIR/current" ]]; then
      systemctl start "$CLIENT_UNIT"; say "  started    $CLIENT_UNIT"; changed_files+=("started $CLIENT_UNIT")
    else
      say "  waiting    $CLIENT_UNIT starts once the first update has installed $INSTALL_DIR/current"
    fi
  fi
else
  say "Not starting anything (--no-start): sudo systemctl daemon-reload && sudo systemctl enable --now $AGENT_UNIT"
fi

say ""
if [[ ${#changed_files[@]} -eq 0 ]]; then
  say "Nothing to change: this Pi was already set up with these settings."
else
  if [[ -s "$R/root/.javia_device_token" ]]; then
    say "Done. This Pi is device $device_uuid, already registered; the agent now talks to $server_url."
  else
    say "Done. This Pi is device $device_uuid; the agent registers it with $server_url on its first start."
  fi
fi
say "  follow the agent:   sudo journalctl -u javia-ota-agent -f"
say "  see it on a server: curl -H \"X-API-Key: \$OTA_ADMIN_API_KEY\" $server_url/api/v1/devices/$device_uuid"
