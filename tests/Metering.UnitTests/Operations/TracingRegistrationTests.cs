using Metering.Gateway.Operations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Metering.UnitTests.Operations;

public sealed class TracingRegistrationTests
{
    [Fact]
    public void Traces_are_exported_over_otlp_only_when_an_endpoint_is_configured()
    {
        using ServiceProvider off = new ServiceCollection().AddLogging().AddMeteringTracing(new ConfigurationBuilder().Build()).BuildServiceProvider();
        Assert.Null(off.GetService<TracerProvider>());

        IConfiguration configured = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [Tracing.EndpointVariable] = "http://127.0.0.1:4318" }).Build();
        using ServiceProvider on = new ServiceCollection().AddLogging().AddMeteringTracing(configured).BuildServiceProvider();
        Assert.NotNull(on.GetService<TracerProvider>());
    }
}
