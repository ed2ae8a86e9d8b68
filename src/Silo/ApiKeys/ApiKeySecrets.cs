using System.Security.Cryptography;
using System.Text;

namespace Metering.Silo.ApiKeys;

/// <summary>Making keys, and what of a key is stored: its SHA-256 and a short prefix that tells keys apart in lists.</summary>
public static class ApiKeySecrets
{
    private const string Scheme = "mk_";

    public static string NewKey() => Scheme + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    /// <summary>The hex SHA-256 of the key, the only form in which it is stored or compared.</summary>
    public static string Hash(string apiKey) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    /// <summary>Generated keys show <c>mk_</c> and 8 of their 32 random characters (144 bits stay secret), enough to tell a
    /// rotated key from its successor. Any other key (a configured bootstrap key) shows at most 6 characters and never more
    /// than a quarter of itself, as keys did before.</summary>
    public static string Prefix(string apiKey)
        => apiKey.StartsWith(Scheme, StringComparison.Ordinal) && apiKey.Length >= 32 ? apiKey[..11] : apiKey[..Math.Min(6, apiKey.Length / 4)];
}
