#!/usr/bin/env bash
# Downloads: a 256 MiB package (random content inside a valid package, so the server accepts it) published to 8
# devices; 8 parallel curl downloads with the devices' own tokens from the server, and the same 8 from Debian's nginx
# serving the very file the server stored, alternating, five rounds each, in the same run. Then one download broken
# off after 100 MiB and resumed with Range (curl -C -), verified by SHA-256. The server's heap before, during (jstat)
# and after. Prints the table and writes it into bench/README.md.
#
#   bench/download.sh           (after ./mvnw -q -B -ntp -DskipTests package; needs nginx: apt-get install nginx-light)
#
# Settings: SIZE_MIB=256 PARALLEL=8 ROUNDS=5 README=1 (0: do not touch bench/README.md)
source "$(dirname "$0")/lib.sh"

SIZE_MIB="${SIZE_MIB:-256}"
PARALLEL="${PARALLEL:-8}"
ROUNDS="${ROUNDS:-5}"
DB=javia_bench_download

require psql curl java jcmd jstat nginx sha256sum unzip python3
require_server_jar
bench_setup download
chmod 755 "$WORK"

zip="$(cached_package "$SIZE_MIB")"

OTA_MAX_PACKAGE_SIZE="$((SIZE_MIB + 64))MB" start_server "$DB" "$(free_port 18100)"
seed_devices "$DB" "$PARALLEL" v1.0.0
log "publishing the $(du -h "$zip" | cut -f1) package"
publish "$zip" v2.0.0 scheduled
publish_seconds="$PUBLISH_SECONDS"
id="$(json_field update.id <<<"$PUBLISHED")"
sha="$(json_field update.sha256 <<<"$PUBLISHED")"
size="$(json_field update.size_bytes <<<"$PUBLISHED")"
stored="$WORK/server/packages/updates/v2.0.0/update_v2.0.0.zip"
[[ -f "$stored" ]] || die "the stored package is not at $stored"
chmod -R a+rX "$WORK/server/packages"

# nginx, Debian's, on its own prefix and loopback port, serving the directory the server stores packages in.
nginx_port="$(free_port 18110)"
mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<EOF
$( ((EUID == 0)) && echo "user root root;" )
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    types { application/zip zip; }
    server {
        listen 127.0.0.1:$nginx_port;
        root $WORK/server/packages;
    }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2>>"$WORK/nginx/logs/error.log" &
NGINX_PID=$!
track "$NGINX_PID"
for _ in $(seq 1 50); do curl -fsS -o /dev/null -r 0-0 "http://127.0.0.1:$nginx_port/updates/v2.0.0/update_v2.0.0.zip" 2>/dev/null && break; sleep 0.1; done
log "nginx pid $NGINX_PID on 127.0.0.1:$nginx_port"

token() { echo "dvt_bench_$1"; }
server_url="$SERVER_URL/api/v1/updates/$id/download"
nginx_url="http://127.0.0.1:$nginx_port/updates/v2.0.0/update_v2.0.0.zip"

heap_info() { jcmd "$SERVER_PID" GC.heap_info | awk '/total .* used/ {
    for (i = 1; i <= NF; i++) { if ($i == "total") t = $(i + 1); if ($i == "used") u = $(i + 1) }
    gsub(/K,?/, "", t); gsub(/K,?/, "", u); printf "%.0f %.0f\n", u / 1024, t / 1024; exit }'; }
nginx_ticks() { local t; t=$(cpu_ticks "$NGINX_PID"); for p in $(pgrep -P "$NGINX_PID"); do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }

# One warm-up download from each, so that the first measured round does not pay for class loading or a cold cache.
curl -fsS -o /dev/null -H "X-API-Key: $(token 1)" "$server_url"
curl -fsS -o /dev/null "$nginx_url"
wait_quiet

read -r heap_used0 heap_total0 < <(heap_info)
rss0="$(rss_kb "$SERVER_PID")"
jstat -gc "$SERVER_PID" 250 >"$WORK/jstat.txt" &
track $!

# round NAME URL: PARALLEL curls at once; appends "name wall_s bytes ok_count cpu_ticks" to rows.
: >"$WORK/rows"
round() {
    local name="$1" url="$2" start end i t0 t1 pids=()
    if [[ "$name" == server* ]]; then t0="$(cpu_ticks "$SERVER_PID")"; else t0="$(nginx_ticks)"; fi
    start="$(date +%s.%N)"
    for i in $(seq 1 "$PARALLEL"); do
        curl -sS -o /dev/null -H "X-API-Key: $(token "$i")" -w '%{http_code} %{size_download} %{speed_download}\n' \
            "$url" >"$WORK/curl-$name-$i.txt" &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    end="$(date +%s.%N)"
    if [[ "$name" == server* ]]; then t1="$(cpu_ticks "$SERVER_PID")"; else t1="$(nginx_ticks)"; fi
    local bytes ok
    bytes="$(cat "$WORK"/curl-"$name"-*.txt | awk '{s += $2} END {print s}')"
    ok="$(cat "$WORK"/curl-"$name"-*.txt | awk -v size="$size" '$1 == 200 && $2 == size' | wc -l)"
    echo "$name $(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}') $bytes $ok $((t1 - t0))" >>"$WORK/rows"
    log "$name: $(tail -1 "$WORK/rows")"
}
for r in $(seq 1 "$ROUNDS"); do
    round "server-$r" "$server_url"
    round "nginx-$r" "$nginx_url"
done

read -r heap_used1 heap_total1 < <(heap_info)
rss1="$(rss_kb "$SERVER_PID")"
jcmd "$SERVER_PID" GC.run >/dev/null
read -r heap_used2 heap_total2 < <(heap_info)
# jstat columns: S0C S1C S0U S1U EC EU OC OU ... (KiB); the peak of used and committed heap while downloading
read -r peak_used peak_committed < <(awk 'NR > 1 && $1 ~ /^[0-9.]+$/ {
    u = $3 + $4 + $6 + $8; c = $1 + $2 + $5 + $7; if (u > mu) mu = u; if (c > mc) mc = c }
    END {printf "%.0f %.0f\n", mu / 1024, mc / 1024}' "$WORK/jstat.txt")

# Resumed download: broken off after 100 MiB, then continued from the partial file with Range (curl -C -).
part=$((100 * 1024 * 1024))
curl -sS -o "$WORK/resumed.zip" -H "X-API-Key: $(token 1)" -r "0-$((part - 1))" "$server_url"
resume="$(curl -sS -C - -o "$WORK/resumed.zip" -H "X-API-Key: $(token 1)" -w '%{http_code} %{size_download}' "$server_url")"
resumed_sha="$(sha256sum "$WORK/resumed.zip" | cut -d' ' -f1)"
resumed_size="$(stat -c %s "$WORK/resumed.zip")"
resume_ok="no"
[[ "$resumed_sha" == "$sha" && "$resumed_size" == "$size" && "${resume%% *}" == 206 ]] && resume_ok="yes"

table="$WORK/table.md"
python3 - "$WORK/rows" "$size" "$PARALLEL" "$(getconf CLK_TCK)" >"$table" <<'PY'
import sys
rows_file, size, parallel, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [l.split() for l in open(rows_file)]
def mean_rate(prefix):
    rs = [int(r[2]) / float(r[1]) for r in rows if r[0].startswith(prefix)]
    return sum(rs) / len(rs)
nginx = mean_rate("nginx")
print("| round | %d downloads of %s bytes | wall s | throughput MB/s (all %d) | complete (200, full size) | CPU s of the serving process | ratio to nginx's mean |" % (parallel, "{:,}".format(size), parallel))
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, wall, byts, ok, ticks in rows:
    rate = int(byts) / float(wall)
    print("| %s | %s | %.2f | %.0f | %s/%d | %.1f | %.2f |" % (name, "{:,}".format(int(byts)), float(wall), rate / 1e6, ok, parallel, int(ticks) / hz, rate / nginx))
print("| **server mean / nginx mean** | | | %.0f / %.0f | | | **%.2f** |" % (mean_rate("server") / 1e6, nginx / 1e6, mean_rate("server") / nginx))
PY

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance), nginx $(nginx -v 2>&1 | cut -d/ -f2)."
    echo
    echo "Package: $size bytes (${SIZE_MIB} MiB of random bytes in a valid package; publishing it took ${publish_seconds} s)."
    echo "$PARALLEL parallel curl downloads to /dev/null on loopback, each with its own device's token; nginx (sendfile on,"
    echo "worker_processes auto) serves the file the server stored. curl runs on the same $(nproc) cores."
    echo
    cat "$table"
    echo
    echo "| server heap (G1, JVM defaults: no flags) | used MB | committed MB |"
    echo "| --- | ---: | ---: |"
    echo "| before the downloads | $heap_used0 | $heap_total0 |"
    echo "| peak while downloading (jstat every 250 ms) | $peak_used | $peak_committed |"
    echo "| right after (no GC) | $heap_used1 | $heap_total1 |"
    echo "| after a full GC (jcmd GC.run) | $heap_used2 | $heap_total2 |"
    echo "| **growth of committed heap, before to peak** | | **$((peak_committed - heap_total0))** |"
    echo
    echo "Server RSS: $((rss0 / 1024)) MB before, $((rss1 / 1024)) MB after."
    echo
    echo "Resumed download: the first 100 MiB (Range 0-$((part - 1))), then curl -C - for the rest: HTTP ${resume%% *},"
    echo "${resume##* } bytes; the joined file is $resumed_size bytes with SHA-256 ${resumed_sha:0:16}...,"
    echo "the published SHA-256 is ${sha:0:16}...: **match: $resume_ok**."
} >"$WORK/result.md"

echo
cat "$WORK/result.md"
[[ "${README:-1}" == 1 ]] && readme_put "$(section_name download)" "$WORK/result.md"
exit 0
