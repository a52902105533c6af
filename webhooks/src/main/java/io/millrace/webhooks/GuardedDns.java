package io.millrace.webhooks;

import io.millrace.protocol.webhooks.WebhookUrlGuard;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import okhttp3.Dns;

/**
 * The delivery client's only name resolution: the SSRF guard's resolve-then-check, at connect time.
 * The client connects to exactly the addresses that passed, so a name that answers a public address
 * to one lookup and a private one to the next (DNS rebinding) cannot reach the private one: there is
 * no next lookup. TLS still checks the certificate against the URL's name (SNI and hostname
 * verification use the name, not the address), and the Host header is the URL's.
 */
final class GuardedDns implements Dns {
    /** A name refused by the guard: the connection is never opened. */
    static final class Refused extends UnknownHostException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final WebhookUrlGuard guard;

    GuardedDns(WebhookUrlGuard guard) {
        this.guard = guard;
    }

    @Override
    public List<InetAddress> lookup(String hostname) throws UnknownHostException {
        try {
            return guard.checkHost(hostname);
        } catch (WebhookUrlGuard.Refused e) {
            throw new Refused(e.getMessage());
        }
    }
}
