#!/usr/bin/env bash
# Downloads from the S3 store, presigned redirect against proxy, in the same run: s3proxy (the jar the server's tests
# use, server/target/s3proxy/s3proxy.jar, under Supabase's path /storage/v1/s3, SigV4 checked, objects on disk) as the
# store, a SIZE_MIB package published into it, and two server instances over one database and bucket, one with
# OTA_S3_DOWNLOADS=redirect and one with OTA_S3_DOWNLOADS=proxy. Rounds alternate: PARALLEL devices download the
# package at once, each with its own token, from one instance: redirect, the 302 to the presigned URL and then that URL
# without the token (as the agent does on another origin); proxy, the server streams it from the store. Every download
# is checked against the published SHA-256. Prints wall time, aggregate MB/s, the serving instance's CPU and RSS
# growth, s3proxy's CPU, and the ratio; then what one answer costs the instance (the 302; proxy: its first byte).
# Writes the table into bench/README.md.
#
#   bench/downloads_bench.sh    (after ./mvnw -q -B -ntp -DskipTests package, which also copies s3proxy.jar)
#
# Settings: SIZE_MIB=64 PARALLEL=8 ROUNDS=3 (of each mode) SEQUENTIAL=20 (answers timed one at a time)
# README=1 (0: do not touch bench/README.md)
source "$(dirname "$0")/lib.sh"

SIZE_MIB="${SIZE_MIB:-64}"
PARALLEL="${PARALLEL:-8}"
ROUNDS="${ROUNDS:-3}"
SEQUENTIAL="${SEQUENTIAL:-20}"
DB=javia_bench_downloads
S3_KEY=bench-access-key
S3_SECRET=bench-secret-key-for-s3proxy
S3_REGION=us-east-1
S3_BUCKET="update-packages"

require psql curl java sha256sum unzip python3
require_server_jar
S3PROXY_JAR="$(dirname "$SERVER_JAR")/s3proxy/s3proxy.jar"
[[ -f "$S3PROXY_JAR" ]] || die "no s3proxy jar at $S3PROXY_JAR: ./mvnw -q -B -ntp -DskipTests package copies it (server/pom.xml, s3proxy-for-tests)"
bench_setup downloads

zip="$(cached_package "$SIZE_MIB")"

# s3proxy as S3Server (server/src/test) runs it: its own process on a free loopback port, checking SigV4, the bucket
# a directory of the scratch directory.
s3_port="$(free_port 18140)"
s3_endpoint="http://127.0.0.1:$s3_port/storage/v1/s3"
mkdir -p "$WORK/s3/blobs"
printf '%s\n' "s3proxy.endpoint=http://127.0.0.1:$s3_port" "s3proxy.service-path=/storage/v1/s3" \
    "s3proxy.authorization=aws-v4" "s3proxy.identity=$S3_KEY" "s3proxy.credential=$S3_SECRET" \
    "jclouds.provider=filesystem" "jclouds.filesystem.basedir=$WORK/s3/blobs" >"$WORK/s3/s3proxy.properties"
java -jar "$S3PROXY_JAR" --properties "$WORK/s3/s3proxy.properties" >"$WORK/s3/s3proxy.log" 2>&1 &
S3_PID=$!
track "$S3_PID"
deadline=$((SECONDS + 60))
until (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null; do
    kill -0 "$S3_PID" 2>/dev/null || { tail -20 "$WORK/s3/s3proxy.log" >&2; die "s3proxy exited"; }
    ((SECONDS < deadline)) || die "s3proxy did not listen within 60 s"
    sleep 0.2
done
# the bucket, made through the S3 API itself (curl signs the request with SigV4)
code="$(curl -sS -o "$WORK/s3/bucket.txt" -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    --user "$S3_KEY:$S3_SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$s3_endpoint/$S3_BUCKET")"
[[ "$code" == 200 ]] || { cat "$WORK/s3/bucket.txt" >&2; die "creating the bucket answered $code"; }
log "s3proxy pid $S3_PID on $s3_endpoint, bucket $S3_BUCKET"

export OTA_STORAGE=s3 OTA_S3_ENDPOINT="$s3_endpoint" OTA_S3_REGION="$S3_REGION" OTA_S3_BUCKET="$S3_BUCKET" \
    OTA_S3_ACCESS_KEY_ID="$S3_KEY" OTA_S3_SECRET_ACCESS_KEY="$S3_SECRET"
OTA_MAX_PACKAGE_SIZE="$((SIZE_MIB + 64))MB" OTA_S3_DOWNLOADS=redirect SERVER_LOG="$WORK/server/redirect.log" \
    start_server "$DB" "$(free_port 18150)"
pid_redirect="$SERVER_PID"; url_redirect="$SERVER_URL"
seed_devices "$DB" "$PARALLEL" v1.0.0
log "publishing the $(du -h "$zip" | cut -f1) package into the bucket"
publish "$zip" v2.0.0 scheduled
publish_seconds="$PUBLISH_SECONDS"
id="$(json_field update.id <<<"$PUBLISHED")"
sha="$(json_field update.sha256 <<<"$PUBLISHED")"
size="$(json_field update.size_bytes <<<"$PUBLISHED")"
[[ "$sha" == "$(sha256sum "$zip" | cut -d' ' -f1)" ]] || die "the published SHA-256 is not the package's"
OTA_S3_DOWNLOADS=proxy SERVER_LOG="$WORK/server/proxy.log" launch_server "$DB" "$(free_port $((${url_redirect##*:} + 1)))"
pid_proxy="$SERVER_PID"; url_proxy="$SERVER_URL"

# fetch MODE N FILE: device N's download into FILE; prints "status bytes redirect_ms" (redirect_ms: the server's 302,
# redirect mode only). Redirect: the 302's Location is fetched without the token, as the agent does.
fetch() {
    local mode="$1" n="$2" file="$3" answer
    if [[ "$mode" == redirect ]]; then
        answer="$(curl -sS -o /dev/null -H "X-API-Key: dvt_bench_$n" -w '%{http_code} %{time_total} %{redirect_url}' \
            "$url_redirect/api/v1/updates/$id/download")"
        read -r code seconds location <<<"$answer"
        [[ "$code" == 302 ]] || { echo "$code 0 0"; return; }
        echo "$(curl -sS -o "$file" -w '%{http_code} %{size_download}' "$location") $(awk -v s="$seconds" 'BEGIN {printf "%.1f", s * 1000}')"
    else
        echo "$(curl -sS -o "$file" -H "X-API-Key: dvt_bench_$n" -w '%{http_code} %{size_download}' \
            "$url_proxy/api/v1/updates/$id/download") -"
    fi
}

# One download from each first (class loading, the store's page cache), not measured.
fetch redirect 1 "$WORK/warm.zip" >/dev/null
fetch proxy 1 "$WORK/warm.zip" >/dev/null
rm -f "$WORK/warm.zip"
wait_quiet
load0="$(cut -d' ' -f1 /proc/loadavg)"
rss0_redirect="$(rss_kb "$pid_redirect")"; rss0_proxy="$(rss_kb "$pid_proxy")"

# round MODE R: PARALLEL downloads at once from MODE's instance into files (hashed after the clock stops); appends
# "name mode wall_s bytes ok server_ticks s3_ticks machine_ticks peak_rss_kb redirect_ms..." to rows. The serving
# instance's RSS is sampled every 100 ms meanwhile.
: >"$WORK/rows"
round() {
    local mode="$1" r="$2" pid start end i t0 s0 m0 sampler ok=0 bytes=0 pids=()
    if [[ "$mode" == redirect ]]; then pid="$pid_redirect"; else pid="$pid_proxy"; fi
    (while :; do rss_kb "$pid"; sleep 0.1; done) >"$WORK/rss-$mode-$r.txt" 2>/dev/null &
    sampler=$!
    t0="$(cpu_ticks "$pid")"; s0="$(cpu_ticks "$S3_PID")"; m0="$(machine_ticks)"
    start="$(date +%s.%N)"
    for i in $(seq 1 "$PARALLEL"); do
        fetch "$mode" "$i" "$WORK/dl-$i.zip" >"$WORK/fetch-$i.txt" &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    end="$(date +%s.%N)"
    local t1 s1 m1
    t1="$(cpu_ticks "$pid")"; s1="$(cpu_ticks "$S3_PID")"; m1="$(machine_ticks)"
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    local status got hop hops=""
    for i in $(seq 1 "$PARALLEL"); do
        read -r status got hop <"$WORK/fetch-$i.txt"
        bytes=$((bytes + ${got:-0}))
        [[ "$hop" != - ]] && hops+=" $hop"
        if [[ "$status" == 200 && "$got" == "$size" && "$(sha256sum "$WORK/dl-$i.zip" | cut -d' ' -f1)" == "$sha" ]]; then
            ok=$((ok + 1))
        fi
        rm -f "$WORK/dl-$i.zip"
    done
    echo "$mode-$r $mode $(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}') $bytes $ok $((t1 - t0)) $((s1 - s0)) $((m1 - m0)) $(sort -n "$WORK/rss-$mode-$r.txt" | tail -1)$hops" >>"$WORK/rows"
    log "$mode round $r: $(tail -1 "$WORK/rows" | cut -d' ' -f3-5) (wall s, bytes, verified)"
}
for r in $(seq 1 "$ROUNDS"); do
    round redirect "$r"
    round proxy "$r"
done
rss1_redirect="$(rss_kb "$pid_redirect")"; rss1_proxy="$(rss_kb "$pid_proxy")"

# What one answer costs the serving instance, apart from the bytes: SEQUENTIAL (20) requests one after another, the
# redirect instance's 302 and the proxy instance's first byte (Range bytes=0-0: the HEAD and the ranged GET it sends
# to the store), after 10 times as many untimed (a few dozen downloads leave that path's code cold); curl's total time
# and the instance's CPU per request. "mode p50_ms p95_ms cpu_ms" to answers.
answers() {
    local mode="$1" url="$2" count="$3" i range=()
    [[ "$mode" == redirect ]] || range=(-r 0-0)
    for i in $(seq 1 "$count"); do
        curl -sS -o /dev/null "${range[@]}" -H "X-API-Key: dvt_bench_$(( (i - 1) % PARALLEL + 1 ))" \
            -w '%{http_code} %{time_total}\n' "$url/api/v1/updates/$id/download"
    done
}
answer_cost() {
    local mode="$1" pid url t0
    if [[ "$mode" == redirect ]]; then pid="$pid_redirect"; url="$url_redirect"; else pid="$pid_proxy"; url="$url_proxy"; fi
    answers "$mode" "$url" $((10 * SEQUENTIAL)) >/dev/null
    t0="$(cpu_ticks "$pid")"
    answers "$mode" "$url" "$SEQUENTIAL" >"$WORK/answers-$mode.txt"
    local ticks=$(($(cpu_ticks "$pid") - t0))
    awk -v want="$([[ $mode == redirect ]] && echo 302 || echo 206)" '$1 != want {bad++} {print $2 * 1000} END {if (bad) exit 1}' \
        "$WORK/answers-$mode.txt" | sort -n | awk -v mode="$mode" -v cpu="$ticks" -v n="$SEQUENTIAL" -v hz="$(getconf CLK_TCK)" \
        '{v[NR] = $1} END {printf "%s %.1f %.1f %.1f\n", mode, v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.999)], cpu / hz * 1000 / n}' >>"$WORK/answers"
}
: >"$WORK/answers"
answer_cost redirect || die "a redirect answer was not 302: $(sort "$WORK/answers-redirect.txt" | uniq -c | head -3)"
answer_cost proxy || die "a ranged proxy answer was not 206: $(sort "$WORK/answers-proxy.txt" | uniq -c | head -3)"

table="$WORK/table.md"
python3 - "$WORK/rows" "$size" "$PARALLEL" "$(getconf CLK_TCK)" "$(nproc)" "$rss0_redirect" "$rss0_proxy" >"$table" <<'PY'
import statistics, sys
rows_file, size, parallel, hz, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rss0 = {"redirect": int(sys.argv[6]), "proxy": int(sys.argv[7])}
rows = []
for line in open(rows_file):
    p = line.split()
    rows.append(dict(name=p[0], mode=p[1], wall=float(p[2]), bytes=int(p[3]), ok=int(p[4]), server=int(p[5]) / hz,
                     s3=int(p[6]) / hz, machine=int(p[7]) / hz, peak=int(p[8]), hops=[float(h) for h in p[9:]]))
def mean(mode, key):
    return statistics.mean(r[key] for r in rows if r["mode"] == mode)
def rate(r):
    return r["bytes"] / r["wall"] / 1e6
print("| round | %d downloads of %s bytes: wall s | MB/s (all %d) | verified (200, size, SHA-256) | serving instance's CPU s "
      "| s3proxy CPU s | machine busy (of %d cores) | serving instance's RSS growth MB (peak - before) | the 302's p50 ms |"
      % (parallel, "{:,}".format(size), parallel, cores))
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    hops = "%.1f" % statistics.median(r["hops"]) if r["hops"] else "-"
    print("| %s | %.2f | %.0f | %d/%d | %.2f | %.2f | %.0f%% | %+.0f | %s |" % (r["name"], r["wall"], rate(r), r["ok"], parallel,
          r["server"], r["s3"], 100 * r["machine"] / r["wall"] / cores, (r["peak"] - rss0[r["mode"]]) / 1024, hops))
rates = {m: statistics.mean(rate(r) for r in rows if r["mode"] == m) for m in ("redirect", "proxy")}
cpu = {m: mean(m, "server") for m in ("redirect", "proxy")}
print()
print("| mean of the rounds | wall s | MB/s | serving instance's CPU s | s3proxy CPU s |")
print("| --- | ---: | ---: | ---: | ---: |")
for m in ("redirect", "proxy"):
    print("| %s | %.2f | %.0f | %.2f | %.2f |" % (m, mean(m, "wall"), rates[m], cpu[m], mean(m, "s3")))
print("| **redirect / proxy** | %.2f | **%.2f** | %s | %.2f |" % (mean("redirect", "wall") / mean("proxy", "wall"),
      rates["redirect"] / rates["proxy"], "%.3f" % (cpu["redirect"] / cpu["proxy"]) if cpu["proxy"] else "-",
      mean("redirect", "s3") / mean("proxy", "s3") if mean("proxy", "s3") else 0))
bad = sum(parallel - r["ok"] for r in rows)
print()
print("Downloads not verified: %d of %d." % (bad, parallel * len(rows)))
PY

{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(machine_line); server: $(jar_provenance), s3proxy $(unzip -p "$S3PROXY_JAR" META-INF/maven/org.gaul/s3proxy/pom.properties 2>/dev/null | awk -F= '/^version/ {print $2}')."
    echo
    echo "Package: $size bytes (${SIZE_MIB} MiB of random bytes in a valid package) in s3proxy's filesystem store under"
    echo "\`/storage/v1/s3\` (publishing it through the server took ${publish_seconds} s). Two instances over one database and"
    echo "bucket: redirect (\`OTA_S3_DOWNLOADS=redirect\`: a 302 to a presigned URL, fetched without the token) and proxy"
    echo "(\`OTA_S3_DOWNLOADS=proxy\`: the server streams from the store); $ROUNDS rounds each, alternating, of $PARALLEL parallel curl"
    echo "downloads with the devices' own tokens into files, each then checked against the published SHA-256. curl,"
    echo "s3proxy and the server share the $(nproc) cores."
    echo
    cat "$table"
    echo
    echo "One answer at a time ($SEQUENTIAL each after $((10 * SEQUENTIAL)) untimed, after the rounds): the redirect instance's 302, the"
    echo "proxy instance's first byte (\`Range: bytes=0-0\`: its HEAD and ranged GET to the store, one byte back):"
    echo
    echo "| answer | p50 ms | p95 ms | serving instance's CPU ms per answer |"
    echo "| --- | ---: | ---: | ---: |"
    awk '{printf "| %s | %s | %s | %s |\n", ($1 == "redirect" ? "302 to the presigned URL" : "proxy: first byte (206)"), $2, $3, $4}' "$WORK/answers"
    echo
    echo "Load average (1 min) when the rounds began: $load0 (other work on this machine takes cores from every figure)."
    echo "RSS before the rounds / after: redirect instance $((rss0_redirect / 1024)) / $((rss1_redirect / 1024)) MB, proxy instance $((rss0_proxy / 1024)) / $((rss1_proxy / 1024)) MB."
} >"$WORK/result.md"

echo
cat "$WORK/result.md"
[[ "${README:-1}" == 1 ]] && readme_put "$(section_name downloads)" "$WORK/result.md"
exit 0
