using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Metering.Client;

/// <summary>The answer of a consume: whether it was allowed and recorded, and what remains.</summary>
public sealed record ConsumeDecision(bool Allowed, decimal QuotaRemaining, string? DenialReason, decimal? Overage);
