using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Metering.Grains.Signing;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Signs events as a client would: the canonical signing input of README.md, signed with an HMAC secret or an
/// ECDSA P-256 key, in the event's <c>signature</c> object.</summary>
public sealed class EventSigner(string tenant, string keyId, string algorithm, Func<byte[], byte[]> sign)
{
    public static EventSigner Hmac(string tenant, string keyId, byte[] secret) => new(tenant, keyId, "hmac-sha256", input => HMACSHA256.HashData(secret, input));

    public static EventSigner Es256(string tenant, string keyId, ECDsa key, DSASignatureFormat format = DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
        => new(tenant, keyId, "es256", input => key.SignData(input, HashAlgorithmName.SHA256, format));

    /// <summary>An event with its signature; <paramref name="tamper"/> changes the event after signing.</summary>
    public Dictionary<string, object?> Event(string key, string subject, string eventType, object properties, string? nonce = null,
        string timestamp = "", Action<Dictionary<string, object?>>? tamper = null)
    {
        timestamp = timestamp.Length > 0 ? timestamp : DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        nonce ??= Guid.NewGuid().ToString("N");
        JsonElement props = JsonSerializer.SerializeToElement(properties);
        byte[] input = SigningInput.Build(tenant, key, subject, eventType, timestamp, props, nonce);
        var e = new Dictionary<string, object?>
        {
            ["idempotency_key"] = key,
            ["subject"] = subject,
            ["event_type"] = eventType,
            ["timestamp"] = timestamp,
            ["properties"] = props,
            ["signature"] = new { key_id = keyId, algorithm, value = Base64Url.EncodeToString(sign(input)), nonce },
        };
        tamper?.Invoke(e);
        return e;
    }

    /// <summary>A batch body signed as a whole: <paramref name="eventsJson"/> is the <c>events</c> array exactly as it will be
    /// sent; <paramref name="sent"/> replaces it after signing (to tamper).</summary>
    public string Batch(string eventsJson, string nonce, string? sent = null)
    {
        byte[] input = BatchSigningInput.Build(tenant, nonce, System.Text.Encoding.UTF8.GetBytes(eventsJson));
        string signature = JsonSerializer.Serialize(new { key_id = keyId, algorithm, value = Base64Url.EncodeToString(sign(input)), nonce });
        return $"{{\"events\": {sent ?? eventsJson},\n \"signature\": {signature}}}";
    }
}
