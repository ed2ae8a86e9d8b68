namespace Metering.Gateway.Events;

/// <summary>The answer to a batch (207): how many events were created and the fate of each, by index.</summary>
public sealed record BatchResultJson(int Succeeded, int Failed, IReadOnlyList<BatchItemJson> Results);
