using System.Security.Cryptography;
using System.Text;
using Metering.Runtime;
using Microsoft.Extensions.Configuration;

namespace Metering.Silo.Signing;

/// <summary>Encrypts HMAC signing secrets at rest (AES-256-GCM; nonce ‖ ciphertext ‖ tag). The key is derived (HKDF-SHA256)
/// from METERING_SECRETS_KEY, else from the cluster secret. Set one of them in the environment: a secret the silos
/// generated is kept in the database itself, and then a dump of the database holds both the lock and its key.</summary>
public sealed class SecretProtector(IConfiguration configuration, SiloOptions silo, IMembership membership)
{
    private static readonly byte[] s_info = Encoding.UTF8.GetBytes("metering signing-key secrets v1");
    private byte[]? _key;

    public async ValueTask<byte[]> ProtectAsync(byte[] secret, CancellationToken cancellationToken)
    {
        byte[] key = await KeyAsync(cancellationToken).ConfigureAwait(false);
        byte[] blob = new byte[12 + secret.Length + 16];
        RandomNumberGenerator.Fill(blob.AsSpan(0, 12));
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(blob.AsSpan(0, 12), secret, blob.AsSpan(12, secret.Length), blob.AsSpan(12 + secret.Length));
        return blob;
    }

    public async ValueTask<byte[]> UnprotectAsync(byte[] blob, CancellationToken cancellationToken)
    {
        byte[] key = await KeyAsync(cancellationToken).ConfigureAwait(false);
        byte[] secret = new byte[blob.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(12, secret.Length), blob.AsSpan(12 + secret.Length), secret);
        return secret;
    }

    private async ValueTask<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } key)
        {
            return key;
        }

        string material = configuration["METERING_SECRETS_KEY"] is { Length: > 0 } configured ? configured
            : silo.ClusterSecret is { Length: > 0 } cluster ? cluster
            : await membership.SharedSecretAsync(cancellationToken).ConfigureAwait(false);
        return _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(material), 32, salt: [], info: s_info);
    }
}
