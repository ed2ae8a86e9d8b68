using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Metering.Client;

/// <summary>The answer of a quota check.</summary>
public sealed record QuotaCheck(bool Allowed, string? Reason, decimal Limit, decimal Used, decimal Remaining, decimal? Overage, DateTimeOffset? ResetsAt);
