package io.millrace.results;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/** What a JSON parser said, for an error message; every part of the exception may be missing. */
final class JsonErrors {
    private JsonErrors() {}

    static String describe(JsonProcessingException e) {
        String what = e.getOriginalMessage() != null ? e.getOriginalMessage() : e.getClass().getSimpleName();
        JsonLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) {
            return what + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        }
        return what;
    }
}
