using System.Net;
using Metering.Grains.Webhooks;

namespace Metering.UnitTests.Webhooks;

public sealed class WebhookAddressRuleTests
{
    [Theory]
    [InlineData("93.184.216.34", AddressClass.Public)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", AddressClass.Public)]
    [InlineData("127.0.0.1", AddressClass.Loopback)]
    [InlineData("127.9.9.9", AddressClass.Loopback)]
    [InlineData("::1", AddressClass.Loopback)]
    [InlineData("::ffff:127.0.0.1", AddressClass.Loopback)]
    [InlineData("10.0.0.1", AddressClass.Private)]
    [InlineData("172.16.0.1", AddressClass.Private)]
    [InlineData("172.31.255.255", AddressClass.Private)]
    [InlineData("172.32.0.1", AddressClass.Public)]
    [InlineData("172.15.0.1", AddressClass.Public)]
    [InlineData("192.168.1.1", AddressClass.Private)]
    [InlineData("100.64.0.1", AddressClass.Private)]
    [InlineData("100.128.0.1", AddressClass.Public)]
    [InlineData("169.254.169.254", AddressClass.Private)]
    [InlineData("::ffff:10.0.0.1", AddressClass.Private)]
    [InlineData("fe80::1", AddressClass.Private)]
    [InlineData("fd12:3456::1", AddressClass.Private)]
    [InlineData("fec0::1", AddressClass.Private)]
    [InlineData("0.0.0.0", AddressClass.Forbidden)]
    [InlineData("0.1.2.3", AddressClass.Forbidden)]
    [InlineData("255.255.255.255", AddressClass.Forbidden)]
    [InlineData("224.0.0.1", AddressClass.Forbidden)]
    [InlineData("ff02::1", AddressClass.Forbidden)]
    [InlineData("::", AddressClass.Forbidden)]
    public void Addresses_are_classified(string address, AddressClass expected) => Assert.Equal(expected, WebhookAddressRule.Classify(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34", false, false, true)]
    [InlineData("127.0.0.1", false, false, false)]
    [InlineData("127.0.0.1", true, false, true)]
    [InlineData("10.0.0.1", true, false, false)]
    [InlineData("10.0.0.1", false, true, true)]
    [InlineData("224.0.0.1", true, true, false)]
    public void Loopback_and_private_addresses_need_the_operators_leave(string address, bool loopback, bool privateNetworks, bool allowed)
        => Assert.Equal(allowed, WebhookAddressRule.Allowed(IPAddress.Parse(address), loopback, privateNetworks));
}
