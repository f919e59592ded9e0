package dev.javia.ota.protocol.pkg;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VersionTests {

    @Test
    void parsesAndPrintsTheSeedsForm() {
        Version version = Version.parse("v1.2.3");
        assertEquals(new Version(1, 2, 3), version);
        assertEquals("v1.2.3", version.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2.3", "v1.2", "v1.2.3.4", "v01.2.3", "v1.2.3-rc1", "V1.2.3", " v1.2.3", "v1.2.x", "",
            "v1234567890.0.0"})
    void refusesAnythingButVMajorMinorPatch(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Version.parse(text));
        assertEquals("version must look like vMAJOR.MINOR.PATCH (e.g. v1.2.3), not '" + text + "'", e.getMessage());
        assertEquals(Optional.empty(), Version.tryParse(text));
    }

    @Test
    void tryParseOfNullIsEmpty() {
        assertEquals(Optional.empty(), Version.tryParse(null));
    }

    @Test
    void ordersNumericallyNotAlphabetically() {
        List<Version> versions = new ArrayList<>(List.of(Version.parse("v1.10.0"), Version.parse("v1.9.9"),
                Version.parse("v2.0.0"), Version.parse("v1.9.10")));
        Collections.sort(versions);
        assertEquals("[v1.9.9, v1.9.10, v1.10.0, v2.0.0]", versions.toString());
        assertTrue(Version.parse("v1.10.0").isNewerThan(Version.parse("v1.9.0")));
    }

    @Test
    void bumpIncrementsOnePartAndResetsTheLaterOnes() {
        Version version = Version.parse("v1.2.3");
        assertEquals("v1.2.4", version.bump(Version.Bump.PATCH).toString());
        assertEquals("v1.3.0", version.bump(Version.Bump.MINOR).toString());
        assertEquals("v2.0.0", version.bump(Version.Bump.MAJOR).toString());
    }
}
