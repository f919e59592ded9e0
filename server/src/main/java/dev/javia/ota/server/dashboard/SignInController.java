package dev.javia.ota.server.dashboard;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The sign-in page; Spring Security takes its form (security/DashboardSecurity). */
@Controller
class SignInController {

    @GetMapping(DashboardPaths.SIGN_IN)
    String signIn(@RequestParam(required = false) String refused,
            @RequestParam(name = "signed-out", required = false) String signedOut, Model model) {
        model.addAttribute("refused", refused != null);
        model.addAttribute("signedOut", signedOut != null);
        return "dashboard/sign-in";
    }
}
