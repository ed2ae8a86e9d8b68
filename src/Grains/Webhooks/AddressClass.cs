namespace Metering.Grains.Webhooks;

/// <summary>The kinds of address <see cref="WebhookAddressRule"/> tells apart.</summary>
public enum AddressClass
{
    Public,
    Loopback,
    Private,
    Forbidden,
}
