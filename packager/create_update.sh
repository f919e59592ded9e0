#!/usr/bin/env bash
# create_update.sh VERSION "DESCRIPTION" scheduled|urgent ["pkg1,pkg2"]  (see --help)
#
# Runs the packager jar: the one next to this script (an installed copy, e.g. /opt/javia/scripts/create_update/),
# else packager/target/create-update.jar in a checkout, which is built with ../mvnw when it is missing.
# javia-ota.sh runs the jar's other command through this script: it sets JAVIA_PACKAGER_COMMAND to javia-ota.
set -euo pipefail

command_name="${JAVIA_PACKAGER_COMMAND:-create_update}"
case "$command_name" in
    create_update) main="dev.javia.ota.packager.CreateUpdate" ;;
    javia-ota) main="dev.javia.ota.packager.OperatorCommand" ;;
    *) echo "create_update.sh: JAVIA_PACKAGER_COMMAND is '$command_name'; unset it (javia-ota.sh sets it to javia-ota)" >&2
       exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar=""
for candidate in "$here/create-update.jar" "$here/target/create-update.jar"; do
    if [[ -f "$candidate" ]]; then
        jar="$candidate"
        break
    fi
done

if [[ -z "$jar" ]]; then
    if [[ -x "$here/../mvnw" && -f "$here/pom.xml" ]]; then
        echo "$command_name: building the packager once (../mvnw package), this takes a minute..." >&2
        (cd "$here/.." && ./mvnw -q -pl packager -am -DskipTests package) >&2
        jar="$here/target/create-update.jar"
    else
        echo "$command_name: create-update.jar is neither next to this script nor in $here/target;" \
             "copy it here, or build it in a checkout with ./mvnw -pl packager -am -DskipTests package" >&2
        exit 2
    fi
fi

if ! command -v java >/dev/null 2>&1; then
    echo "$command_name: java was not found: install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless)" >&2
    exit 2
fi

exec java ${CREATE_UPDATE_JAVA_OPTS:-} -cp "$jar" "$main" "$@"
