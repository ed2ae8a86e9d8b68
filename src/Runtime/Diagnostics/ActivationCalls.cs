namespace Metering.Runtime.Diagnostics;

/// <summary>A live activation and the calls it has run since it was activated.</summary>
public sealed record ActivationCalls(GrainId Grain, int Partition, long Calls);
