namespace Metering.Cli.Events;

/// <summary>The formats <c>metering events send</c> reads.</summary>
public enum EventFormat
{
    /// <summary>By the file: <c>.csv</c> is CSV, a file starting with <c>[</c> a JSON array, else NDJSON; CloudEvents are
    /// recognised per event by their <c>specversion</c>.</summary>
    Auto,
    Ndjson,
    Json,
    Csv,
}
