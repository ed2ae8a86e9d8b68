using System.Net;
using System.Net.Sockets;
using Metering.Grains.Webhooks;

namespace Metering.Silo.Webhooks;

/// <summary>Whether a URL may be registered as a webhook endpoint: absolute http or https, no user information, at most
/// <see cref="MaxLength"/> characters, and a host that resolves only to addresses <see cref="WebhookAddressRule"/> allows
/// under the operator's settings. The rule is applied again at every connection (<see cref="WebhookSender"/>).</summary>
public sealed class WebhookUrlPolicy(WebhookOptions options)
{
    public const int MaxLength = 2048;

    /// <summary>Null when the URL is acceptable, else why it is refused.</summary>
    public async Task<string?> RefusalAsync(string url, CancellationToken ct)
    {
        if (url.Length > MaxLength || !Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            return $"'url' must be an absolute http or https URL of at most {MaxLength} characters.";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "'url' must not carry a user name or password.";
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out IPAddress? literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, ct).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return $"The host '{uri.Host}' does not resolve.";
        }

        IPAddress? refused = addresses.FirstOrDefault(a => !WebhookAddressRule.Allowed(a, options.AllowLoopback, options.AllowPrivateNetworks));
        return addresses.Length == 0 ? $"The host '{uri.Host}' does not resolve."
            : refused is not null ? $"The host '{uri.Host}' resolves to {refused}, a {WebhookAddressRule.Classify(refused).ToString().ToLowerInvariant()} address webhooks are not sent to."
            : null;
    }
}
