#!/usr/bin/env bash
# Starts the Javia OTA server: builds the jar when it is missing, reads server/.env when present, creates the
# local database when it does not exist yet, and runs the server in the foreground (Ctrl-C stops it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  cat <<'HELP'
Usage: server/run.sh [extra Spring Boot arguments]

Runs the Javia OTA server on port ${SERVER_PORT:-8000}. Settings come from the environment or server/.env:
  OTA_ADMIN_API_KEY     admin key(s), comma-separated, at least 24 random characters each (required)
  OTA_ENROLLMENT_KEY    the key devices register with (required)
  SPRING_DATASOURCE_URL default jdbc:postgresql://localhost:5432/javia_ota (created, owned by the user, when it is
                        local and missing)
  SPRING_DATASOURCE_USERNAME / SPRING_DATASOURCE_PASSWORD   default postgres / empty
  OTA_STORAGE_PATH      where packages are kept, default ./data/packages
  SERVER_PORT           default 8000
Generate keys with: openssl rand -hex 32
HELP
  exit 0
fi

if [[ -f "$here/.env" ]]; then
  set -a; source "$here/.env"; set +a
fi

jar=$(ls "$here"/target/server-*-exec.jar 2>/dev/null | head -n 1 || true)
if [[ -z "$jar" ]]; then
  echo "Building the server (first run only)..."
  (cd "$root" && ./mvnw -q -B -ntp -DskipTests -pl server -am package)
  jar=$(ls "$here"/target/server-*-exec.jar | head -n 1)
fi

# A local database that does not exist yet is created, owned by the server's role. Whatever else PostgreSQL says (not
# running, a wrong password, no such role) is left to the server: its start-up report says what it tried and what to
# do. The name must be one PostgreSQL keeps as it is written (lower case), as the server asks for it exactly.
url="${SPRING_DATASOURCE_URL:-jdbc:postgresql://localhost:5432/javia_ota}"
if [[ "$url" =~ ^jdbc:postgresql://(localhost|127\.0\.0\.1)(:([0-9]+))?/([a-z_][a-z0-9_]*)(\?.*)?$ ]] && command -v psql >/dev/null; then
  port="${BASH_REMATCH[3]:-5432}"; db="${BASH_REMATCH[4]}"
  user="${SPRING_DATASOURCE_USERNAME:-postgres}"
  pg() { PGPASSWORD="${SPRING_DATASOURCE_PASSWORD:-}" PGCONNECT_TIMEOUT=5 psql -X -w -h 127.0.0.1 -p "$port" -U "$user" -d postgres "$@"; }
  if found="$(pg -tAc "select count(*) from pg_database where datname = '$db'" 2>/dev/null)" && [[ "$found" == 0 ]]; then
    echo "Creating database $db on 127.0.0.1:$port, owned by $user"
    pg -qc "create database $db" \
      || echo "Could not create database $db (above): create it with sudo -u postgres createdb -O $user $db, or set SPRING_DATASOURCE_URL to one that exists" >&2
  fi
fi

exec java ${JAVA_OPTS:-} -jar "$jar" "$@"
