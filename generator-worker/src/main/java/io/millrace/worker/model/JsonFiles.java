package io.millrace.worker.model;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes the JSON files of a model directory. */
public final class JsonFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Jackson's default indenter uses the platform line separator; the built-in model must not. */
    private static final ObjectWriter WRITER = MAPPER.writer(
            new DefaultPrettyPrinter()
                    .withSeparators(Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                    .withObjectIndenter(new DefaultIndenter("  ", "\n")));

    private JsonFiles() {}

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static void write(Path file, JsonNode json) throws IOException {
        Files.write(file, (WRITER.writeValueAsString(json) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a file of a model directory, failing with the file named. */
    static JsonNode read(Path file) {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage()
                    + " (it must be the JSON file the model was exported with)", e);
        }
    }
}
