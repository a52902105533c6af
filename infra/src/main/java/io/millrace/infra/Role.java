package io.millrace.infra;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The stages one process can run; {@code serve} runs all by default, or those named. */
enum Role {
    INGEST, ROUTER, WORKER, API;

    static Set<Role> parse(String csv) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String s : csv.split(",")) {
            try {
                roles.add(Role.valueOf(s.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("unknown role '" + s.trim() + "' in --roles: use any of ingest,router,worker,api");
            }
        }
        return roles;
    }
}
