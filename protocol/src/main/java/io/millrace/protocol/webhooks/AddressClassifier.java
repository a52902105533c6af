package io.millrace.protocol.webhooks;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * Sorts an IP address into what a webhook may and may not be sent to. Only {@link Kind#PUBLIC}
 * is deliverable without {@code webhooks.allow.private}. IPv6 forms that carry an IPv4 address
 * (IPv4-mapped {@code ::ffff:a.b.c.d}, IPv4-compatible {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::/96},
 * 6to4 {@code 2002:AABB:CCDD::/48}) are judged by that IPv4 address, since that is where the
 * packets end up.
 */
public final class AddressClassifier {
    /** Why an address is refused, or that it is not. */
    public enum Kind {
        PUBLIC, LOOPBACK, PRIVATE, LINK_LOCAL, CARRIER_GRADE_NAT, MULTICAST, CLOUD_METADATA, UNSPECIFIED, RESERVED;

        public boolean deliverable() {
            return this == PUBLIC;
        }
    }

    private AddressClassifier() {}

    public static Kind classify(InetAddress address) {
        return classify(address.getAddress());
    }

    /** The kind of a raw address: 4 bytes (IPv4) or 16 (IPv6). */
    public static Kind classify(byte[] a) {
        if (a.length == 4) {
            return ipv4(a[0] & 0xff, a[1] & 0xff, a[2] & 0xff, a[3] & 0xff);
        }
        if (a.length != 16) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + a.length);
        }
        byte[] embedded = embeddedIpv4(a);
        if (embedded != null) {
            return classify(embedded);
        }
        int first = a[0] & 0xff;
        int second = a[1] & 0xff;
        if (allZero(a, 0, 16)) {
            return Kind.UNSPECIFIED; // ::
        }
        if (allZero(a, 0, 15) && a[15] == 1) {
            return Kind.LOOPBACK; // ::1
        }
        // AWS's IPv6 instance metadata service, fd00:ec2::254, before the unique-local range it sits in.
        if (Arrays.equals(a, new byte[] {(byte) 0xfd, 0, 0x0e, (byte) 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54})) {
            return Kind.CLOUD_METADATA;
        }
        if ((first & 0xfe) == 0xfc) {
            return Kind.PRIVATE; // fc00::/7 unique local
        }
        if (first == 0xfe && (second & 0xc0) == 0x80) {
            return Kind.LINK_LOCAL; // fe80::/10
        }
        if (first == 0xfe && (second & 0xc0) == 0xc0) {
            return Kind.PRIVATE; // fec0::/10, the deprecated site-local
        }
        if (first == 0xff) {
            return Kind.MULTICAST; // ff00::/8
        }
        if ((first & 0xe0) != 0x20) {
            return Kind.RESERVED; // outside 2000::/3, the only global unicast space
        }
        if (first == 0x20 && second == 0x01 && (a[2] & 0xff) == 0x0d && (a[3] & 0xff) == 0xb8) {
            return Kind.RESERVED; // 2001:db8::/32 documentation
        }
        return Kind.PUBLIC;
    }

    private static Kind ipv4(int a, int b, int c, int d) {
        if (a == 169 && b == 254 && c == 169 && d == 254) {
            return Kind.CLOUD_METADATA; // AWS, GCP, Azure, OpenStack
        }
        if (a == 100 && b == 100 && c == 100 && d == 200) {
            return Kind.CLOUD_METADATA; // Alibaba Cloud, inside the carrier-grade NAT range
        }
        if (a == 127) {
            return Kind.LOOPBACK;
        }
        if (a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168)) {
            return Kind.PRIVATE;
        }
        if (a == 169 && b == 254) {
            return Kind.LINK_LOCAL;
        }
        if (a == 100 && (b & 0xc0) == 64) {
            return Kind.CARRIER_GRADE_NAT; // 100.64.0.0/10
        }
        if (a >= 224 && a <= 239) {
            return Kind.MULTICAST;
        }
        if (a == 0) {
            return Kind.UNSPECIFIED; // 0.0.0.0/8 "this network": 0.0.0.0 reaches the local host
        }
        if (a >= 240 || (a == 192 && b == 0 && c == 0) || (a == 198 && (b & 0xfe) == 18)
                || (a == 192 && b == 0 && c == 2) || (a == 198 && b == 51 && c == 100) || (a == 203 && b == 0 && c == 113)) {
            // Reserved and broadcast, IETF protocol assignments, benchmarking, documentation.
            return Kind.RESERVED;
        }
        return Kind.PUBLIC;
    }

    /** The IPv4 address an IPv6 address stands for, or null when it carries none. */
    private static byte[] embeddedIpv4(byte[] a) {
        boolean mapped = allZero(a, 0, 10) && (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
        // ::a.b.c.d (deprecated IPv4-compatible), but not :: and ::1 themselves.
        boolean compatible = allZero(a, 0, 12) && !allZero(a, 12, 15);
        boolean nat64 = (a[0] & 0xff) == 0x00 && (a[1] & 0xff) == 0x64 && (a[2] & 0xff) == 0xff && (a[3] & 0xff) == 0x9b
                && allZero(a, 4, 12);
        if (mapped || compatible || nat64) {
            return Arrays.copyOfRange(a, 12, 16);
        }
        if ((a[0] & 0xff) == 0x20 && (a[1] & 0xff) == 0x02) {
            return Arrays.copyOfRange(a, 2, 6); // 6to4
        }
        return null;
    }

    private static boolean allZero(byte[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
