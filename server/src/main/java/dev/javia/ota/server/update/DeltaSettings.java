package dev.javia.ota.server.update;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The deltas made at publish ({@code ota.deltas.*}; the environment names are in application.properties): see
 * {@link UpdateDeltas}.
 *
 * @param bases    from how many versions at most a publish makes deltas: those devices run (the most devices first),
 *                 then the last published; 0 makes none, and every device downloads whole packages
 * @param maxShare a delta is kept only when it is below this share of the package (0.8: 80%): a larger one saves the
 *                 devices too little for what building the release on the device costs
 */
@ConfigurationProperties("ota.deltas")
record DeltaSettings(
        @DefaultValue("8") int bases,
        @DefaultValue("0.8") double maxShare) {

    DeltaSettings {
        if (bases < 0 || bases > 64) {
            throw new IllegalArgumentException("ota.deltas.bases (OTA_DELTA_BASES) must be from 0 (no deltas) to 64,"
                    + " e.g. 8");
        }
        if (!(maxShare > 0 && maxShare <= 1)) {
            throw new IllegalArgumentException("ota.deltas.max-share (OTA_DELTA_MAX_SHARE) must be above 0 and at"
                    + " most 1, e.g. 0.8");
        }
    }
}
