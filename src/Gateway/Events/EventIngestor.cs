using System.Runtime.InteropServices;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Events;
using Metering.Grains.Subscriptions;
using Metering.Runtime;
using Metering.Gateway.Operations;
using Metering.Silo.Catalog;
using Metering.Gateway.Signing;
using Metering.Grains.Signing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Events;

/// <summary>Resolves subjects to subscriptions and hands each subscription's events to its grain in one call.</summary>
public sealed class EventIngestor(CatalogStore catalog, IGrainFactory grains, GatewayMetrics metrics, SignatureCheck signatures)
{
    /// <summary>Checks the events' signatures as the tenant's policy asks, then ingests those that pass.</summary>
    public async Task<EventResult[]> SubmitAsync(string tenant, IReadOnlyList<SubmittedEvent> events, CancellationToken cancellationToken)
    {
        ApiError?[] problems = await signatures.CheckAsync(tenant, events, cancellationToken);
        var results = new EventResult[events.Count];
        var passed = new List<IncomingEvent>(events.Count);
        var passedIndex = new List<int>(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            if (problems[i] is { } problem)
            {
                results[i] = new EventResult(problem.Status, null, problem);
            }
            else
            {
                passed.Add(events[i].Event);
                passedIndex.Add(i);
            }
        }

        EventResult[] ingested = await IngestAsync(tenant, passed);
        for (int i = 0; i < ingested.Length; i++)
        {
            results[passedIndex[i]] = ingested[i];
        }

        return results;
    }

    /// <summary>Sends each event to the subscription holding its subject at the event's time. This silo's view of subjects may be
    /// older than another silo's cancel: an event a subscription refuses as ended is routed once more on a fresh view.</summary>
    public async Task<EventResult[]> IngestAsync(string tenant, IReadOnlyList<IncomingEvent> events)
    {
        var results = new EventResult[events.Count];
        Dictionary<int, string> routed = await RouteAsync(tenant, events, Enumerable.Range(0, events.Count), fresh: false, results);
        List<int> ended = routed.Keys.Where(i => results[i].Error?.Code is ApiError.Codes.SubscriptionEnded or ApiError.Codes.UnknownSubject).ToList();
        if (ended.Count > 0)
        {
            var again = new EventResult[events.Count];
            Dictionary<int, string> rerouted = await RouteAsync(tenant, events, ended, fresh: true, again, skip: routed);
            foreach (int i in ended.Where(i => again[i] is not null && (rerouted.ContainsKey(i) || again[i].Status != 409)))
            {
                results[i] = again[i];
            }
        }

        metrics.CountEvents(results);
        return results;
    }

    /// <summary>Resolves and ingests the events at <paramref name="indexes"/> into <paramref name="results"/>; returns the subscription
    /// each one was sent to. With <paramref name="skip"/>, an event that resolves to the subscription it was sent to before is not sent again.</summary>
    private async Task<Dictionary<int, string>> RouteAsync(string tenant, IReadOnlyList<IncomingEvent> events, IEnumerable<int> indexes, bool fresh, EventResult[] results,
        Dictionary<int, string>? skip = null)
    {
        var sentTo = new Dictionary<int, string>();
        var bySubscription = new Dictionary<string, (List<IncomingEvent> Events, List<int> Index)>(StringComparer.Ordinal);
        foreach (int i in indexes)
        {
            (string? subscription, ApiError? unresolved) = await Subjects.ResolveAsync(catalog, tenant, events[i].Subject, events[i].Timestamp, fresh, CancellationToken.None);
            if (subscription is null)
            {
                results[i] = new EventResult(unresolved!.Status, null, unresolved);
                continue;
            }

            if (skip is not null && skip.GetValueOrDefault(i) == subscription)
            {
                continue;
            }

            if (!bySubscription.TryGetValue(subscription, out var group))
            {
                bySubscription[subscription] = group = ([], []);
            }

            group.Events.Add(events[i]);
            group.Index.Add(i);
            sentTo[i] = subscription;
        }

        await Task.WhenAll(bySubscription.Select(async pair =>
        {
            IngestOutcome[] outcomes;
            try
            {
                outcomes = await grains.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, pair.Key)).IngestAsync(pair.Value.Events);
            }
            catch (Exception ex)
            {
                outcomes = pair.Value.Events.Select(_ => IngestOutcome.Failed($"The subscription could not take events: {ex.GetBaseException().Message}. Retry with the same idempotency key.")).ToArray();
            }

            for (int j = 0; j < outcomes.Length; j++)
            {
                results[pair.Value.Index[j]] = ToResult(outcomes[j]);
            }
        }));
        return sentTo;
    }

    private static EventResult ToResult(IngestOutcome outcome) => outcome.Status switch
    {
        IngestStatus.Created => new EventResult(201, outcome.EventId, null),
        IngestStatus.Duplicate => new EventResult(409, outcome.EventId, new ApiError(409, ApiError.Codes.DuplicateEvent,
            "An event with this idempotency key and payload was already accepted.", null, new { event_id = outcome.EventId })),
        IngestStatus.KeyReused => new EventResult(422, outcome.EventId, new ApiError(422, ApiError.Codes.IdempotencyKeyReused,
            "This idempotency key was accepted before with a different payload; the stored event is unchanged.", null, new { event_id = outcome.EventId })),
        IngestStatus.PeriodClosed => new EventResult(409, null, new ApiError(409, ApiError.Codes.PeriodClosed, outcome.Detail ?? "The billing period is closed.")),
        IngestStatus.SubjectNotHeld => new EventResult(422, null, new ApiError(422, ApiError.Codes.UnknownSubject, outcome.Detail ?? "No subscription held the subject then.")),
        IngestStatus.SubscriptionEnded => new EventResult(409, null, new ApiError(409, ApiError.Codes.SubscriptionEnded, outcome.Detail ?? "The subscription has ended.")),
        _ => new EventResult(503, null, new ApiError(503, ApiError.Codes.Unavailable, outcome.Detail ?? "Retry with the same idempotency key.")),
    };
}
