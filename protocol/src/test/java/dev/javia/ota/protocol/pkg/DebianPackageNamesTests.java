package dev.javia.ota.protocol.pkg;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DebianPackageNamesTests {

    @ParameterizedTest
    @ValueSource(strings = {"libopus0", "libopus-dev", "g++", "libc6.1", "python3-numpy", "zlib1g=1:1.2.13.dfsg-1",
            "libopus0=1.3.1-3", "xz-utils=5.4.1~beta"})
    void acceptsWhatDebianAccepts(String name) {
        assertTrue(DebianPackageNames.isValid(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pkg-", "pkg.", "-oDebug::NoLocking=1", "zlib1.+*", "Libopus", "a", "lib opus",
            "pkg=1.0-", "pkg=", "pkg=abc", "../x", "pkg;rm", ""})
    void refusesWhatAptWouldMisreadOrDebianRefuses(String name) {
        assertFalse(DebianPackageNames.isValid(name), name);
    }

    @Test
    void parsesTheSeedsCommaSeparatedFormTrimmingBlanks() {
        assertEquals(List.of("libopus0", "libopus-dev"), DebianPackageNames.parseList(" libopus0 , libopus-dev,"));
    }

    @Test
    void nullOrBlankIsNoPackages() {
        assertEquals(List.of(), DebianPackageNames.parseList(null));
        assertEquals(List.of(), DebianPackageNames.parseList("  "));
    }

    @Test
    void keepsARepeatedNameOnce() {
        assertEquals(List.of("libopus0"), DebianPackageNames.parseList("libopus0,libopus0"));
    }

    @Test
    void namesTheBadPackageAndTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DebianPackageNames.parseList("libopus0,libopus-"));
        assertTrue(e.getMessage().startsWith("'libopus-' is not a Debian package name"), e.getMessage());
        assertTrue(e.getMessage().contains(DebianPackageNames.RULE), e.getMessage());
    }
}
