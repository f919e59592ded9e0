package dev.javia.ota.server.web;

import com.fasterxml.jackson.databind.AnnotationIntrospector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.AnnotatedClass;
import com.fasterxml.jackson.databind.introspect.NopAnnotationIntrospector;
import dev.javia.ota.protocol.api.Nullable;
import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverter;
import io.swagger.v3.core.converter.ModelConverterContext;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.core.util.Json31;
import io.swagger.v3.oas.models.media.JsonSchema;
import io.swagger.v3.oas.models.media.Schema;

import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Turns the wire records into the document's schemas as the server's Jackson 3 writes them. swagger-core introspects
 * with Jackson 2, which does not see Jackson 3's {@code @JsonNaming} (so it showed camelCase where the wire is
 * snake_case), and it marks a {@link Nullable} record-typed field by making the record's own schema {@code null}.
 * This resolver reads the naming first and writes such a field as "that record, or null".
 */
class WireSchemas extends ModelResolver {

    WireSchemas() {
        super(jackson2WithJackson3Naming());
        openapi31(true);
    }

    private static ObjectMapper jackson2WithJackson3Naming() {
        ObjectMapper mapper = Json31.mapper().copy();
        return mapper.setAnnotationIntrospector(AnnotationIntrospector.pair(new Jackson3Naming(),
                mapper.getSerializationConfig().getAnnotationIntrospector()));
    }

    @Override
    @SuppressWarnings("unchecked")
    public Schema resolve(AnnotatedType type, ModelConverterContext context, Iterator<ModelConverter> chain) {
        if (!type.isSchemaProperty() || !nullable(type.getCtxAnnotations())) {
            return super.resolve(type, context, chain);
        }
        if (_mapper.constructType(type.getType()).getRawClass().isRecord()) {
            Schema<?> record = context.resolve(new AnnotatedType(type.getType()).resolveAsRef(true)
                    .components(type.getComponents()));
            return new JsonSchema().oneOf(List.of(record, new JsonSchema().types(Set.of("null"))));
        }
        Schema<Object> schema = super.resolve(type, context, chain);
        if (schema != null && schema.getEnum() != null && !schema.getEnum().contains(null)) {
            // an enum says which values are valid: null must be one of them, or "type: [string, null]" means nothing
            schema.getEnum().add(null);
        }
        return schema;
    }

    private static boolean nullable(Annotation[] annotations) {
        return annotations != null && Arrays.stream(annotations).anyMatch(a -> a.annotationType() == Nullable.class);
    }

    /** Translates a Jackson 3 naming strategy (snake_case on every wire record) into its Jackson 2 twin. */
    static final class Jackson3Naming extends NopAnnotationIntrospector {

        @Override
        public Object findNamingStrategy(AnnotatedClass type) {
            tools.jackson.databind.annotation.JsonNaming naming =
                    type.getRawType().getAnnotation(tools.jackson.databind.annotation.JsonNaming.class);
            if (naming == null) {
                return null;
            }
            if (!(instantiate(naming.value())
                    instanceof tools.jackson.databind.PropertyNamingStrategies.NamingBase strategy)) {
                throw new IllegalStateException("the API document cannot translate the naming strategy "
                        + naming.value().getName() + " of " + type.getRawType().getName());
            }
            return new com.fasterxml.jackson.databind.PropertyNamingStrategies.NamingBase() {
                @Override
                public String translate(String name) {
                    // a NamingBase names by the Java name alone (its translate is protected in Jackson 3)
                    return strategy.nameForField(null, null, name);
                }
            };
        }

        private static Object instantiate(Class<?> type) {
            try {
                return type.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot create naming strategy " + type.getName(),
                        e instanceof InvocationTargetException ite ? ite.getCause() : e);
            }
        }
    }
}
