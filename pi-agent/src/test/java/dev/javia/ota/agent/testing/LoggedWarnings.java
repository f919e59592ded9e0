package dev.javia.ota.agent.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The warnings one class logs while this is open (java.util.logging, as the agent logs), or the lines of another
 * level one logger logs; close to stop listening.
 */
public final class LoggedWarnings extends Handler implements AutoCloseable {

    private final Logger logger;
    private final Level level;
    private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();

    private LoggedWarnings(Logger logger, Level level) {
        this.logger = logger;
        this.level = level;
        logger.addHandler(this);
    }

    public static LoggedWarnings of(Class<?> type) {
        return new LoggedWarnings(Logger.getLogger(type.getName()), Level.WARNING);
    }

    /** The records at {@code level} of the logger named {@code logger} ("dev.javia.ota.agent.update": UPDATE lines). */
    public static LoggedWarnings at(Level level, String logger) {
        return new LoggedWarnings(Logger.getLogger(logger), level);
    }

    /** What was logged at the level so far, oldest first. */
    public List<LogRecord> records() {
        return warnings;
    }

    @Override
    public void publish(LogRecord record) {
        if (record.getLevel() == level) {
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
