package dev.javia.ota.server.dashboard;

import dev.javia.ota.server.web.ApiException;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import java.util.function.Supplier;

/**
 * What a page's action ends in: it runs the same service the API does, then sends the browser back to a page
 * (post, redirect, get) that shows, once, either what was done ({@code notice}) or the refusal the API would have
 * answered, in its words ({@code problem}): the layout shows both. A refusal loses nothing: the page is as it was.
 */
public final class Outcome {

    private Outcome() {
    }

    /** Runs {@code action}; the notice is what it returns, shown on {@code page}. */
    public static String redirect(String page, RedirectAttributes flash, Supplier<String> action) {
        try {
            flash.addFlashAttribute("notice", action.get());
        } catch (ApiException refused) {
            flash.addFlashAttribute("problem", refused.getBody().getDetail());
        }
        return "redirect:" + page;
    }
}
