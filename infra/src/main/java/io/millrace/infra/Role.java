package io.millrace.infra;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** The stages one process can run; {@code serve} runs all by default, or those named. */
enum Role {
    INGEST, ROUTER, WORKER, API, WEBHOOKS,
    /** Answers the requests of the deployment's remote models ({@code kind: remote}) by calling their servers; none: nothing. */
    REMOTE;

    /** One role of {@code --roles}, named in any case, blanks around it ignored. */
    static Role of(String name) {
        try {
            return Role.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("unknown role '" + name.trim() + "' in --roles: use any of ingest,router,worker,api,webhooks,remote");
        }
    }

    /** {@code --roles ingest, router}: picocli splits at the commas, this reads each part. */
    static final class Converter implements ITypeConverter<Role> {
        @Override
        public Role convert(String name) {
            try {
                return of(name);
            } catch (UsageException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
