using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Metering.Gateway.Events;
using Metering.Gateway.Infrastructure;
using Metering.Grains.Catalog;
using Metering.Silo.Catalog;
using Metering.Silo.Events;

namespace Metering.Gateway.Lago;

/// <summary>Lago's events turned into Metering's: <c>code</c> names the meter (its event type is the event's),
/// <c>external_subscription_id</c> the subscription (the event is sent as its first subject, so it is counted there), and the
/// idempotency key holds the subscription and <c>transaction_id</c>. Every event is judged before any is stored: one bad
/// event, or a transaction id already taken, refuses the whole request, as Lago refuses a batch.</summary>
public sealed class LagoIngest(CatalogStore catalog, EventIngestor ingestor, PostgresEventLog log, TimeProvider time)
{
    public async Task<(IReadOnlyList<LagoEventJson>? Events, LagoError? Error)> SubmitAsync(string tenant, IReadOnlyList<JsonElement> items, bool single,
        CancellationToken ct)
    {
        DateTimeOffset now = time.GetUtcNow();
        TenantMeters meters = await catalog.GetMetersAsync(tenant, ct);
        var details = new Dictionary<string, object>(StringComparer.Ordinal);
        var accepted = new List<(LagoEventInput Input, Subscription Subscription, Meter Meter, SubmittedEvent Event)>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            (LagoEventInput? input, Dictionary<string, string[]>? errors) = LagoEventInput.Read(items[i]);
            Subscription? subscription = input is null ? null : await catalog.GetSubscriptionAsync(tenant, input.ExternalSubscriptionId, ct);
            if (input is not null && subscription is null && single)
            {
                return (null, LagoError.NotFound(LagoError.Codes.SubscriptionNotFound));
            }

            Meter? meter = input is null ? null : meters.Find(input.Code);
            errors ??= Refusals(subscription, meter);
            SubmittedEvent? submitted = null;
            if (errors is null)
            {
                (submitted, ApiError? invalid) = EventValidator.Validate(AsEvent(input!, subscription!, meter!), now, tenant);
                errors = invalid is null ? null : new() { [Field(invalid)] = [invalid.Detail] };
            }

            if (errors is not null)
            {
                Report(details, i, single, errors);
                continue;
            }

            accepted.Add((input!, subscription!, meter!, submitted!));
        }

        if (details.Count == 0)
        {
            ReportTaken(details, single, accepted.Select(a => a.Event.Event.IdempotencyKey).ToList(), await log.TakenKeysAsync(tenant, [.. accepted.Select(a => a.Event.Event.IdempotencyKey)], ct));
        }

        if (details.Count > 0)
        {
            return (null, LagoError.Validation(details));
        }

        EventResult[] results = await ingestor.SubmitAsync(tenant, [.. accepted.Select(a => a.Event)], ct);
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Status != 201)
            {
                bool duplicate = results[i].Error?.Code is ApiError.Codes.DuplicateEvent or ApiError.Codes.IdempotencyKeyReused;
                Report(details, i, single, new() { [duplicate ? "transaction_id" : "event"] = [duplicate ? LagoError.Details.ValueAlreadyExist : results[i].Error?.Detail ?? ""] });
            }
        }

        return details.Count > 0
            ? (null, LagoError.Validation(details))
            : ([.. accepted.Select((a, i) => Json(a.Input, a.Subscription, a.Event, results[i].EventId, now))], null);
    }

    private static Dictionary<string, string[]>? Refusals(Subscription? subscription, Meter? meter)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (subscription is null)
        {
            errors["external_subscription_id"] = [LagoError.Details.SubscriptionNotFound];
        }

        if (meter is null)
        {
            errors["code"] = [LagoError.Details.MetricNotFound];
        }

        return errors.Count > 0 ? errors : null;
    }

    /// <summary>Keys already stored, or sent twice in this request, refuse it: Lago answers a transaction id it holds with
    /// <c>value_already_exist</c>.</summary>
    private static void ReportTaken(Dictionary<string, object> details, bool single, List<string> keys, IReadOnlySet<string> taken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Count; i++)
        {
            if (taken.Contains(keys[i]) || !seen.Add(keys[i]))
            {
                Report(details, i, single, new() { ["transaction_id"] = [LagoError.Details.ValueAlreadyExist] });
            }
        }
    }

    /// <summary>A single event's errors are the details; a batch's are keyed by the event's index.</summary>
    private static void Report(Dictionary<string, object> details, int index, bool single, Dictionary<string, string[]> errors)
    {
        if (single)
        {
            foreach ((string field, string[] messages) in errors)
            {
                details[field] = messages;
            }
        }
        else
        {
            details[index.ToString(System.Globalization.CultureInfo.InvariantCulture)] = errors;
        }
    }

    /// <summary>Lago's name of the field a Metering problem is about.</summary>
    private static string Field(ApiError error)
    {
        string? ours = error.Errors?.Keys.FirstOrDefault();
        return ours switch
        {
            null => "event",
            "timestamp" => "timestamp",
            "idempotency_key" => "transaction_id",
            _ when ours.StartsWith("properties", StringComparison.Ordinal) => ours,
            _ => "event",
        };
    }

    private static JsonElement AsEvent(LagoEventInput input, Subscription subscription, Meter meter)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("idempotency_key", input.IdempotencyKey);
            writer.WriteString("subject", subscription.Subjects[0]);
            writer.WriteString("event_type", meter.EventType);
            if (input.Timestamp is { } timestamp)
            {
                writer.WriteString("timestamp", Wire.Time(timestamp));
            }

            if (input.Properties is { } properties)
            {
                writer.WritePropertyName("properties");
                writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(properties), skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static LagoEventJson Json(LagoEventInput input, Subscription subscription, SubmittedEvent e, Guid? eventId, DateTimeOffset now)
    {
        using JsonDocument properties = JsonDocument.Parse(e.Event.PropertiesJson);
        return new LagoEventJson(eventId, input.TransactionId, subscription.CustomerId, input.Code, Wire.Time(e.Event.Timestamp), properties.RootElement.Clone(),
            subscription.Id, subscription.Id, Wire.Time(now));
    }
}
