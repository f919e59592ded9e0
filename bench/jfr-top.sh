#!/usr/bin/env bash
# jfr-top.sh RECORDING.jfr: where the server's CPU went, from a JFR recording's execution samples (threads running
# Java code; a thread waiting for PostgreSQL or the network is not sampled). Prints the share of samples by layer
# (the first frame from the top of the stack that belongs to a known library), by application entry point (any
# frame of the stack), and the hottest methods by self time.
set -euo pipefail
recording="$1"
jfr print --events jdk.ExecutionSample --stack-depth 128 --json "$recording" | python3 -c '
import collections, json, sys
events = json.load(sys.stdin)["recording"]["events"]
stacks = []
for e in events:
    frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
    stacks.append(["%s.%s" % (f["method"]["type"]["name"].replace("/", "."), f["method"]["name"]) for f in frames])
total = len(stacks)
print("JFR execution samples: %d (about one every 20 ms per running thread)" % total)
if not total:
    sys.exit(0)

layers = [
    ("PostgreSQL JDBC driver", ("org.postgresql.",)),
    ("HikariCP pool", ("com.zaxxer.hikari.",)),
    ("Hibernate / JPA", ("org.hibernate.", "jakarta.persistence.", "org.springframework.orm.", "org.springframework.data.")),
    ("Spring JDBC", ("org.springframework.jdbc.",)),
    ("Spring transactions / AOP", ("org.springframework.transaction.", "org.springframework.aop.")),
    ("Jackson (JSON)", ("tools.jackson.", "com.fasterxml.jackson.")),
    ("Spring MVC / web", ("org.springframework.web.", "org.springframework.http.")),
    ("Spring Boot actuator / observation", ("org.springframework.boot.actuate.", "io.micrometer.")),
    ("Tomcat / servlet", ("org.apache.catalina.", "org.apache.coyote.", "org.apache.tomcat.", "jakarta.servlet.")),
    ("logging", ("ch.qos.logback.", "org.slf4j.", "org.apache.logging.")),
    ("application (dev.javia)", ("dev.javia.",)),
    ("SHA-256 / security", ("sun.security.", "java.security.", "com.sun.crypto.")),
    ("regex", ("java.util.regex.",)),
    ("other Spring", ("org.springframework.",)),
]
JDK = ("java.", "jdk.", "sun.", "com.sun.")
def layer(stack):
    # the innermost frame of a library (JDK frames count for the library that called them)
    for frame in stack:
        for name, prefixes in layers:
            if frame.startswith(prefixes):
                return name
    if stack and stack[0].startswith(("sun.nio.", "java.nio.", "sun.net.", "java.net.")):
        return "JDK networking / NIO (no library frame)"
    return "JDK only / other"
by_layer = collections.Counter(layer(s) for s in stacks)
print("\n| layer (innermost library frame; JDK code counts for its caller) | samples | share |\n| --- | ---: | ---: |")
for name, n in by_layer.most_common():
    print("| %s | %d | %.1f%% |" % (name, n, 100.0 * n / total))

marks = [
    ("ApiKeyFilter (token lookup and checks)", "dev.javia.ota.server.security.ApiKeyFilter.doFilterInternal"),
    ("  DeviceTokens.find (select by token_hash)", "dev.javia.ota.server.security.DeviceTokens.find"),
    ("DeviceRegistry.heartbeat", "dev.javia.ota.server.device.DeviceRegistry.heartbeat"),
    ("UpdateProgress.check", "dev.javia.ota.server.update.UpdateProgress.check"),
    ("  DeviceRegistry.find (JPA select by device_uuid)", "dev.javia.ota.server.device.DeviceRegistry.find"),
    ("transaction begin/commit (TransactionInterceptor)", "org.springframework.transaction.interceptor.TransactionInterceptor.invoke"),
    ("  commit (AbstractPlatformTransactionManager.commit)", "org.springframework.transaction.support.AbstractPlatformTransactionManager.commit"),
    ("Hibernate flush", "org.hibernate.event.internal.DefaultFlushEventListener.onFlush"),
    ("JSON request body read", "org.springframework.web.servlet.mvc.method.annotation.AbstractMessageConverterMethodArgumentResolver.readWithMessageConverters"),
    ("JSON response write", "org.springframework.web.servlet.mvc.method.annotation.AbstractMessageConverterMethodProcessor.writeWithMessageConverters"),
    ("Spring DispatcherServlet.doDispatch", "org.springframework.web.servlet.DispatcherServlet.doDispatch"),
    ("Tomcat request (CoyoteAdapter.service)", "org.apache.catalina.connector.CoyoteAdapter.service"),
    ("Hikari getConnection", "com.zaxxer.hikari.HikariDataSource.getConnection"),
    ("PgPreparedStatement.execute*", "org.postgresql.jdbc.PgPreparedStatement.execute"),
    ("GC / JIT / VM threads are not in these samples", None),
]
print("\n| stack contains | samples | share |\n| --- | ---: | ---: |")
for label, prefix in marks:
    if prefix is None:
        continue
    n = sum(1 for s in stacks if any(f.startswith(prefix) for f in s))
    print("| %s | %d | %.1f%% |" % (label, n, 100.0 * n / total))

def caller(stack):
    # the innermost frame outside the JDK: who asked for the work
    return next((f for f in stack if not f.startswith(JDK)), "(JDK only)")
print("\n| hottest methods (self) | innermost non-JDK caller (most frequent) | samples | share |\n| --- | --- | ---: | ---: |")
by_self = collections.defaultdict(collections.Counter)
for s in stacks:
    if s:
        by_self[s[0]][caller(s)] += 1
for name, callers in sorted(by_self.items(), key=lambda kv: -sum(kv[1].values()))[:20]:
    n = sum(callers.values())
    top, k = callers.most_common(1)[0]
    print("| `%s` | `%s` (%d) | %d | %.1f%% |" % (name, top, k, n, 100.0 * n / total))

print("\n| innermost non-JDK frame (self time incl. the JDK code it called) | samples | share |\n| --- | ---: | ---: |")
for name, n in collections.Counter(caller(s) for s in stacks if s).most_common(15):
    print("| `%s` | %d | %.1f%% |" % (name, n, 100.0 * n / total))
'
