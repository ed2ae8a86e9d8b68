using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Metering.Grains.Webhooks;

/// <summary>The <c>Metering-Signature</c> header, in Stripe's style: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of
/// "t.body" under the endpoint's secret&gt;</c>, with a second <c>v1</c> under the previous secret while a rotation's grace
/// lasts. A receiver recomputes v1 from the raw body, accepts any that matches, and refuses old timestamps.</summary>
public static class WebhookSignature
{
    public const string Header = "Metering-Signature";

    public static string Sign(IReadOnlyList<byte[]> secrets, DateTimeOffset at, string body)
    {
        string t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        byte[] signed = Encoding.UTF8.GetBytes(t + "." + body);
        return $"t={t}," + string.Join(',', secrets.Select(secret => "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, signed))));
    }

    /// <summary>Whether <paramref name="header"/> signs <paramref name="body"/> under <paramref name="secret"/> with a
    /// timestamp within <paramref name="tolerance"/> of <paramref name="now"/> (what a receiver does).</summary>
    public static bool Verify(byte[] secret, string header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        string? t = null;
        var signatures = new List<string>();
        foreach (string part in header.Split(','))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return false;
            }

            (string name, string value) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            if (name == "t")
            {
                t = value;
            }
            else if (name == "v1")
            {
                signatures.Add(value);
            }
        }

        if (t is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long unix)
            || (now - DateTimeOffset.FromUnixTimeSeconds(unix)).Duration() > tolerance)
        {
            return false;
        }

        byte[] expected = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(t + "." + body));
        return signatures.Any(s => s.Length == expected.Length * 2 && IsHex(s)
            && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(s), expected));
    }

    private static bool IsHex(string s) => s.All(Uri.IsHexDigit);
}
