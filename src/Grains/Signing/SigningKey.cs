namespace Metering.Grains.Signing;

/// <summary>A tenant's key for signed events. <see cref="Secret"/> is the HMAC secret (held decrypted in memory only);
/// <see cref="PublicKey"/> the SubjectPublicKeyInfo (DER) of an asymmetric key. <see cref="Subjects"/> are the subjects it
/// may sign for; <c>*</c> stands for every subject.</summary>
public sealed record SigningKey(
    string Id,
    SigningAlgorithm Algorithm,
    IReadOnlyList<string> Subjects,
    byte[]? PublicKey,
    byte[]? Secret,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt)
{
    public const string AnySubject = "*";

    public bool CanSign(string subject) => Subjects.Contains(AnySubject) || Subjects.Contains(subject);
}
