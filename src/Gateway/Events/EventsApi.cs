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
using Microsoft.AspNetCore.Http.HttpResults;

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

    private static async Task<Results<Created<EventCreatedJson>, ApiProblem>> Ingest(JsonRequest<EventBody> request, HttpContext http, EventIngestor ingestor,
        TimeProvider time, CancellationToken ct)
    {
        if (!request.TryGet(out EventBody? body, out ApiProblem? problem))
        {
            return problem;
        }

        (SubmittedEvent? e, ApiError? invalid) = EventValidator.Validate(body.Json, time.GetUtcNow(), http.Tenant());
        if (e is null)
        {
            return invalid!.ToProblem();
        }

        EventResult result = (await ingestor.SubmitAsync(http.Tenant(), [e], ct))[0];
        return result.Status == 201
            ? TypedResults.Created((string?)null, new EventCreatedJson(result.EventId, "created"))
            : result.Error!.ToProblem();
    }

    private static async Task<Results<MultiStatus<BatchResultJson>, ApiProblem>> IngestBatch(JsonRequest<EventBatchBody> request, HttpContext http,
        EventIngestor ingestor, SignatureCheck signatures, TimeProvider time, CancellationToken ct)
    {
        if (!request.TryGet(out EventBatchBody? body, out ApiProblem? problem))
        {
            return problem;
        }

        int count = body.Events.GetArrayLength();
        if (count is 0 or > MaxBatchEvents)
        {
            return new ApiError(400, ApiError.Codes.TooManyEvents, $"A batch holds 1 to {MaxBatchEvents} events; this one holds {count}.").ToProblem();
        }

        DateTimeOffset now = time.GetUtcNow();
        (EventResult[] results, List<SubmittedEvent> valid, List<int> validIndex) = ValidateAll(body, now, http.Tenant());
        EventResult[] ingested;
        if (body.Signature is null)
        {
            ingested = await ingestor.SubmitAsync(http.Tenant(), valid, ct);
        }
        else
        {
            byte[] signed = BatchSigningInput.Build(http.Tenant(), body.Signature.Nonce, JsonMarshal.GetRawUtf8Value(body.Events));
            if (await signatures.CheckBatchAsync(http.Tenant(), body.Signature, signed, valid, now, ct) is { } refused)
            {
                return refused.ToProblem();
            }

            ingested = await ingestor.IngestAsync(http.Tenant(), [.. valid.Select(v => v.Event)]);
        }

        for (int i = 0; i < ingested.Length; i++)
        {
            results[validIndex[i]] = ingested[i];
        }

        return new MultiStatus<BatchResultJson>(new BatchResultJson(
            results.Count(r => r.Status == 201),
            results.Count(r => r.Status != 201),
            [.. results.Select((r, i) => new BatchItemJson(i, r.Status, r.EventId, r.Error?.Code, r.Error?.Detail))]));
    }

    /// <summary>Validates each event of the batch: the results of the invalid ones (the others' are filled in once ingested),
    /// the valid ones, and where each valid one stands in the batch.</summary>
    private static (EventResult[] Results, List<SubmittedEvent> Valid, List<int> ValidIndex) ValidateAll(EventBatchBody body, DateTimeOffset now, string tenant)
    {
        var results = new EventResult[body.Events.GetArrayLength()];
        var valid = new List<SubmittedEvent>(results.Length);
        var validIndex = new List<int>(results.Length);
        int index = 0;
        foreach (JsonElement element in body.Events.EnumerateArray())
        {
            (SubmittedEvent? e, ApiError? invalid) = EventValidator.Validate(element, now, tenant, body.Signature);
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

        return (results, valid, validIndex);
    }
}
