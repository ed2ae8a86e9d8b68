using System.Text.Json.Serialization;

namespace Metering.Gateway.Events;

/// <summary>One event of a batch: its status, and its event id or problem code.</summary>
public sealed record BatchItemJson(
    int Index,
    int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? EventId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Code,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail);
