package dev.javia.ota.agent;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per record on stderr, for journald: it adds the time and the unit itself. Under systemd
 * ({@code JOURNAL_STREAM} set) each line starts with its syslog priority ({@code <3>} error, {@code <4>} warning,
 * {@code <6>} info, {@code <7>} debug), which journald reads as the record's priority.
 */
final class LogFormat extends Formatter {

    private final boolean priorities;

    LogFormat(boolean priorities) {
        this.priorities = priorities;
    }

    static void install(Level level, boolean priorities) {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new LogFormat(priorities));
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        root.setLevel(level);
        // okhttp is chatty below WARNING. Pi4J logs SEVERE for every board fact it cannot read on a machine without
        // GPIO; the agent says once itself whether the button works. LOG_LEVEL=FINE brings Pi4J's lines back.
        Logger.getLogger("okhttp3").setLevel(Level.WARNING);
        Logger.getLogger("com.pi4j").setLevel(level.intValue() <= Level.FINE.intValue() ? level : Level.OFF);
    }

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder();
        if (priorities) {
            line.append('<').append(priority(record.getLevel())).append('>');
        }
        line.append(record.getLevel().getName()).append(' ').append(shortName(record.getLoggerName())).append(": ")
                .append(formatMessage(record).replace('\n', ' '));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            // one line: a stack trace split over many journal records cannot be read with grep
            line.append(" | ").append(trace.toString().strip().replaceAll("\\s*\\R\\s*", " | "));
        }
        return line.append('\n').toString();
    }

    private static int priority(Level level) {
        if (level.intValue() >= Level.SEVERE.intValue()) {
            return 3;
        }
        if (level.intValue() >= Level.WARNING.intValue()) {
            return 4;
        }
        return level.intValue() >= Level.INFO.intValue() ? 6 : 7;
    }

    private static String shortName(String logger) {
        if (logger == null) {
            return "agent";
        }
        int dot = logger.lastIndexOf('.');
        return dot < 0 ? logger : logger.substring(dot + 1);
    }
}
