using Metering.Gateway.Infrastructure;

namespace Metering.Gateway.Signing;

/// <summary>The problems of signed events and signing keys, with their stable codes.</summary>
public static class SignatureProblems
{
    public const string Invalid = "SIGNATURE_INVALID";
    public const string Required = "SIGNATURE_REQUIRED";
    public const string SubjectMismatch = "SIGNATURE_SUBJECT_MISMATCH";
    public const string NonceReused = "NONCE_REUSED";
    public const string AlgorithmUnsupported = "SIGNATURE_ALGORITHM_UNSUPPORTED";

    public static readonly IReadOnlyDictionary<string, string> Titles = new Dictionary<string, string>
    {
        [Invalid] = "Invalid signature",
        [Required] = "Signature required",
        [SubjectMismatch] = "Key not registered for the subject",
        [NonceReused] = "Nonce reused",
        [AlgorithmUnsupported] = "Signature algorithm unsupported",
    };

    public static ApiError InvalidSignature(string detail) => new(401, Invalid, detail);

    public static ApiError SignatureRequired() => new(401, Required, "This tenant requires every event to be signed: add 'signature' {key_id, algorithm, value, nonce}.");

    public static ApiError NotForSubject(string keyId, string subject) => new(403, SubjectMismatch, $"Signing key '{keyId}' is not registered for subject '{subject}'.");

    public static ApiError Replayed(string keyId) => new(409, NonceReused, $"This nonce was already used with key '{keyId}' by another event; sign each event with a new nonce.");

    public static ApiError Unsupported(string algorithm, string why) => new(422, AlgorithmUnsupported, $"'{algorithm}' cannot be used here: {why}");
}
