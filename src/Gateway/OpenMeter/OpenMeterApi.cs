using System.Text.Json;
using Metering.Gateway.Events;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;
using Metering.Grains.Usage;
using Metering.Silo.ApiKeys;
using Metering.Silo.Catalog;
using Metering.Silo.Usage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace Metering.Gateway.OpenMeter;

/// <summary>OpenMeter's API (<c>/api/v1</c>) over Metering, for clients written against OpenMeter: CloudEvents ingest,
/// meters, and meter queries. The same Bearer keys and scopes as <c>/v1</c>; problems are <c>application/problem+json</c>,
/// whose <c>title</c> and <c>detail</c> OpenMeter's SDK reports.</summary>
public static class OpenMeterApi
{
    public static IEndpointRouteBuilder MapOpenMeterApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/api/v1").RequireApiKey();
        api.MapPost("/events", Ingest).RequireScope(ApiScopes.Ingest)
            // Described as a batch; the content type is judged by the handler (a charset is allowed), not by routing.
            .WithMetadata(new AcceptsMetadata([], typeof(CloudEventJson[])));
        api.MapGet("/meters", ListMeters).RequireScope(ApiScopes.Read);
        api.MapPost("/meters", CreateMeter).RequireScope(ApiScopes.Manage);
        api.MapGet("/meters/{idOrSlug}", GetMeter).RequireScope(ApiScopes.Read);
        api.MapGet("/meters/{idOrSlug}/query", (string idOrSlug, [AsParameters] MeterQueryParameters parameters, HttpContext http, CatalogStore catalog,
            MinuteUsageReader reader, CancellationToken ct) => QueryAsync(idOrSlug, parameters.ToRequest(http.Request.Query), http, catalog, reader, ct)).RequireScope(ApiScopes.Read);
        api.MapPost("/meters/{idOrSlug}/query", QueryByBody).RequireScope(ApiScopes.Read);
        return app;
    }

    /// <summary>Events are judged as a whole, as OpenMeter judges a request: one invalid event, or one whose subject no
    /// subscription holds, refuses the request and stores nothing. Valid events are then stored exactly once (a duplicate,
    /// same key and payload, is dropped silently, as OpenMeter does); 204 means every event is durable.</summary>
    private static async Task<Results<NoContent, ApiProblem>> Ingest(HttpContext http, EventIngestor ingestor, CatalogStore catalog, TimeProvider time,
        CancellationToken ct)
    {
        (JsonElement? body, ApiError? unreadable) = await JsonBody.ReadJsonAsync(http.Request, ct);
        if (body is not { } json)
        {
            return unreadable!.ToProblem();
        }

        (JsonElement[]? items, ApiError? misshapen) = CloudEvents.Split(http.Request.ContentType, json);
        if (items is null)
        {
            return misshapen!.ToProblem();
        }

        if (items.Length is 0 or > EventsApi.MaxBatchEvents)
        {
            return new ApiError(400, ApiError.Codes.TooManyEvents, $"A request holds 1 to {EventsApi.MaxBatchEvents} events; this one holds {items.Length}.").ToProblem();
        }

        string tenant = http.Tenant();
        DateTimeOffset now = time.GetUtcNow();
        var events = new List<SubmittedEvent>(items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            (SubmittedEvent? e, ApiError? invalid) = CloudEvents.Read(items[i], i, now, tenant);
            if (e is null)
            {
                return invalid!.ToProblem();
            }

            events.Add(e);
        }

        if (await FindUnheldSubjectAsync(tenant, events, catalog, ct) is { } unheld)
        {
            return unheld.ToProblem();
        }

        EventResult[] results = await ingestor.SubmitAsync(tenant, events, ct);
        int failed = Array.FindIndex(results, r => r.Status is not (201 or 409) || (r.Status == 409 && r.Error?.Code != ApiError.Codes.DuplicateEvent));
        return failed < 0 ? TypedResults.NoContent() : CloudEvents.Named(results[failed].Error!, failed).ToProblem();
    }

    /// <summary>The problem naming the first subject no subscription ever held: such an event is refused, never dropped (one
    /// held at other times meets the ingest path's per-timestamp answer, e.g. 409 SUBSCRIPTION_ENDED).</summary>
    private static async Task<ApiError?> FindUnheldSubjectAsync(string tenant, List<SubmittedEvent> events, CatalogStore catalog, CancellationToken ct)
    {
        var held = new Dictionary<string, bool>(StringComparer.Ordinal);
        for (int i = 0; i < events.Count; i++)
        {
            string subject = events[i].Event.Subject;
            if (!held.TryGetValue(subject, out bool isHeld))
            {
                held[subject] = isHeld = (await catalog.ResolveSubjectAsync(tenant, subject, cancellationToken: ct)).Holds.Count > 0;
            }

            if (!isHeld)
            {
                ApiError unknown = ApiError.UnknownSubject(subject);
                return CloudEvents.Named(unknown with { Errors = new Dictionary<string, string[]> { ["subject"] = [unknown.Detail] } }, i);
            }
        }

        return null;
    }

    private static async Task<Ok<List<OpenMeterMeterJson>>> ListMeters(HttpContext http, CatalogStore catalog, CancellationToken ct)
        => TypedResults.Ok((await catalog.GetMetersAsync(http.Tenant(), ct)).Meters.Select(OpenMeterMeterJson.Of).ToList());

    private static async Task<Results<Ok<OpenMeterMeterJson>, ApiProblem>> GetMeter(string idOrSlug, HttpContext http, CatalogStore catalog, CancellationToken ct)
        => (await catalog.GetMetersAsync(http.Tenant(), ct)).Find(idOrSlug) is { } meter
            ? TypedResults.Ok(OpenMeterMeterJson.Of(meter))
            : ApiError.NotFound($"Meter '{idOrSlug}'").ToProblem();

    private static async Task<Results<Created<OpenMeterMeterJson>, ApiProblem>> CreateMeter(JsonRequest<CreateOpenMeterMeterRequest> request, HttpContext http,
        CatalogStore catalog, CancellationToken ct)
    {
        if (!request.TryGet(out CreateOpenMeterMeterRequest? r, out ApiProblem? problem))
        {
            return problem;
        }

        Meter meter = r.ToMeter(catalog.Now);
        return await catalog.CreateMeterAsync(http.Tenant(), meter, ct) == CreateResult.Created
            ? TypedResults.Created((string?)null, OpenMeterMeterJson.Of(meter))
            : new ApiError(409, ApiError.Codes.AlreadyExists, $"Meter '{r.Slug}' exists.").ToProblem();
    }

    private static async Task<Results<Ok<MeterQueryResultJson>, ApiProblem>> QueryByBody(string idOrSlug, JsonRequest<MeterQueryRequest> request, HttpContext http,
        CatalogStore catalog, MinuteUsageReader reader, CancellationToken ct)
        => request.TryGet(out MeterQueryRequest? r, out ApiProblem? problem) ? await QueryAsync(idOrSlug, r, http, catalog, reader, ct) : problem;

    /// <summary>Reads the meter's events over the range from the event log (exact on any minute, by subject across
    /// subscriptions) and aggregates them per window and group.</summary>
    private static async Task<Results<Ok<MeterQueryResultJson>, ApiProblem>> QueryAsync(string idOrSlug, MeterQueryRequest request, HttpContext http,
        CatalogStore catalog, MinuteUsageReader reader, CancellationToken ct)
    {
        string tenant = http.Tenant();
        Meter? meter = (await catalog.GetMetersAsync(tenant, ct)).Find(idOrSlug);
        if (meter is null)
        {
            return ApiError.NotFound($"Meter '{idOrSlug}'").ToProblem();
        }

        (MeterQuery? query, ApiError? invalid) = request.Resolve(meter, catalog.Now);
        if (query is null)
        {
            return invalid!.ToProblem();
        }

        IReadOnlyList<SubjectCell> cells = await reader.ReadAsync(tenant, meter, query.From, query.To, null, query.Subjects, ct);
        IReadOnlyList<MeterQueryRow> rows = MeterQueryCalculator.Build(meter, query, cells);
        return TypedResults.Ok(new MeterQueryResultJson(Wire.Time(query.From), Wire.Time(query.To), request.WindowSize,
            [.. rows.Select(MeterQueryRowJson.Of)]));
    }
}
