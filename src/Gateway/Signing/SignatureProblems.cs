using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Signing;

/// <summary>The problems of signed events and signing keys (their codes are in <see cref="ApiError.Codes"/>).</summary>
public static class SignatureProblems
{
    public static ApiError InvalidSignature(string detail) => new(401, ApiError.Codes.SignatureInvalid, detail);

    public static ApiError SignatureRequired() => new(401, ApiError.Codes.SignatureRequired, "This tenant requires every event to be signed: add 'signature' {key_id, algorithm, value, nonce}.");

    public static ApiError NotForSubject(string keyId, string subject) => new(403, ApiError.Codes.SignatureSubjectMismatch, $"Signing key '{keyId}' is not registered for subject '{subject}'.");

    public static ApiError Replayed(string keyId) => new(409, ApiError.Codes.NonceReused, $"This nonce was already used with key '{keyId}' by another event; sign each event with a new nonce.");

    public static ApiError Unsupported(string algorithm, string why) => new(422, ApiError.Codes.SignatureAlgorithmUnsupported, $"'{algorithm}' cannot be used here: {why}");
}
