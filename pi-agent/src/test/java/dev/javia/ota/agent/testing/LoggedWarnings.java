package dev.javia.ota.agent.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The warnings one class logs while this is open (java.util.logging, as the agent logs); close to stop listening. */
public final class LoggedWarnings extends Handler implements AutoCloseable {

    private final Logger logger;
    private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();

    private LoggedWarnings(Logger logger) {
        this.logger = logger;
        logger.addHandler(this);
    }

    public static LoggedWarnings of(Class<?> type) {
        return new LoggedWarnings(Logger.getLogger(type.getName()));
    }

    /** What was logged at WARNING so far, oldest first. */
    public List<LogRecord> records() {
        return warnings;
    }

    @Override
    public void publish(LogRecord record) {
        if (record.getLevel() == Level.WARNING) {
            warnings.add(record);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
