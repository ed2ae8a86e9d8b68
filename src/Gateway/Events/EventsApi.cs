using System.Runtime.InteropServices;
using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Events;
using Metering.Grains.Subscriptions;
using Metering.Runtime;
using Metering.Gateway.Operations;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Metering.Gateway.Signing;
using Metering.Grains.Signing;

namespace Metering.Gateway.Events;

public static class EventsApi
{
    public const int MaxBatchEvents = 1000;

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder events = app.MapGroup("/v1/events").RequireApiKey().RequireScope(ApiScopes.Ingest);
        events.MapPost("/", Ingest);
        events.MapPost("/batch", IngestBatch);
        return app;
    }

    private static async Task<IResult> Ingest(HttpContext http, EventIngestor ingestor, TimeProvider time, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        (SubmittedEvent? e, ApiError? invalid) = EventValidator.Validate(body.Root, time.GetUtcNow(), http.Tenant());
        if (e is null)
        {
            return invalid!.ToResult();
        }

        EventResult result = (await ingestor.SubmitAsync(http.Tenant(), [e], ct))[0];
        return result.Status == 201
            ? TypedResults.Json(new { event_id = result.EventId, status = "created" }, Wire.Json, statusCode: 201)
            : result.Error!.ToResult();
    }

    private static async Task<IResult> IngestBatch(HttpContext http, EventIngestor ingestor, SignatureCheck signatures, TimeProvider time, CancellationToken ct)
    {
        (JsonBody? body, ApiError? error) = await JsonBody.ReadAsync(http.Request, ct);
        if (body is null)
        {
            return error!.ToResult();
        }

        if (!JsonBody.TryGetMember(body.Root, "events", out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            return ApiError.Invalid("events", "'events' must be an array of events.").ToResult();
        }

        int count = array.GetArrayLength();
        if (count is 0 or > MaxBatchEvents)
        {
            return new ApiError(400, "TOO_MANY_EVENTS", $"A batch holds 1 to {MaxBatchEvents} events; this one holds {count}.").ToResult();
        }

        (EventSignature? batchSignature, ApiError? badSignature) = BatchSignature(body.Root);
        if (badSignature is not null)
        {
            return badSignature.ToResult();
        }

        DateTimeOffset now = time.GetUtcNow();
        var results = new EventResult[count];
        var valid = new List<SubmittedEvent>(count);
        var validIndex = new List<int>(count);
        int index = 0;
        foreach (JsonElement element in array.EnumerateArray())
        {
            (SubmittedEvent? e, ApiError? invalid) = EventValidator.Validate(element, now, http.Tenant(), batchSignature);
            if (e is null)
            {
                results[index] = new EventResult(invalid!.Status, null, invalid);
            }
            else
            {
                valid.Add(e);
                validIndex.Add(index);
            }

            index++;
        }

        EventResult[] ingested;
        if (batchSignature is null)
        {
            ingested = await ingestor.SubmitAsync(http.Tenant(), valid, ct);
        }
        else
        {
            byte[] signed = BatchSigningInput.Build(http.Tenant(), batchSignature.Nonce, JsonMarshal.GetRawUtf8Value(array));
            if (await signatures.CheckBatchAsync(http.Tenant(), batchSignature, signed, valid, now, ct) is { } refused)
            {
                return refused.ToResult();
            }

            ingested = await ingestor.IngestAsync(http.Tenant(), [.. valid.Select(v => v.Event)]);
        }

        for (int i = 0; i < ingested.Length; i++)
        {
            results[validIndex[i]] = ingested[i];
        }

        return TypedResults.Json(new
        {
            succeeded = results.Count(r => r.Status == 201),
            failed = results.Count(r => r.Status != 201),
            results = results.Select((r, i) => new
            {
                index = i,
                status = r.Status,
                event_id = r.EventId,
                code = r.Error?.Code,
                detail = r.Error?.Detail,
            }),
        }, new JsonSerializerOptions(Wire.Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }, statusCode: 207);
    }

    /// <summary>The batch's own <c>signature</c> (optional), or the problem with it.</summary>
    private static (EventSignature? Signature, ApiError? Error) BatchSignature(JsonElement body)
    {
        if (!JsonBody.TryGetMember(body, "signature", out JsonElement json) || json.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        var errors = new Dictionary<string, string[]>();
        EventSignature? signature = EventValidator.ReadSignature(json, errors);
        return signature is not null ? (signature, null)
            : (null, new ApiError(400, ApiError.Codes.InvalidRequest, string.Join(" ", errors.Values.Select(v => v[0])), errors));
    }
}

public sealed record EventResult(int Status, Guid? EventId, ApiError? Error);

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

    public async Task<EventResult[]> IngestAsync(string tenant, IReadOnlyList<IncomingEvent> events)
    {
        var results = new EventResult[events.Count];
        var bySubscription = new Dictionary<string, (List<IncomingEvent> Events, List<int> Index)>(StringComparer.Ordinal);
        for (int i = 0; i < events.Count; i++)
        {
            string? subscription = await catalog.ResolveSubjectAsync(tenant, events[i].Subject);
            if (subscription is null)
            {
                results[i] = new EventResult(422, null, ApiError.UnknownSubject(events[i].Subject));
                continue;
            }

            if (!bySubscription.TryGetValue(subscription, out var group))
            {
                bySubscription[subscription] = group = ([], []);
            }

            group.Events.Add(events[i]);
            group.Index.Add(i);
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
        metrics.CountEvents(results);
        return results;
    }

    private static EventResult ToResult(IngestOutcome outcome) => outcome.Status switch
    {
        IngestStatus.Created => new EventResult(201, outcome.EventId, null),
        IngestStatus.Duplicate => new EventResult(409, outcome.EventId, new ApiError(409, "DUPLICATE_EVENT",
            "An event with this idempotency key and payload was already accepted.", null, new { event_id = outcome.EventId })),
        IngestStatus.KeyReused => new EventResult(422, outcome.EventId, new ApiError(422, "IDEMPOTENCY_KEY_REUSED",
            "This idempotency key was accepted before with a different payload; the stored event is unchanged.", null, new { event_id = outcome.EventId })),
        IngestStatus.PeriodClosed => new EventResult(409, null, new ApiError(409, "PERIOD_CLOSED", outcome.Detail ?? "The billing period is closed.")),
        _ => new EventResult(503, null, new ApiError(503, "UNAVAILABLE", outcome.Detail ?? "Retry with the same idempotency key.")),
    };
}
