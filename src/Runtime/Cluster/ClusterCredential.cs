using System.Security.Cryptography;
using System.Text;

namespace Metering.Runtime;

/// <summary>Authenticates calls between silos (and from cluster clients): a token derived from the shared cluster secret,
/// so the secret itself never travels.</summary>
public sealed class ClusterCredential
{
    /// <summary>The request header that carries the token.</summary>
    public const string Header = "Metering-Cluster-Token";

    private byte[] _token = [];

    /// <summary>A credential for <paramref name="secret"/>; without one, nothing is accepted until <see cref="Set"/>.</summary>
    public ClusterCredential(string? secret = null)
    {
        if (!string.IsNullOrEmpty(secret))
        {
            Set(secret);
        }
    }

    /// <summary>The token to send.</summary>
    public string Token => Encoding.ASCII.GetString(Volatile.Read(ref _token));

    /// <summary>Sets the shared secret.</summary>
    public void Set(string secret)
        => Volatile.Write(ref _token, Encoding.ASCII.GetBytes(Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), "metering.cluster.v1"u8))));

    /// <summary>Whether <paramref name="token"/> is the token of the shared secret (constant time).</summary>
    public bool Accepts(string? token)
    {
        byte[] expected = Volatile.Read(ref _token);
        return expected.Length > 0 && token is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token), expected);
    }
}
