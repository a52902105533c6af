package io.millrace.results;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A streamed legacy completion has one choice per prompt, in each of OpenAI's four prompt forms. */
class ChatStreamTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"Once upon\" | 1",
        "[\"a\", \"b\", \"c\"] | 3",
        "[1, 2, 3] | 1",
        "[[1, 2], [3]] | 2",
    })
    void aLegacyBodyHasOneChoicePerPrompt(String prompt, int choices) throws Exception {
        assertThat(ChatStream.prompts(Json.parse(prompt))).isEqualTo(choices);
    }
}
