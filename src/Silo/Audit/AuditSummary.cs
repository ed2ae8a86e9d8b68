using System.Collections.Concurrent;
using System.Text.Json;
using Metering.Grains.Audit;

namespace Metering.Silo.Audit;

/// <summary>Audits what can come in floods (rejected signatures) as at most one entry per tenant,
/// action and actor per minute: the first occurrence of a minute is written at once, carrying how many of the same were
/// left out since the last entry (<c>"suppressed"</c>).</summary>
public sealed class AuditSummary(IAuditLog audit, TimeProvider time)
{
    private static readonly TimeSpan s_window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<(string Tenant, string Action, string Actor), Window> _windows = new();

    public void Record(string tenantId, string action, string actor, string? subject, IReadOnlyDictionary<string, string> details)
    {
        DateTimeOffset now = time.GetUtcNow();
        Window window = _windows.GetOrAdd((tenantId, action, actor), _ => new Window());
        long suppressed;
        lock (window)
        {
            if (window.Started is { } started && now - started < s_window)
            {
                window.Suppressed++;
                return;
            }

            suppressed = window.Suppressed;
            window.Started = now;
            window.Suppressed = 0;
        }

        var body = new Dictionary<string, string>(details) { ["suppressed"] = suppressed.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        audit.Record(new AuditEntry(tenantId, now, action, actor, subject, JsonSerializer.Serialize(body)));
    }

    private sealed class Window
    {
        public DateTimeOffset? Started { get; set; }

        public long Suppressed { get; set; }
    }
}
