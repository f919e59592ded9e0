package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.server.dashboard.Outcome;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.Filters;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The dashboard's rollouts: the list ({@code /rollouts}), one rollout ({@code /rollouts/{id}}) with its phases,
 * counts, failures and next step, and the operator's actions on it. Each action is a form that calls the very
 * {@link Rollouts} method the API's {@link RolloutController} calls, as the signed-in admin, so that its rules,
 * refusals and audit entry are the API's; the page then shows what was done or why it was refused
 * ({@link Outcome}). Live parts are fragments of the same templates ({@code ?part=...}), fetched when the page's
 * stream names the rollout.
 */
@Controller
class RolloutPages {

    static final int PAGE_SIZE = 20;
    private static final int MAX_REASON = 500;

    private final Rollouts rollouts;
    private final RolloutBoard board;
    private final boolean approverMustDiffer;
    private final UpdateRepository updates;

    RolloutPages(Rollouts rollouts, RolloutBoard board, RolloutSettings settings, UpdateRepository updates) {
        this.rollouts = rollouts;
        this.updates = updates;
        this.board = board;
        this.approverMustDiffer = settings.approverMustDiffer();
    }

    @GetMapping("/rollouts")
    String list(@RequestParam(required = false) String state, @RequestParam(required = false) String page,
            @RequestParam(required = false) String part, Model model) {
        if ("in-progress".equals(part)) {
            model.addAttribute("rollouts", board.inProgress());
            return "dashboard/rollout-progress :: inProgress";
        }
        RolloutState filter = Filters.parsed(state, RolloutState::parse);
        int number = pageNumber(page);
        RolloutBoard.Page rows = board.page(filter, number, PAGE_SIZE);
        model.addAttribute("rollouts", rows.rollouts());
        model.addAttribute("page", rows.page());
        model.addAttribute("totalPages", rows.totalPages());
        model.addAttribute("total", rows.total());
        model.addAttribute("state", filter == null ? "" : filter.wire());
        model.addAttribute("states", List.of(RolloutState.values()).stream().map(RolloutState::wire).toList());
        return "list".equals(part) ? "dashboard/rollouts :: list" : "dashboard/rollouts";
    }

    @GetMapping("/rollouts/{id}")
    String one(@PathVariable String id, @RequestParam(required = false) String part,
            @RequestParam(required = false) String seen, Caller caller, Model model, HttpServletResponse response) {
        RolloutProgress rollout = board.one(rolloutId(id));
        model.addAttribute("r", rollout);
        // an update that carries an agent release says so: devices with an agent before them fail it (format 2)
        model.addAttribute("agentVersion", updates.findById(rollout.rollout().updateId()).map(Update::agentVersion)
                .orElse(null));
        model.addAttribute("failures", rollout.failed() == 0 ? List.of() : board.failures(rollout.rollout().id()));
        model.addAttribute("approverMustDiffer", approverMustDiffer);
        model.addAttribute("mayApprove", !approverMustDiffer || !rollout.rollout().createdBy().equals(caller.name()));
        model.addAttribute("caller", caller.name());
        if ("live".equals(part)) {
            if (seen != null && !seen.equals(rollout.state())) {
                // its state moved on: the actions that apply are others (htmx fetches them on this event)
                response.setHeader("HX-Trigger", "rollout-state");
            }
            return "dashboard/rollout :: live";
        }
        if ("actions".equals(part)) {
            return "dashboard/rollout :: actions";
        }
        return "dashboard/rollout";
    }

    @PostMapping("/rollouts/{id}/approve")
    String approve(@PathVariable String id, Caller caller, RedirectAttributes flash) {
        UUID rollout = rolloutId(id);
        return act(rollout, flash, () -> {
            RolloutRow approved = rollouts.approve(rollout, new Rollouts.Actor(caller));
            return approved.state() == RolloutState.SCHEDULED
                    ? "Approved: it starts at " + RolloutProgress.utc(approved.startAt()) + "."
                    : "Approved: phase 1 is offered now.";
        });
    }

    @PostMapping("/rollouts/{id}/pause")
    String pause(@PathVariable String id, @RequestParam(required = false) String reason, Caller caller,
            RedirectAttributes flash) {
        UUID rollout = rolloutId(id);
        return act(rollout, flash, () -> {
            rollouts.pause(rollout, reason(reason), new Rollouts.Actor(caller));
            return "Paused: nothing new starts; devices already installing finish.";
        });
    }

    @PostMapping("/rollouts/{id}/resume")
    String resume(@PathVariable String id, Caller caller, RedirectAttributes flash) {
        UUID rollout = rolloutId(id);
        return act(rollout, flash, () -> {
            RolloutRow resumed = rollouts.resume(rollout, new Rollouts.Actor(caller));
            return "Resumed: phase " + (resumed.currentPhase() + 1) + " is offered again.";
        });
    }

    @PostMapping("/rollouts/{id}/advance")
    String advance(@PathVariable String id, Caller caller, RedirectAttributes flash) {
        UUID rollout = rolloutId(id);
        return act(rollout, flash, () -> {
            RolloutRow advanced = rollouts.advance(rollout, new Rollouts.Actor(caller));
            return advanced.state() == RolloutState.FINISHED ? "Advanced past the last phase: the rollout finished."
                    : "Advanced to phase " + (advanced.currentPhase() + 1) + ".";
        });
    }

    @PostMapping("/rollouts/{id}/cancel")
    String cancel(@PathVariable String id, @RequestParam(required = false) String reason, Caller caller,
            RedirectAttributes flash) {
        UUID rollout = rolloutId(id);
        return act(rollout, flash, () -> {
            rollouts.cancel(rollout, reason(reason), new Rollouts.Actor(caller));
            return "Cancelled: devices that had not started will not install it; devices already installing finish.";
        });
    }

    @PostMapping("/rollouts/{id}/retry-failed")
    String retryFailed(@PathVariable String id, Caller caller, RedirectAttributes flash) {
        UUID rollout = rolloutId(id);
        return act(rollout, flash, () -> {
            RolloutRow retried = rollouts.retryFailed(rollout, new Rollouts.Actor(caller));
            return retried.state() == RolloutState.PAUSED
                    ? "Its failed devices are offered the update again when it resumes."
                    : "Its failed devices are offered the update again.";
        });
    }

    @PostMapping("/rollouts/{id}/rollback")
    String rollback(@PathVariable String id, @RequestParam(name = "to_version", required = false) String toVersion,
            @RequestParam(required = false) String reason, Caller caller, RedirectAttributes flash) {
        UUID rollout = rolloutId(id);
        return act(rollout, flash, () -> {
            // no signed statement from a browser: a server with publisher keys refuses, saying how to sign one
            RolloutRow rollback = rollouts.rollback(rollout, Filters.text(toVersion), reason(reason), null,
                    new Rollouts.Actor(caller));
            return "Rolled back: rollout " + rollback.id() + " offers " + rollback.version()
                    + " to the devices on the bad version.";
        });
    }

    /** A refusal on a page itself (an id that is no rollout's, a malformed one, a bad filter): a page, not a 500. */
    private static String act(UUID rollout, RedirectAttributes flash, Supplier<String> action) {
        return Outcome.redirect("/rollouts/" + rollout, flash, action);
    }

    private static UUID rolloutId(String text) {
        try {
            UUID id = UUID.fromString(text.strip());
            if (id.toString().equalsIgnoreCase(text.strip())) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw ApiException.badRequest("'" + shown(text) + "' is not a rollout's id: an id looks like"
                + " 0190a8c2-5b6e-7f00-8000-000000000000 (see the rollouts list)");
    }

    private static int pageNumber(String text) {
        if (text == null || text.isBlank()) {
            return 0;
        }
        try {
            int page = Integer.parseInt(text.strip());
            if (page >= 0 && (long) page * PAGE_SIZE < Integer.MAX_VALUE) {
                return page;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("page must be a page number from 0, not '" + shown(text) + "'");
    }

    /** The reason as the service takes it; refused (shown on the page) beyond what an audit entry should hold. */
    private static String reason(String text) {
        if (text != null && text.strip().length() > MAX_REASON) {
            throw ApiException.badRequest("the reason is " + text.strip().length() + " characters long: keep it to "
                    + MAX_REASON);
        }
        return text;
    }

    private static String shown(String text) {
        String stripped = text.strip();
        return stripped.length() > 60 ? stripped.substring(0, 60) + "…" : stripped;
    }
}
