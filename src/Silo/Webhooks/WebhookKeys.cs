namespace Metering.Silo.Webhooks;

/// <summary>The HMAC keys of an endpoint: its secret's, and the previous secret's until <see cref="PreviousUntil"/> (the grace
/// of a rotation).</summary>
public sealed record WebhookKeys(byte[] Current, byte[]? Previous, DateTimeOffset? PreviousUntil)
{
    /// <summary>The keys that sign at <paramref name="now"/>: the current one first.</summary>
    public IReadOnlyList<byte[]> At(DateTimeOffset now)
        => Previous is { } previous && PreviousUntil is { } until && now < until ? [Current, previous] : [Current];
}
