package io.millrace.infra;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The stages one process can run; {@code serve} runs all by default, or those named. {@link #CDC}
 * and {@link #DB_SINK} need a database, so they are in the default only when one is given
 * ({@code --cdc-jdbc-url}).
 */
enum Role {
    INGEST, ROUTER, WORKER, API, WEBHOOKS, CDC, DB_SINK,
    /** Answers the requests of the deployment's remote models ({@code kind: remote}) by calling their servers; none: nothing. */
    REMOTE;

    /** The roles {@code serve} runs when none are named: all, those of the database only with one. */
    static Set<Role> defaults(boolean database) {
        Set<Role> roles = EnumSet.allOf(Role.class);
        if (!database) {
            roles.removeAll(EnumSet.of(CDC, DB_SINK));
        }
        return roles;
    }

    /** As {@code --roles} spells it: {@code db-sink}. */
    String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** One role of {@code --roles}, named in any case, blanks around it ignored. */
    static Role of(String name) {
        try {
            return Role.valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new UsageException("unknown role '" + name.trim()
                    + "' in --roles: use any of ingest,router,worker,api,webhooks,cdc,db-sink,remote");
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
