using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Metering.Silo.Usage;

public sealed class RollupOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);
}
