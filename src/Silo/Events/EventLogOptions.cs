using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Metering.Runtime;
using Microsoft.Extensions.Logging;
using NpgsqlTypes;

namespace Metering.Silo.Events;

/// <summary>Settings of the group-commit writer.</summary>
public sealed class EventLogOptions
{
    /// <summary>Writer lanes; a partition always uses the same lane, so a subscription's appends commit in order.</summary>
    public int Lanes { get; set; } = 2;

    /// <summary>The most events one transaction carries.</summary>
    public int MaxBatchEvents { get; set; } = 8000;
}
