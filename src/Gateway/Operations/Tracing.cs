using Metering.Runtime.Diagnostics;
using Metering.Silo.Events;
using OpenTelemetry.Trace;

namespace Metering.Gateway.Operations;

/// <summary>Traces over OpenTelemetry: when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the OTLP exporter also reads
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c> and the other standard variables), every HTTP request's span
/// (ASP.NET Core's own), the grain turns it causes (also on the silo a call is forwarded to: the internal call carries
/// <c>traceparent</c>) and the event log's append and group commit are exported. Without it nothing is sampled.</summary>
public static class Tracing
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The sources of one event's trace, from the HTTP request to the commit.</summary>
    public static readonly string[] Sources = ["Microsoft.AspNetCore", "System.Net.Http", RuntimeTracing.SourceName, EventLogTracing.SourceName];

    public static IServiceCollection AddMeteringTracing(this IServiceCollection services, IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(configuration[EndpointVariable]))
        {
            services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(Sources).AddOtlpExporter());
        }

        return services;
    }
}
