namespace Metering.Grains.Quotas;

/// <summary>An authorization request: consume <see cref="Amount"/> for <see cref="Subject"/>, once per idempotency key.</summary>
public sealed record ConsumeRequest(string Subject, decimal Amount, string IdempotencyKey);
