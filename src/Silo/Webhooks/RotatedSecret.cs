namespace Metering.Silo.Webhooks;

/// <summary>A new secret, shown once; the previous one keeps signing until <see cref="PreviousExpiresAt"/> (null: not at all).</summary>
public sealed record RotatedSecret(string Secret, DateTimeOffset? PreviousExpiresAt);
