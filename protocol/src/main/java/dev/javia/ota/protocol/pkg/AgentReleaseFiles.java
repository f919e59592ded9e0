package dev.javia.ota.protocol.pkg;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one rule for the two text files an agent release may carry, applied by the packager (before it builds) and by
 * the agent (before it switches to the release): {@code jvm.options} holds JVM flags only, and
 * {@code javia-ota-agent.conf} is a drop-in of [Unit] and [Service] settings that leaves {@code ExecStart} alone.
 * Both matter for the way back: a jvm.options that names another jar or main class, or a drop-in that replaces
 * {@code ExecStart=/usr/lib/javia-agent/run-agent}, would start something that never runs the guard, and a release
 * that does not work could then not be put back. Each method answers what is wrong, in words for the person who
 * built the release, or empty.
 */
public final class AgentReleaseFiles {

    /** Far above a real jvm.options or drop-in (a few hundred bytes): bounds what is read and shipped. */
    public static final int MAX_TEXT_BYTES = 64 * 1024;

    /** Arguments that would make java run something else than the agent's jar, or exit at once. */
    private static final Set<String> NOT_FLAGS = Set.of("-jar", "-cp", "-classpath", "--class-path", "-m",
            "--module", "--source", "-version", "--version", "-help", "--help", "-h", "-?", "--dry-run",
            "--list-modules", "--describe-module", "-d", "-X", "--help-extra");
    private static final Pattern SECTION = Pattern.compile("^\\[([^\\]]*)\\]$");
    private static final Pattern SETTING = Pattern.compile("^([A-Za-z0-9][A-Za-z0-9_-]*)\\s*=.*$");
    private static final Set<String> DROPIN_SECTIONS = Set.of("Unit", "Service");

    private AgentReleaseFiles() {
    }

    /** What is wrong with a {@code jvm.options} text, or empty: it must hold flags, and flags only. */
    public static Optional<String> jvmOptionsProblem(String text) {
        List<String> arguments;
        try {
            arguments = arguments(text);
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
        if (arguments.isEmpty()) {
            return Optional.of("holds no JVM flag");
        }
        for (String argument : arguments) {
            String name = argument.contains("=") && argument.startsWith("--")
                    ? argument.substring(0, argument.indexOf('=')) : argument;
            if (!argument.startsWith("-") || NOT_FLAGS.contains(name) || argument.startsWith("@")) {
                return Optional.of("holds '" + argument + "', which is not a JVM flag: the file is java @argfile "
                        + "flags only (one per line, e.g. -XX:+UseSerialGC, -Xmx64m, # comments); run-agent gives "
                        + "the jar (-jar) itself");
            }
        }
        return Optional.empty();
    }

    /**
     * Splits @argfile text as the java launcher does: whitespace between arguments, {@code #} starting a comment to
     * the end of the line where an argument would start, single or double quotes around spaces.
     *
     * @throws IllegalArgumentException when a quote is not closed
     */
    public static List<String> arguments(String text) {
        List<String> arguments = new ArrayList<>();
        StringBuilder current = null;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && i + 1 < text.length()) {
                    current.append(text.charAt(++i));
                } else {
                    current.append(c);
                }
            } else if (Character.isWhitespace(c)) {
                if (current != null) {
                    arguments.add(current.toString());
                    current = null;
                }
            } else if (c == '#' && current == null) {
                while (i + 1 < text.length() && text.charAt(i + 1) != '\n' && text.charAt(i + 1) != '\r') {
                    i++;
                }
            } else {
                if (current == null) {
                    current = new StringBuilder();
                }
                if (c == '"' || c == '\'') {
                    quote = c;
                } else {
                    current.append(c);
                }
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("a quote (" + quote + ") is not closed");
        }
        if (current != null) {
            arguments.add(current.toString());
        }
        return arguments;
    }

    /**
     * What is wrong with a drop-in for the agent's unit, or empty: [Unit] and [Service] settings only. [Install] is
     * refused (the agent only links the file at the switch, nothing runs systemctl enable, so it would do nothing or
     * surprise later), and so is ExecStart (it would replace run-agent, and with it the guard that puts the previous
     * agent back). A problem on a line starts with "line N: ".
     */
    public static Optional<String> dropinProblem(String text) {
        String section = null;
        int settings = 0;
        int number = 0;
        boolean continued = false;
        for (String raw : text.split("\r?\n", -1)) {
            number++;
            String line = raw.strip();
            boolean continues = line.endsWith("\\");
            if (continued) {
                continued = continues;
                continue;
            }
            continued = continues;
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            String where = "line " + number + ": ";
            Matcher header = SECTION.matcher(line);
            if (header.matches()) {
                section = header.group(1);
                if (section.equals("Install")) {
                    return Optional.of(where + "a drop-in with an [Install] section: the agent links the drop-in "
                            + "when it switches releases and never runs systemctl enable, so [Install] would do "
                            + "nothing; keep [Unit] and [Service] settings only");
                }
                if (!DROPIN_SECTIONS.contains(section)) {
                    return Optional.of(where + "[" + section + "] is not a section of the agent's unit "
                            + "(javia-ota-agent.service): use [Unit] or [Service]");
                }
                continue;
            }
            Matcher setting = SETTING.matcher(line);
            if (!setting.matches()) {
                return Optional.of(where + "'" + line + "' is neither a [Section] nor a Key=value setting "
                        + "(systemd.unit syntax)");
            }
            if (section == null) {
                return Optional.of(where + setting.group(1) + "= comes before any section: put it under [Service] "
                        + "(or [Unit])");
            }
            if (section.equals("Service") && setting.group(1).equals("ExecStart")) {
                return Optional.of(where + "ExecStart= would replace run-agent, which starts the guard that puts the "
                        + "previous agent back when this one fails: change the JVM flags with --agent-jvm-options "
                        + "instead");
            }
            settings++;
        }
        return settings == 0 ? Optional.of("holds no setting") : Optional.empty();
    }
}
