namespace Metering.Grains.Webhooks;

/// <summary>The wire names of notification types: dotted, as Stripe's and Lago's (<c>invoice.finalized</c>).</summary>
public static class NotificationTypes
{
    private static readonly Dictionary<string, NotificationType> s_byName = Enum.GetValues<NotificationType>().ToDictionary(Name, t => t, StringComparer.Ordinal);

    /// <summary>Every wire name, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<NotificationType>().Select(Name)];

    public static string Name(NotificationType type) => type switch
    {
        NotificationType.QuotaThresholdReached => "quota.threshold_reached",
        NotificationType.QuotaExhausted => "quota.exhausted",
        NotificationType.CreditsLow => "credits.low",
        NotificationType.InvoiceCreated => "invoice.created",
        NotificationType.InvoiceFinalized => "invoice.finalized",
        NotificationType.InvoiceVoided => "invoice.voided",
        NotificationType.BillingRunCompleted => "billing_run.completed",
        NotificationType.ReratingCompleted => "rerating.completed",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(string? name, out NotificationType type)
    {
        type = default;
        return name is not null && s_byName.TryGetValue(name, out type);
    }
}
