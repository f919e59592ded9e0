package dev.javia.ota.server.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The title and the X-API-Key scheme of /v3/api-docs, so that Swagger UI's "Authorize" sends the key. */
@Configuration(proxyBeanMethods = false)
class OpenApiDocument {

    @Bean
    OpenAPI otaOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Javia OTA API").version("v1").description("""
                        Device registry, update distribution and status tracking for a fleet of Raspberry Pi voice \
                        assistants. Every call carries X-API-Key: an admin key (everything), the enrollment key \
                        (registration only) or a device token (that device's own endpoints). Errors are RFC 9457 \
                        problem details."""))
                .components(new Components().addSecuritySchemes("X-API-Key", new SecurityScheme()
                        .type(SecurityScheme.Type.APIKEY).in(SecurityScheme.In.HEADER).name("X-API-Key")))
                .addSecurityItem(new SecurityRequirement().addList("X-API-Key"));
    }
}
