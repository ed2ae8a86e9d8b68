namespace Metering.Gateway.Billing;

/// <summary>The answer (202) to starting a billing run or a re-rating job.</summary>
public sealed record JobStartedJson(Guid Id, string Status);
