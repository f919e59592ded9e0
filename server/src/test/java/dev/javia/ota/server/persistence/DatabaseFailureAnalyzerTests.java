package dev.javia.ota.server.persistence;

import dev.javia.ota.server.persistence.DatabaseFailureAnalyzer.Target;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/** What the start-up report says was tried, read from the settings as Spring Boot reads them to connect. */
class DatabaseFailureAnalyzerTests {

    @Test
    void readsHostPortAndDatabaseButNeverTheUrlsParameters() {
        Target target = Target.of(settings("jdbc:postgresql://db.example.com:6432/ota?sslmode=require&password=hunter2",
                "ota"), false);

        assertThat(target).isEqualTo(new Target("db.example.com", "6432", "ota", "ota", "SPRING_DATASOURCE_URL",
                "SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD"));
        assertThat(target.toString()).doesNotContain("hunter2");
    }

    @Test
    void fillsInWhatPgjdbcDefaults() {
        assertThat(Target.of(settings("jdbc:postgresql://db.example.com/ota", "ota"), false))
                .extracting(Target::host, Target::port, Target::database).containsExactly("db.example.com", "5432", "ota");
        assertThat(Target.of(settings("jdbc:postgresql:ota", "ota"), false))
                .extracting(Target::host, Target::port, Target::database).containsExactly("localhost", "5432", "ota");
        assertThat(Target.of(settings("jdbc:postgresql://db.example.com:5433/", "javia"), false))
                .extracting(Target::database).isEqualTo("javia");
        assertThat(Target.of(settings("jdbc:postgresql://db/ota", ""), false))
                .extracting(Target::user).isEqualTo("(none set)");
    }

    @Test
    void readsIpv6AndTheFirstOfSeveralHosts() {
        assertThat(Target.of(settings("jdbc:postgresql://[::1]:5433/ota", "ota"), false))
                .extracting(Target::host, Target::port).containsExactly("[::1]", "5433");
        assertThat(Target.of(settings("jdbc:postgresql://[::1]/ota", "ota"), false))
                .extracting(Target::host, Target::port).containsExactly("[::1]", "5432");
        assertThat(Target.of(settings("jdbc:postgresql://primary:5433,standby:5434/ota", "ota"), false))
                .extracting(Target::host, Target::port).containsExactly("primary", "5433");
    }

    @Test
    void flywaysOwnSettingsCountOnlyForMigrationsAndEachFallsBackToTheDatasources() {
        MockEnvironment settings = settings("jdbc:postgresql://pooler:6543/postgres", "app")
                .withProperty("spring.flyway.url", "jdbc:postgresql://pooler:5432/postgres");

        assertThat(Target.of(settings, true)).isEqualTo(new Target("pooler", "5432", "postgres", "app",
                "SPRING_FLYWAY_URL", "SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD"));
        assertThat(Target.of(settings, false)).extracting(Target::port, Target::urlVariable)
                .containsExactly("6543", "SPRING_DATASOURCE_URL");
    }

    private static MockEnvironment settings(String url, String user) {
        return new MockEnvironment().withProperty("spring.datasource.url", url)
                .withProperty("spring.datasource.username", user);
    }
}
