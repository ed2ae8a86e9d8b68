using System.Security.Cryptography;

namespace Metering.Grains.Signing;

/// <summary>The algorithms a signing key may use, by their wire names.</summary>
public enum SigningAlgorithm
{
    HmacSha256,
    Es256,
    Ed25519,
    MlDsa65,
}
