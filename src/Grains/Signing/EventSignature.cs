namespace Metering.Grains.Signing;

/// <summary>The <c>signature</c> object of an event: which key, which algorithm, the signature (decoded from base64url)
/// over <see cref="SigningInput"/>, and the nonce it covers.</summary>
public sealed record EventSignature(string KeyId, string Algorithm, byte[] Value, string Nonce);
