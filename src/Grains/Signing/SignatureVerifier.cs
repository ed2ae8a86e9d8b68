using System.Security.Cryptography;

// ML-DSA's import/export APIs are marked for evaluation in .NET 10; they are the platform's own, used only where supported.
#pragma warning disable SYSLIB5006

namespace Metering.Grains.Signing;

/// <summary>Checks a signature with the platform's cryptography only.</summary>
public static class SignatureVerifier
{
    /// <summary>True when <paramref name="signature"/> is <paramref name="key"/>'s signature of <paramref name="input"/>.
    /// ES256 signatures are r‖s (64 bytes, as in JWS) or DER.</summary>
    public static bool Verify(SigningKey key, ReadOnlySpan<byte> input, ReadOnlySpan<byte> signature)
    {
        switch (key.Algorithm)
        {
            case SigningAlgorithm.HmacSha256:
                Span<byte> mac = stackalloc byte[32];
                HMACSHA256.HashData(key.Secret, input, mac);
                return CryptographicOperations.FixedTimeEquals(mac, signature);
            case SigningAlgorithm.Es256:
                DSASignatureFormat format = signature.Length == 64 ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence;
                return ImportedEcdsa(key.PublicKey!).VerifyData(input, signature, HashAlgorithmName.SHA256, format);

            case SigningAlgorithm.MlDsa65 when MLDsa.IsSupported:
                using (MLDsa mldsa = MLDsa.ImportSubjectPublicKeyInfo(key.PublicKey!))
                {
                    return mldsa.VerifyData(input, signature);
                }

            default:
                return false;
        }
    }

    /// <summary>Importing a public key costs more than verifying with it, so each thread keeps the keys it imported (an ECDsa
    /// instance is not shared between threads), keyed by the key's bytes, up to <see cref="MaxImportedPerThread"/>.</summary>
    private const int MaxImportedPerThread = 256;

    [ThreadStatic]
    private static Dictionary<byte[], ECDsa>? t_imported;

    private static ECDsa ImportedEcdsa(byte[] publicKey)
    {
        Dictionary<byte[], ECDsa> imported = t_imported ??= new Dictionary<byte[], ECDsa>(ByteArrayComparer.Instance);
        if (imported.TryGetValue(publicKey, out ECDsa? ecdsa))
        {
            return ecdsa;
        }

        if (imported.Count >= MaxImportedPerThread)
        {
            foreach (ECDsa old in imported.Values)
            {
                old.Dispose();
            }

            imported.Clear();
        }

        ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(publicKey, out _);
        imported[publicKey] = ecdsa;
        return ecdsa;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] bytes)
        {
            var hash = new HashCode();
            hash.AddBytes(bytes);
            return hash.ToHashCode();
        }
    }

    /// <summary>Reads a public key of <paramref name="algorithm"/> from SPKI PEM and returns its SPKI DER, or null with the reason.</summary>
    public static byte[]? ReadPublicKey(SigningAlgorithm algorithm, string pem, out string? problem)
    {
        problem = null;
        try
        {
            switch (algorithm)
            {
                case SigningAlgorithm.Es256:
                    using (ECDsa ecdsa = ECDsa.Create())
                    {
                        ecdsa.ImportFromPem(pem);
                        if (ecdsa.KeySize != 256 || ecdsa.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                        {
                            problem = "An es256 key must be on the P-256 curve.";
                            return null;
                        }

                        return ecdsa.ExportSubjectPublicKeyInfo();
                    }

                case SigningAlgorithm.MlDsa65:
                    using (MLDsa mldsa = MLDsa.ImportFromPem(pem))
                    {
                        if (mldsa.Algorithm != MLDsaAlgorithm.MLDsa65)
                        {
                            problem = "An ml-dsa-65 key must be an ML-DSA-65 key.";
                            return null;
                        }

                        return mldsa.ExportSubjectPublicKeyInfo();
                    }

                default:
                    problem = "This algorithm takes no public key.";
                    return null;
            }
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            problem = "'public_key' must be a SubjectPublicKeyInfo in PEM (-----BEGIN PUBLIC KEY-----).";
            return null;
        }
    }

    /// <summary>Reads a P-256 public key given as a JWK's <c>x</c> and <c>y</c> (base64url) and returns its SPKI DER.</summary>
    public static byte[]? ReadEs256Jwk(string? x, string? y, out string? problem)
    {
        problem = null;
        try
        {
            var parameters = new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = System.Buffers.Text.Base64Url.DecodeFromChars(x ?? ""), Y = System.Buffers.Text.Base64Url.DecodeFromChars(y ?? "") },
            };
            using ECDsa ecdsa = ECDsa.Create(parameters);
            return ecdsa.ExportSubjectPublicKeyInfo();
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            problem = "'public_key' as a JWK must be {\"kty\":\"EC\",\"crv\":\"P-256\",\"x\",\"y\"} with a point on the curve.";
            return null;
        }
    }
}
