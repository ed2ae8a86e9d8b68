namespace Metering.Gateway.Operations;

/// <summary>The labels of a request's duration: the endpoint's route template (not the path), the method and the status.</summary>
public readonly record struct RequestLabels(string Route, string Method, int Status);
