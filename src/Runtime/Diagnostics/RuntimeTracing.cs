using System.Diagnostics;

namespace Metering.Runtime.Diagnostics;

/// <summary>The runtime's spans: a grain turn (<c>grain {interface}.{method}</c>), a child of whatever started the call (an HTTP
/// request, another grain's turn, or a forwarded call whose <c>traceparent</c> came with it). Silent unless a listener (an
/// OpenTelemetry tracer provider) samples them.</summary>
public static class RuntimeTracing
{
    public const string SourceName = "Metering.Runtime";

    public static readonly ActivitySource Source = new(SourceName);
}
