package dev.javia.ota.agent.system;

/** How a command ended: its exit code (-1 when it had to be killed), its merged output, whether it timed out. */
public record CommandResult(int exitCode, String output, boolean timedOut) {

    public static CommandResult ok(String output) {
        return new CommandResult(0, output, false);
    }

    public static CommandResult exit(int exitCode, String output) {
        return new CommandResult(exitCode, output, false);
    }

    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }

    /** A one-line account for an operator: the exit code and the last meaningful lines of output. */
    public String describe() {
        String how = timedOut ? "timed out" : "exit code " + exitCode;
        String tail = tail(3);
        return tail.isEmpty() ? how : how + ": " + tail;
    }

    /** The last {@code lines} non-blank lines of the output, joined with " | ". */
    public String tail(int lines) {
        String[] all = output.strip().split("\\R");
        StringBuilder out = new StringBuilder();
        int taken = 0;
        for (int i = all.length - 1; i >= 0 && taken < lines; i--) {
            String line = all[i].strip();
            if (!line.isEmpty()) {
                out.insert(0, taken++ == 0 ? line : line + " | ");
            }
        }
        return out.toString();
    }
}
