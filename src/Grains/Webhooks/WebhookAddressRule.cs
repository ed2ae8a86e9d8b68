using System.Net;
using System.Net.Sockets;

namespace Metering.Grains.Webhooks;

/// <summary>Which addresses a webhook may be sent to. Public unicast addresses always; the others only when the operator
/// allows them: loopback (127.0.0.0/8, ::1) with <c>AllowLoopback</c>; private and link-local ranges (10/8, 172.16/12,
/// 192.168/16, 100.64/10, 169.254/16, fc00::/7, fe80::/10) with <c>AllowPrivateNetworks</c>. Unspecified, multicast and
/// broadcast addresses never. An IPv4 address mapped into IPv6 is judged as the IPv4 address.</summary>
public static class WebhookAddressRule
{
    public static AddressClass Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return AddressClass.Loopback;
        }

        return address.AddressFamily == AddressFamily.InterNetwork ? ClassifyV4(address.GetAddressBytes()) : ClassifyV6(address);
    }

    public static bool Allowed(IPAddress address, bool allowLoopback, bool allowPrivate) => Classify(address) switch
    {
        AddressClass.Public => true,
        AddressClass.Loopback => allowLoopback,
        AddressClass.Private => allowPrivate,
        _ => false,
    };

    private static AddressClass ClassifyV4(byte[] b) => b switch
    {
        [0, 0, 0, 0] or [255, 255, 255, 255] => AddressClass.Forbidden,
        [>= 224, ..] => AddressClass.Forbidden,
        [0, ..] => AddressClass.Forbidden,
        [10, ..] => AddressClass.Private,
        [172, >= 16 and <= 31, ..] => AddressClass.Private,
        [192, 168, ..] => AddressClass.Private,
        [100, >= 64 and <= 127, ..] => AddressClass.Private,
        [169, 254, ..] => AddressClass.Private,
        _ => AddressClass.Public,
    };

    private static AddressClass ClassifyV6(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        if (address.Equals(IPAddress.IPv6None) || address.IsIPv6Multicast)
        {
            return AddressClass.Forbidden;
        }

        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || (b[0] & 0xfe) == 0xfc ? AddressClass.Private : AddressClass.Public;
    }
}
