using System.Text.Json;
using Metering.Grains.Usage;

namespace Metering.Grains.Pricing;

/// <summary>The charge models as pure functions of a quantity (and, for percentage, the number of events).</summary>
public static class ChargeModels
{
    public static Charge Price(PriceSpec spec, decimal quantity, long events = 0)
    {
        switch (spec.Model)
        {
            case ChargeModel.Flat:
                return new Charge(spec.Amount, [new ChargeLine(0, null, quantity, 0, spec.Amount, spec.Amount)]);
            case ChargeModel.PerUnit:
                decimal perUnit = quantity * spec.UnitPrice;
                return new Charge(perUnit, [new ChargeLine(0, null, quantity, spec.UnitPrice, 0, perUnit)]);
            case ChargeModel.Graduated:
                return Graduated(spec.Tiers!, quantity);
            case ChargeModel.Volume:
                return Volume(spec.Tiers!, quantity);
            case ChargeModel.Package:
                return Package(spec, quantity);
            default:
                return Percentage(spec, quantity, events);
        }
    }

    private static Charge Graduated(IReadOnlyList<PriceTier> tiers, decimal quantity)
    {
        var lines = new List<ChargeLine>();
        decimal previous = 0, total = 0;
        for (int i = 0; i < tiers.Count; i++)
        {
            PriceTier tier = tiers[i];
            // A tier's flat fee is due once the quantity reaches into it; the first tier's always.
            if (i > 0 && quantity <= previous)
            {
                break;
            }

            decimal units = Math.Max(Math.Min(quantity, tier.UpTo ?? decimal.MaxValue) - previous, 0);
            decimal amount = (units * tier.UnitPrice) + tier.FlatFee;
            lines.Add(new ChargeLine(previous, tier.UpTo, units, tier.UnitPrice, tier.FlatFee, amount));
            total += amount;
            // Not a pattern variable: Stryker's mutants of one would not compile, and it would skip this whole method.
            if (tier.UpTo is null)
            {
                break;
            }

            previous = tier.UpTo.Value;
        }

        return new Charge(total, lines);
    }

    private static Charge Volume(IReadOnlyList<PriceTier> tiers, decimal quantity)
    {
        decimal previous = 0;
        foreach (PriceTier tier in tiers)
        {
            if (tier.UpTo is null || quantity <= tier.UpTo)
            {
                decimal amount = (quantity * tier.UnitPrice) + tier.FlatFee;
                return new Charge(amount, [new ChargeLine(previous, tier.UpTo, quantity, tier.UnitPrice, tier.FlatFee, amount)]);
            }

            previous = tier.UpTo.Value;
        }

        throw new InvalidOperationException("The last tier must have no upper bound.");
    }

    private static Charge Package(PriceSpec spec, decimal quantity)
    {
        decimal billable = Math.Max(quantity - spec.FreeUnits, 0);
        if (spec.OverageUnitPrice is not { } overagePrice)
        {
            decimal packages = Math.Ceiling(billable / spec.PackageSize);
            decimal amount = packages * spec.PackagePrice;
            return new Charge(amount, [new ChargeLine(spec.FreeUnits, null, billable, 0, amount, amount)]);
        }

        if (billable == 0)
        {
            return new Charge(0, [new ChargeLine(spec.FreeUnits, spec.FreeUnits + spec.PackageSize, 0, 0, spec.PackagePrice, 0)]);
        }

        decimal included = Math.Min(billable, spec.PackageSize);
        decimal overUnits = Math.Max(billable - spec.PackageSize, 0);
        var lines = new List<ChargeLine> { new(spec.FreeUnits, spec.FreeUnits + spec.PackageSize, included, 0, spec.PackagePrice, spec.PackagePrice) };
        if (overUnits > 0)
        {
            lines.Add(new ChargeLine(spec.FreeUnits + spec.PackageSize, null, overUnits, overagePrice, 0, overUnits * overagePrice));
        }

        return new Charge(spec.PackagePrice + (overUnits * overagePrice), lines);
    }

    private static Charge Percentage(PriceSpec spec, decimal quantity, long events)
    {
        decimal billable = Math.Max(quantity - spec.FreeUnits, 0);
        decimal percent = billable * spec.Rate / 100;
        long billableEvents = Math.Max(events - spec.FreeEvents, 0);
        decimal fees = billableEvents * spec.FixedFeePerEvent;
        return new Charge(percent + fees,
        [
            new ChargeLine(spec.FreeUnits, null, billable, spec.Rate / 100, 0, percent),
            new ChargeLine(spec.FreeEvents, null, billableEvents, spec.FixedFeePerEvent, 0, fees),
        ]);
    }

    /// <summary>Reads a model's properties; each problem is reported against its property name.</summary>
    public static PriceSpec? Parse(ChargeModel model, JsonElement properties, IDictionary<string, string> errors)
    {
        if (properties.ValueKind != JsonValueKind.Object)
        {
            errors["properties"] = "'properties' must be an object.";
            return null;
        }

        var reader = new PropertyReader(properties, errors);
        PriceSpec? spec = model switch
        {
            ChargeModel.Flat => new PriceSpec(model, Amount: reader.Required("amount")),
            ChargeModel.PerUnit => new PriceSpec(model, UnitPrice: reader.Required("unit_price")),
            ChargeModel.Graduated or ChargeModel.Volume => new PriceSpec(model, Tiers: reader.Tiers()),
            ChargeModel.Package => new PriceSpec(model, PackageSize: reader.Required("package_size", positive: true), PackagePrice: reader.Required("package_price"),
                FreeUnits: reader.Optional("free_units") ?? 0, OverageUnitPrice: reader.Optional("overage_unit_price")),
            // Free events are a whole count; more than a long holds would overflow and mean every event is free anyway.
            _ => new PriceSpec(model, Rate: reader.Required("rate"), FixedFeePerEvent: reader.Optional("fixed_fee_per_event") ?? 0,
                FreeUnits: reader.Optional("free_units") ?? 0, FreeEvents: (long)Math.Min(Math.Floor(reader.Optional("free_events") ?? 0), long.MaxValue)),
        };
        return errors.Count == 0 ? spec : null;
    }

    private sealed class PropertyReader(JsonElement properties, IDictionary<string, string> errors)
    {
        public decimal Required(string name, bool positive = false) => Optional(name, positive) ?? Missing(name);

        private decimal Missing(string name)
        {
            errors.TryAdd(name, $"'{name}' is required.");
            return 0;
        }

        public decimal? Optional(string name, bool positive = false) => Number(properties, name, name, positive);

        private decimal? Number(JsonElement parent, string name, string path, bool positive)
        {
            if (!parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (!MeterReading.TryNumber(value, out decimal number) || number < 0 || (positive && number == 0))
            {
                errors.TryAdd(path, $"'{path}' must be a {(positive ? "positive" : "non-negative")} decimal number or string.");
                return null;
            }

            return number;
        }

        public IReadOnlyList<PriceTier> Tiers()
        {
            if (!properties.TryGetProperty("tiers", out JsonElement tiers) || tiers.ValueKind != JsonValueKind.Array || tiers.GetArrayLength() == 0)
            {
                errors.TryAdd("tiers", "'tiers' must be a non-empty array of {up_to, unit_price, flat_fee}.");
                return [];
            }

            var result = new List<PriceTier>();
            decimal previous = 0;
            int count = tiers.GetArrayLength();
            int i = 0;
            foreach (JsonElement tier in tiers.EnumerateArray())
            {
                string path = $"tiers[{i}]";
                if (tier.ValueKind != JsonValueKind.Object)
                {
                    errors.TryAdd(path, $"'{path}' must be an object.");
                    return [];
                }

                decimal? upTo = Number(tier, "up_to", path + ".up_to", positive: true);
                bool last = i == count - 1;
                if (last != (upTo is null))
                {
                    errors.TryAdd(path + ".up_to", last ? "The last tier's 'up_to' must be null." : $"'{path}.up_to' is required (only the last tier is unbounded).");
                }
                else if (upTo is not null && upTo <= previous)
                {
                    errors.TryAdd(path + ".up_to", "Tiers' 'up_to' must increase.");
                }

                result.Add(new PriceTier(upTo, Number(tier, "unit_price", path + ".unit_price", false) ?? 0, Number(tier, "flat_fee", path + ".flat_fee", false) ?? 0));
                previous = upTo ?? previous;
                i++;
            }

            return result;
        }
    }
}
