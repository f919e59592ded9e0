import dev.javia.ota.server.OtaServerApplication;
import dev.javia.ota.server.update.RolloutReconciler;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Times the rollout reconciler's tick as the server runs it: the server's own Spring context (from the classes and
 * libraries of the server jar, unpacked), over the bench database, with the background jobs off
 * ({@code ota.jobs.enabled=false}) so that no timer ticks beside these calls, and the bean's {@code tick()} called
 * directly (one transaction under the advisory lock, as {@code Jobs} calls it). The baseline, in the same context:
 * {@code select 1} through the same {@code JdbcClient} in a transaction of the same transaction manager.
 *
 * <pre>
 * java -cp CLASSES:LIBS/* RolloutTicks.java OUT WARMUP COUNT [--spring.property=value ...]
 * </pre>
 *
 * Writes to OUT one line per call, "tick MS ran started paused advanced finished offered" (the warm-up ones as
 * "warmup-tick"), then "select1 MS"; the database and keys come from the environment, as for the server.
 * With {@code TICK_CHANGES=K} in the environment, before each tick K running rollouts (in turn) each have one of
 * their devices' rows rewritten as a status report would (an UPDATE of device_updates, which its trigger queues in
 * rollout_changes), outside the timed call: the tick must count those K rollouts' open phases again.
 */
public class RolloutTicks {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int warmup = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        String[] spring = new String[args.length - 3 + 2];
        System.arraycopy(args, 3, spring, 0, args.length - 3);
        spring[spring.length - 2] = "--ota.jobs.enabled=false";
        spring[spring.length - 1] = "--server.port=0";
        try (ConfigurableApplicationContext context = SpringApplication.run(OtaServerApplication.class, spring);
                PrintWriter lines = new PrintWriter(Files.newBufferedWriter(out))) {
            RolloutReconciler reconciler = context.getBean(RolloutReconciler.class);
            JdbcClient jdbc = context.getBean(JdbcClient.class);
            TransactionTemplate transaction = context.getBean(TransactionTemplate.class);
            int changes = Integer.parseInt(System.getenv().getOrDefault("TICK_CHANGES", "0"));
            for (int i = 0; i < warmup + count; i++) {
                if (changes > 0) {
                    report(jdbc, transaction, changes, i);
                }
                long start = System.nanoTime();
                RolloutReconciler.Tick tick = reconciler.tick();
                double ms = (System.nanoTime() - start) / 1e6;
                lines.printf("%s %.3f %s %d %d %d %d %d%n", i < warmup ? "warmup-tick" : "tick", ms, tick.ran(),
                        tick.started(), tick.paused(), tick.advanced(), tick.finished(), tick.offered());
            }
            for (int i = 0; i < warmup + count; i++) {
                long start = System.nanoTime();
                transaction.execute(status -> jdbc.sql("select 1").query(Integer.class).single());
                double ms = (System.nanoTime() - start) / 1e6;
                if (i >= warmup) {
                    lines.printf("select1 %.3f%n", ms);
                }
            }
        }
        // the context is closed; a pool's or a scheduler's thread must not keep the JVM alive
        System.exit(0);
    }

    /** One device row of each of {@code changes} running rollouts, the {@code round}-th slice of them in id order. */
    private static void report(JdbcClient jdbc, TransactionTemplate transaction, int changes, int round) {
        int changed = transaction.execute(status -> jdbc.sql("""
                update device_updates set updated_at = updated_at
                where id in (select (select du.id from device_updates du where du.rollout_id = r.id limit 1)
                             from (select id from rollouts where state = 'running' order by id) r
                             offset ? limit ?)
                """).param((long) round * changes % Math.max(1, running(jdbc))).param(changes).update());
        if (changed == 0) {
            throw new IllegalStateException("no running rollout's device to report");
        }
    }

    private static long running(JdbcClient jdbc) {
        return jdbc.sql("select count(*) from rollouts where state = 'running'").query(Long.class).single();
    }
}
