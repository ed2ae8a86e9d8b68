using System.Security.Cryptography;
using System.Text;

namespace Metering.Silo.Webhooks;

/// <summary>An endpoint's signing secret: <c>whsec_</c> and 32 random bytes in base64url. The HMAC key is the UTF-8 of the
/// whole string, as a receiver holds it.</summary>
public static class WebhookSecret
{
    public static string New() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Key(string secret) => Encoding.UTF8.GetBytes(secret);
}
