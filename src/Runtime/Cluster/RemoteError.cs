namespace Metering.Runtime;

/// <summary>An exception a grain threw on another silo, as it travels back.</summary>
internal sealed record RemoteError(string Type, string Message);
