using System.Security.Cryptography;

namespace Metering.Grains.Signing;

public static class SigningAlgorithms
{
    // Read per signed event (the name a signature claims is compared with its key's): a switch, the map derived from it.
    private static readonly Dictionary<string, SigningAlgorithm> s_byName =
        Enum.GetValues<SigningAlgorithm>().ToDictionary(a => a.WireName(), StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Names => s_byName.Keys;

    public static bool TryParse(string? name, out SigningAlgorithm algorithm) => s_byName.TryGetValue(name ?? "", out algorithm);

    public static string WireName(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.HmacSha256 => "hmac-sha256",
        SigningAlgorithm.Es256 => "es256",
        SigningAlgorithm.Ed25519 => "ed25519",
        _ => "ml-dsa-65",
    };

    /// <summary>Whether this platform's cryptography can verify the algorithm. .NET has no Ed25519; ML-DSA needs an OpenSSL
    /// with it (3.5 or later).</summary>
    public static bool IsSupported(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.HmacSha256 or SigningAlgorithm.Es256 => true,
        SigningAlgorithm.MlDsa65 => MLDsa.IsSupported,
        _ => false,
    };
}
