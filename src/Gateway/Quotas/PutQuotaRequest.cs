using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Grains;
using Metering.Grains.Quotas;

namespace Metering.Gateway.Quotas;

/// <summary><c>PUT /v1/subscriptions/{id}/quotas/{meter}</c>: <c>{"limit","period","overflow"?,"refill"?:{"amount","interval"},"thresholds"?:[50,80,100]}</c>.</summary>
public sealed record PutQuotaRequest(QuotaDefinition Definition) : IJsonRequest<PutQuotaRequest>
{
    public static Type Schema => typeof(QuotaDefinitionJson);

    public static PutQuotaRequest? Read(JsonBody body, HttpContext http)
    {
        decimal? limit = body.Decimal("limit", true, min: 0);
        string? periodText = body.String("period", true, 32);
        string? overflowText = body.String("overflow", false, 32);
        JsonBody? refillBody = body.Object("refill", false);
        QuotaPeriod period = QuotaPeriod.None;
        QuotaOverflow overflow = QuotaOverflow.Block;
        if (periodText is not null && !WireName.TryParseWire(periodText, out period))
        {
            body.Fail("period", "'period' must be minute, hour, day, month, billing_period or none.");
        }

        if (overflowText is not null && !WireName.TryParseWire(overflowText, out overflow))
        {
            body.Fail("overflow", "'overflow' must be block or allow_overage.");
        }

        QuotaRefill? refill = null;
        if (refillBody is not null)
        {
            decimal? amount = refillBody.Decimal("amount", true, min: 0);
            RefillInterval interval = RefillInterval.Day;
            string? intervalText = refillBody.String("interval", true, 16, v => WireName.TryParseWire(v, out interval), "'interval' must be day or month.");
            if (periodText is not null && period != QuotaPeriod.None)
            {
                body.Fail("refill", "'refill' applies to credits only (period none).");
            }

            refill = amount is null || intervalText is null ? null : new QuotaRefill(amount.Value, interval);
        }

        IReadOnlyList<decimal>? thresholds = Thresholds(body);
        return body.HasErrors ? null : new PutQuotaRequest(new QuotaDefinition(limit!.Value, period, overflow, refill) { Thresholds = thresholds });
    }

    /// <summary>The optional <c>thresholds</c>: percentages of the limit in (0, 100] at which notifications are sent (at most
    /// ten, each once per window); absent means 50, 80 and 100, an empty list none.</summary>
    private static IReadOnlyList<decimal>? Thresholds(JsonBody body)
    {
        const string Rule = "'thresholds' must be an array of at most 10 percentages, each more than 0 and at most 100.";
        if (!JsonBody.TryGetMember(body.Root, "thresholds", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var thresholds = new List<decimal>();
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > 10)
        {
            body.Fail("thresholds", Rule);
            return null;
        }

        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDecimal(out decimal percent) || percent <= 0 || percent > 100)
            {
                body.Fail("thresholds", Rule);
                return null;
            }

            thresholds.Add(percent);
        }

        return [.. thresholds.Distinct().Order()];
    }
}
