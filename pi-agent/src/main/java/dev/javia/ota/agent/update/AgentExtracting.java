package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.FreeSpace;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.pkg.AgentRelease;
import dev.javia.ota.protocol.pkg.AgentReleaseFiles;
import dev.javia.ota.protocol.pkg.ManifestEntry;
import dev.javia.ota.protocol.pkg.PackageExtractor;
import dev.javia.ota.protocol.pkg.Version;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The package carries an agent other than the one running: reports {@code installing} and unpacks
 * {@code javia_agent/} into {@code AGENT_HOME/releases/.<v>.partial}, then renames it to {@code releases/<v>}: an
 * agent release is whole or absent. Remembers which agent {@code current} named (or {@code legacy}), where the
 * agent's revert returns. Nothing the running agent uses changes here.
 */
final class AgentExtracting extends UpdateState {

    static final String NAME = "agent-extracting";

    AgentExtracting(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        context.report(job, UpdateStatus.INSTALLING, null);
        AgentHome home = context.agent().home();
        String version = job.agentVersion();
        if (Version.tryParse(version).isEmpty()) {
            // the version names a directory: nothing but vMAJOR.MINOR.PATCH may reach a path
            return onFailure("agent version '" + version + "' is not vMAJOR.MINOR.PATCH; republish the update");
        }
        if (home.currentRelease().filter(version::equals).isPresent()) {
            // an agent that could not tell its own version, started from that very release: nothing to install
            UpdateLog.step(job, "agent part skipped: current already names agent " + version);
            return AgentTrial.appPart(job.withParts(null, job.includesApp()));
        }
        // current moves only in agent-switching, so here it still names the agent to return to
        UpdateJob withFrom = job.withAgentFrom(home.switchingFrom());
        try {
            home.requireWayBack(withFrom.agentFrom());
        } catch (IllegalStateException e) {
            // before anything is written: without a way back the guard could not put the running agent back
            return onFailure(e.getMessage());
        }
        // a trial that ended (committed, reverted) is an earlier attempt's, maybe of this very update retried: it
        // must not pass for this attempt's in agent-switching. The guard does nothing without a file
        AgentTrialFile trialFile = context.agent().trial();
        trialFile.read().filter(t -> !t.isTrial()).ifPresent(ended -> trialFile.delete());
        home.discardPartial(version);
        AgentRelease release = Extracting.metadata(context.download(job)).agent();
        long unpacked = release == null ? 0 : release.files().stream().mapToLong(ManifestEntry::size).sum();
        context.requireSpace("install agent " + version, home.release(version).getParent(), unpacked,
                "the agent release's " + FreeSpace.mb(unpacked));
        UpdateLog.step(job, "extracting agent " + version + " into " + home.release(version) + " (running "
                + context.agent().running() + ", from " + withFrom.agentFrom() + ")");
        // verified again, as read: the file on disk may have changed since verifying
        PackageExtractor.extractAgent(context.download(job), home.partial(version), context.limits(),
                context.packageTrust(job));
        Path jar = home.partial(version).resolve(AgentHome.JAR);
        if (!Files.isRegularFile(jar)) {
            return onFailure("the package's agent release has no " + AgentHome.JAR + "; republish it with the "
                    + "agent's jar");
        }
        String named = versionFile(home.partial(version));
        if (!version.equals(named)) {
            return onFailure("the package's agent VERSION says '" + named + "', its metadata " + version
                    + "; republish it");
        }
        // checked here too, not only by the packager: flags that start another jar, or a drop-in that replaces
        // ExecStart, would start something that never runs the guard, and then nothing could put this agent back
        Optional<String> refused = releaseFileProblem(home.partial(version));
        if (refused.isPresent()) {
            home.discardPartial(version);
            return onFailure("the package's agent release " + version + " is refused: " + refused.get()
                    + "; republish it with create_update, which checks these files");
        }
        // a release of that name left by an earlier attempt, or the one previous names (an agent going back to the
        // one before): replaced by the package's copy. Never current's (above)
        InstallRoot.deleteTree(home.release(version));
        home.publish(version);
        return new AgentSwitching(withFrom);
    }

    /** What is wrong with the release's jvm.options or unit drop-in ({@link AgentReleaseFiles}), or empty. */
    private static Optional<String> releaseFileProblem(Path release) {
        try {
            Path options = release.resolve(AgentRelease.JVM_OPTIONS);
            if (Files.isRegularFile(options)) {
                Optional<String> problem = AgentReleaseFiles.jvmOptionsProblem(
                        Files.readString(options, StandardCharsets.UTF_8));
                if (problem.isPresent()) {
                    return Optional.of(AgentRelease.JVM_OPTIONS + " " + problem.get());
                }
            }
            Path dropin = release.resolve(AgentRelease.UNIT_DROPIN);
            if (Files.isRegularFile(dropin)) {
                return AgentReleaseFiles.dropinProblem(Files.readString(dropin, StandardCharsets.UTF_8))
                        .map(problem -> AgentRelease.UNIT_DROPIN + " " + problem);
            }
            return Optional.empty();
        } catch (IOException e) {
            // not UTF-8 (MalformedInputException) or unreadable: not a file the launcher or systemd should read
            return Optional.of("its jvm.options or unit drop-in cannot be read as text (" + e + ")");
        }
    }

    private static String versionFile(Path release) {
        try {
            Path file = release.resolve(AgentHome.VERSION);
            return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "(none)";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + release.resolve(AgentHome.VERSION) + ": "
                    + e.getMessage(), e);
        }
    }
}
