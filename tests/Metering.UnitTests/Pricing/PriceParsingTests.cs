using System.Text.Json;
using Metering.Grains;
using Metering.Grains.Pricing;

namespace Metering.UnitTests.Pricing;

public sealed class PriceParsingTests
{
    private static (PriceSpec? Spec, Dictionary<string, string> Errors) Parse(string model, string properties)
    {
        Assert.True(WireName.TryParseWire(model, out ChargeModel parsed));
        var errors = new Dictionary<string, string>();
        using JsonDocument document = JsonDocument.Parse(properties);
        return (ChargeModels.Parse(parsed, document.RootElement, errors), errors);
    }

    private static PriceSpec Valid(string model, string properties)
    {
        (PriceSpec? spec, Dictionary<string, string> errors) = Parse(model, properties);
        Assert.Empty(errors);
        return Assert.IsType<PriceSpec>(spec);
    }

    /// <summary>Asserts the properties are refused with exactly these errors (each "key: message").</summary>
    private static void Refused(string model, string properties, params string[] expected)
    {
        (PriceSpec? spec, Dictionary<string, string> errors) = Parse(model, properties);
        Assert.Null(spec);
        Assert.Equal(expected, errors.Select(e => $"{e.Key}: {e.Value}").Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"amount":"99.00"}""", 99)]
    [InlineData("""{"amount":12.5}""", 12.5)]
    [InlineData("""{"amount":0}""", 0)] // zero is a valid amount: only sizes must be positive
    [InlineData("""{"amount":"1e2","other":true}""", 100)]
    public void Flat_reads_the_amount(string properties, decimal amount)
        => Assert.Equal(new PriceSpec(ChargeModel.Flat, Amount: amount), Valid("flat", properties));

    [Fact]
    public void Per_unit_reads_the_unit_price()
        => Assert.Equal(new PriceSpec(ChargeModel.PerUnit, UnitPrice: 0.002m), Valid("per_unit", """{"unit_price":"0.002"}"""));

    [Fact]
    public void Package_reads_size_price_free_units_and_overage()
        => Assert.Equal(new PriceSpec(ChargeModel.Package, PackageSize: 1000, PackagePrice: 50, FreeUnits: 100, OverageUnitPrice: 0.06m),
            Valid("package", """{"package_size":1000,"package_price":"50","free_units":"100","overage_unit_price":"0.06"}"""));

    [Fact]
    public void Package_without_free_units_or_overage_has_none()
        => Assert.Equal(new PriceSpec(ChargeModel.Package, PackageSize: 1000, PackagePrice: 0),
            Valid("package", """{"package_size":"1000","package_price":0,"free_units":null,"overage_unit_price":null}"""));

    [Fact]
    public void Percentage_reads_rate_fee_free_units_and_whole_free_events()
        => Assert.Equal(new PriceSpec(ChargeModel.Percentage, Rate: 2.5m, FixedFeePerEvent: 0.30m, FreeUnits: 1000, FreeEvents: 4),
            Valid("percentage", """{"rate":"2.5","fixed_fee_per_event":"0.30","free_units":1000,"free_events":"4.9"}"""));

    [Fact]
    public void Percentage_with_the_rate_only_has_no_fee_and_nothing_free()
        => Assert.Equal(new PriceSpec(ChargeModel.Percentage, Rate: 2.5m), Valid("percentage", """{"rate":2.5}"""));

    [Fact]
    public void Percentage_free_events_beyond_any_count_of_events_make_every_event_free()
    {
        PriceSpec spec = Valid("percentage", """{"rate":1,"fixed_fee_per_event":1,"free_events":"1e20"}""");
        Assert.Equal(long.MaxValue, spec.FreeEvents);
        Assert.Equal(0m, ChargeModels.Price(spec, 0, long.MaxValue).Amount);
    }

    [Theory]
    [InlineData("graduated")]
    [InlineData("volume")]
    public void Tiers_are_read_in_order_with_missing_prices_and_fees_as_zero(string model)
    {
        PriceSpec spec = Valid(model, """
            {"tiers":[
              {"up_to":1000,"unit_price":"0.01","flat_fee":"5"},
              {"up_to":"10000","unit_price":0,"flat_fee":0},
              {"up_to":10001},
              {"up_to":null,"unit_price":0.005}
            ]}
            """);
        Assert.True(WireName.TryParseWire(model, out ChargeModel parsed));
        Assert.Equal(new PriceSpec(parsed), spec with { Tiers = null });
        Assert.Equal([new PriceTier(1000, 0.01m, 5), new PriceTier(10000, 0, 0), new PriceTier(10001, 0, 0), new PriceTier(null, 0.005m, 0)], spec.Tiers!);
    }

    [Fact]
    public void A_single_tier_without_up_to_is_unbounded()
        => Assert.Equal([new PriceTier(null, 1, 0)], Valid("volume", """{"tiers":[{"unit_price":"1"}]}""").Tiers!);

    [Theory]
    [InlineData("flat", "[]")]
    [InlineData("per_unit", "\"x\"")]
    [InlineData("graduated", "null")]
    public void Properties_must_be_an_object(string model, string properties)
        => Refused(model, properties, "properties: 'properties' must be an object.");

    [Theory]
    [InlineData("flat", """{}""", "amount")]
    [InlineData("flat", """{"amount":null}""", "amount")]
    [InlineData("flat", """{"Amount":1}""", "amount")]
    [InlineData("per_unit", """{}""", "unit_price")]
    [InlineData("package", """{"package_price":5}""", "package_size")]
    [InlineData("package", """{"package_size":10}""", "package_price")]
    [InlineData("percentage", """{"fixed_fee_per_event":1}""", "rate")]
    public void A_missing_required_number_is_reported(string model, string properties, string field)
        => Refused(model, properties, $"{field}: '{field}' is required.");

    [Theory]
    [InlineData("flat", """{"amount":"-0.01"}""", "amount")]
    [InlineData("flat", """{"amount":"abc"}""", "amount")]
    [InlineData("flat", """{"amount":true}""", "amount")]
    [InlineData("flat", """{"amount":{}}""", "amount")]
    [InlineData("per_unit", """{"unit_price":-1}""", "unit_price")]
    [InlineData("package", """{"package_size":10,"package_price":"-5"}""", "package_price")]
    [InlineData("package", """{"package_size":10,"package_price":5,"free_units":-1}""", "free_units")]
    [InlineData("package", """{"package_size":10,"package_price":5,"overage_unit_price":"x"}""", "overage_unit_price")]
    [InlineData("percentage", """{"rate":"abc"}""", "rate")]
    [InlineData("percentage", """{"rate":1,"fixed_fee_per_event":-1}""", "fixed_fee_per_event")]
    [InlineData("percentage", """{"rate":1,"free_units":"-1"}""", "free_units")]
    [InlineData("percentage", """{"rate":1,"free_events":-1}""", "free_events")]
    public void A_negative_or_non_numeric_number_is_reported(string model, string properties, string field)
        => Refused(model, properties, $"{field}: '{field}' must be a non-negative decimal number or string.");

    [Theory]
    [InlineData("""{"package_size":0,"package_price":5}""")]
    [InlineData("""{"package_size":"0.0","package_price":5}""")]
    [InlineData("""{"package_size":"-1","package_price":5}""")]
    [InlineData("""{"package_size":"ten","package_price":5}""")]
    public void Package_size_must_be_positive(string properties)
        => Refused("package", properties, "package_size: 'package_size' must be a positive decimal number or string.");

    [Fact]
    public void Every_problem_is_reported()
        => Refused("package", """{"package_size":0,"free_units":"many"}""",
            "free_units: 'free_units' must be a non-negative decimal number or string.",
            "package_price: 'package_price' is required.",
            "package_size: 'package_size' must be a positive decimal number or string.");

    [Theory]
    [InlineData("graduated", """{}""")]
    [InlineData("graduated", """{"tiers":null}""")]
    [InlineData("graduated", """{"tiers":{}}""")]
    [InlineData("volume", """{"tiers":"x"}""")]
    [InlineData("volume", """{"tiers":[]}""")]
    public void Tiers_must_be_a_non_empty_array(string model, string properties)
        => Refused(model, properties, "tiers: 'tiers' must be a non-empty array of {up_to, unit_price, flat_fee}.");

    [Fact]
    public void A_tier_must_be_an_object()
        => Refused("graduated", """{"tiers":[1,{"up_to":null}]}""", "tiers[0]: 'tiers[0]' must be an object.");

    [Fact]
    public void Reading_stops_at_the_first_tier_that_is_not_an_object()
        => Refused("volume", """{"tiers":[{"up_to":10},null,{"up_to":5,"unit_price":-1}]}""", "tiers[1]: 'tiers[1]' must be an object.");

    [Theory]
    [InlineData("""{"tiers":[{"up_to":1000,"unit_price":"0.01"}]}""", "tiers[0].up_to: The last tier's 'up_to' must be null.")]
    [InlineData("""{"tiers":[{"up_to":1000},{"up_to":"2000"}]}""", "tiers[1].up_to: The last tier's 'up_to' must be null.")]
    [InlineData("""{"tiers":[{"unit_price":1},{"up_to":null}]}""", "tiers[0].up_to: 'tiers[0].up_to' is required (only the last tier is unbounded).")]
    [InlineData("""{"tiers":[{"up_to":10},{"up_to":null},{}]}""", "tiers[1].up_to: 'tiers[1].up_to' is required (only the last tier is unbounded).")]
    [InlineData("""{"tiers":[{"up_to":1000},{"up_to":500},{"up_to":null}]}""", "tiers[1].up_to: Tiers' 'up_to' must increase.")]
    [InlineData("""{"tiers":[{"up_to":1000},{"up_to":"1000.0"},{}]}""", "tiers[1].up_to: Tiers' 'up_to' must increase.")]
    [InlineData("""{"tiers":[{"up_to":0},{}]}""", "tiers[0].up_to: 'tiers[0].up_to' must be a positive decimal number or string.")]
    [InlineData("""{"tiers":[{"up_to":"-5"},{}]}""", "tiers[0].up_to: 'tiers[0].up_to' must be a positive decimal number or string.")]
    [InlineData("""{"tiers":[{"up_to":10},{"up_to":-1}]}""", "tiers[1].up_to: 'tiers[1].up_to' must be a positive decimal number or string.")]
    [InlineData("""{"tiers":[{"unit_price":"-0.01"}]}""", "tiers[0].unit_price: 'tiers[0].unit_price' must be a non-negative decimal number or string.")]
    [InlineData("""{"tiers":[{"up_to":10},{"flat_fee":"abc"}]}""", "tiers[1].flat_fee: 'tiers[1].flat_fee' must be a non-negative decimal number or string.")]
    public void Tier_problems_are_reported_against_the_tier(string properties, string expected)
    {
        Refused("graduated", properties, expected);
        Refused("volume", properties, expected);
    }

    [Fact]
    public void An_invalid_up_to_does_not_lower_the_bound_the_next_tiers_must_exceed()
        => Refused("graduated", """{"tiers":[{"up_to":100},{"up_to":-5},{"up_to":50},{}]}""",
            "tiers[1].up_to: 'tiers[1].up_to' must be a positive decimal number or string.",
            "tiers[2].up_to: Tiers' 'up_to' must increase.");

    [Fact]
    public void Problems_in_several_tiers_are_all_reported()
        => Refused("volume", """{"tiers":[{"up_to":10,"unit_price":-1},{"up_to":5,"flat_fee":-2},{"up_to":20}]}""",
            "tiers[0].unit_price: 'tiers[0].unit_price' must be a non-negative decimal number or string.",
            "tiers[1].flat_fee: 'tiers[1].flat_fee' must be a non-negative decimal number or string.",
            "tiers[1].up_to: Tiers' 'up_to' must increase.",
            "tiers[2].up_to: The last tier's 'up_to' must be null.");
}
