using Microsoft.Extensions.Logging;
using Metering.Runtime;
using Metering.Silo.Webhooks;

namespace Metering.Silo.Billing;

public sealed class ReratingOptions
{
    /// <summary>How long a job stays pending before it runs (lets other work settle; tests use it to observe the pending state).</summary>
    public TimeSpan StartDelay { get; set; } = TimeSpan.Zero;
}
