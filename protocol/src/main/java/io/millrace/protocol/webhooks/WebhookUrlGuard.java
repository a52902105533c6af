package io.millrace.protocol.webhooks;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * The server-side request forgery guard of webhook URLs: https only, and every address the host
 * resolves to public ({@link AddressClassifier}). Checked when an endpoint is registered and again
 * before every delivery, since what a name resolves to can change. With {@code allowPrivate}
 * ({@code webhooks.allow.private}, for development and tests) plain http and any address pass.
 *
 * <p>Resolve-then-check: the addresses are looked up once and all of them must pass, so a name
 * with one public and one private address is refused.
 */
public final class WebhookUrlGuard {
    /** Name resolution, replaceable in tests so that no test needs a DNS server. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;

        Resolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));
    }

    /** A URL refused, with what to fix. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }
    }

    /** The longest URL accepted, as browsers and most servers bound them. */
    public static final int MAX_URL_LENGTH = 2048;

    private final boolean allowPrivate;
    private final Resolver resolver;

    public WebhookUrlGuard(boolean allowPrivate, Resolver resolver) {
        this.allowPrivate = allowPrivate;
        this.resolver = resolver;
    }

    public boolean allowPrivate() {
        return allowPrivate;
    }

    /** The parsed URL when its form is acceptable; nothing is resolved. */
    public URI checkForm(String url) throws Refused {
        if (url == null || url.isBlank()) {
            throw new Refused("url is required: the https URL to POST events to");
        }
        if (url.length() > MAX_URL_LENGTH) {
            throw new Refused("url is longer than " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Refused("url is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(allowPrivate && scheme.equals("http"))) {
            throw new Refused("url must be https (plain http only with webhooks.allow.private=true), not '" + url + "'");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new Refused("url has no host: '" + url + "'");
        }
        if (uri.getRawUserInfo() != null) {
            throw new Refused("url must not carry credentials (user:password@): put a secret in the path or verify signatures");
        }
        return uri;
    }

    /**
     * Checks the form and resolves the host; returns the addresses, all deliverable. Throws when
     * the name does not resolve or any address is loopback, private, link-local, carrier-grade NAT,
     * multicast, cloud metadata or reserved (unless private addresses are allowed).
     */
    public List<InetAddress> check(String url) throws Refused {
        return checkHost(checkForm(url).getHost());
    }

    /**
     * Resolves a URL's host and checks every address, as {@link #check}: what the webhooks
     * dispatcher's HTTP client calls for its one lookup of a name at connect time, so that it connects
     * only to addresses that passed (a second lookup could answer otherwise: DNS rebinding).
     */
    public List<InetAddress> checkHost(String host) throws Refused {
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        List<InetAddress> addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new Refused("url's host '" + host + "' does not resolve");
        }
        if (addresses.isEmpty()) {
            throw new Refused("url's host '" + host + "' does not resolve");
        }
        if (!allowPrivate) {
            for (InetAddress a : addresses) {
                AddressClassifier.Kind kind = AddressClassifier.classify(a);
                if (!kind.deliverable()) {
                    throw new Refused("url's host '" + host + "' resolves to " + a.getHostAddress() + ", a "
                            + kind.name().toLowerCase(Locale.ROOT).replace('_', '-')
                            + " address: webhooks go to public addresses only (webhooks.allow.private=true lifts this for development)");
                }
            }
        }
        return addresses;
    }
}
