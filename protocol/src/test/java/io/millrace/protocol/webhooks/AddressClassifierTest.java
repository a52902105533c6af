package io.millrace.protocol.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.webhooks.AddressClassifier.Kind;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Literal addresses only: InetAddress.getByName parses them without any lookup or connection. */
class AddressClassifierTest {

    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, LOOPBACK", "127.255.0.9, LOOPBACK", "::1, LOOPBACK",
            "10.0.0.1, PRIVATE", "172.16.0.1, PRIVATE", "172.31.255.255, PRIVATE", "192.168.1.1, PRIVATE",
            "fc00::1, PRIVATE", "fd12:3456::1, PRIVATE", "fec0::1, PRIVATE",
            "169.254.0.1, LINK_LOCAL", "fe80::1, LINK_LOCAL", "febf::1, LINK_LOCAL",
            "100.64.0.1, CARRIER_GRADE_NAT", "100.127.255.255, CARRIER_GRADE_NAT",
            "224.0.0.1, MULTICAST", "239.255.255.250, MULTICAST", "ff02::1, MULTICAST",
            "169.254.169.254, CLOUD_METADATA", "fd00:ec2::254, CLOUD_METADATA", "100.100.100.200, CLOUD_METADATA",
            "0.0.0.0, UNSPECIFIED", "::, UNSPECIFIED",
            "255.255.255.255, RESERVED", "240.0.0.1, RESERVED", "192.0.2.1, RESERVED", "2001:db8::1, RESERVED",
            // IPv6 forms that carry an IPv4 address are judged by it.
            "::ffff:127.0.0.1, LOOPBACK", "::ffff:169.254.169.254, CLOUD_METADATA", "::10.0.0.1, PRIVATE",
            "64:ff9b::a00:1, PRIVATE", "2002:7f00:1::1, LOOPBACK", "2002:a9fe:a9fe::, CLOUD_METADATA",
            "2002:808:808::1, PUBLIC", "64:ff9b::808:808, PUBLIC",
            // Public, including the neighbours of refused ranges.
            "8.8.8.8, PUBLIC", "1.1.1.1, PUBLIC", "172.15.255.255, PUBLIC", "172.32.0.1, PUBLIC", "100.63.255.255, PUBLIC",
            "100.128.0.1, PUBLIC", "169.253.255.255, PUBLIC", "11.0.0.1, PUBLIC", "2606:4700::1111, PUBLIC",
            "2001:4860:4860::8888, PUBLIC"})
    void classifies(String address, Kind expected) throws UnknownHostException {
        assertThat(AddressClassifier.classify(InetAddress.getByName(address))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"8.8.8.8, true", "10.0.0.1, false", "::1, false"})
    void onlyPublicIsDeliverable(String address, boolean deliverable) throws UnknownHostException {
        assertThat(AddressClassifier.classify(InetAddress.getByName(address)).deliverable()).isEqualTo(deliverable);
    }
}
