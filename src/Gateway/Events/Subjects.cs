using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;
using Metering.Silo.Catalog;

namespace Metering.Gateway.Events;

/// <summary>Which subscription an event or a quota call of a subject belongs to: the one holding the subject at that instant.</summary>
public static class Subjects
{
    /// <summary>The subscription holding <paramref name="subject"/> at <paramref name="at"/>; otherwise SUBSCRIPTION_ENDED when a
    /// subscription held it until then, or UNKNOWN_SUBJECT.</summary>
    public static async Task<(string? SubscriptionId, ApiError? Error)> ResolveAsync(CatalogStore catalog, string tenant, string subject, DateTimeOffset at, bool fresh,
        CancellationToken ct)
    {
        SubjectHolds holds = await catalog.ResolveSubjectAsync(tenant, subject, fresh, ct);
        if (holds.HolderAt(at) is { } id)
        {
            return (id, null);
        }

        if (!fresh)
        {
            // Refusals are read again past the cache: another silo may have given the subject to a subscription since.
            return await ResolveAsync(catalog, tenant, subject, at, fresh: true, ct);
        }

        // A hold that ended before: the subscription ended, or the subject was taken from it.
        return holds.EndedBefore(at) is { } ended && await catalog.GetSubscriptionAsync(tenant, ended, ct) is { } last && last.HasEndedBy(at)
            ? (null, ApiError.SubscriptionEnded(ended))
            : (null, ApiError.UnknownSubject(subject));
    }
}
