using Metering.Grains.Pricing;

namespace Metering.UnitTests.Properties;

/// <summary>Properties of the charge models and of rounding over seeded random inputs (each seed is a case; a failure names
/// it, so it can be replayed). The oracles are computed another way than the code under test.</summary>
public sealed class PricingProperties
{
    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (int seed = 1; seed <= 25; seed++)
        {
            seeds.Add(seed);
        }

        return seeds;
    }

    /// <summary>1 to 4 tiers with increasing integer bounds (the last unbounded), prices of up to 4 decimals, some flat fees.</summary>
    private static PriceTier[] RandomTiers(Random random)
    {
        int count = random.Next(1, 5);
        var tiers = new PriceTier[count];
        decimal bound = 0;
        for (int i = 0; i < count; i++)
        {
            bound += random.Next(1, 400);
            decimal? upTo = i == count - 1 ? null : bound;
            tiers[i] = new PriceTier(upTo, random.Next(0, 50_000) / 10_000m, random.Next(3) == 0 ? random.Next(0, 2000) / 100m : 0);
        }

        return tiers;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Graduated_pricing_is_the_sum_of_each_units_tier_price_plus_the_fees_of_the_tiers_reached(int seed)
    {
        var random = new Random(seed);
        PriceTier[] tiers = RandomTiers(random);
        var spec = new PriceSpec(ChargeModel.Graduated, Tiers: tiers);
        for (int trial = 0; trial < 40; trial++)
        {
            int quantity = random.Next(0, 1500);
            // Unit by unit: unit n (1-based) is priced by the first tier whose bound is at least n.
            decimal expected = tiers[0].FlatFee;
            int reached = 0;
            for (int unit = 1; unit <= quantity; unit++)
            {
                int tier = Array.FindIndex(tiers, t => t.UpTo is null || unit <= t.UpTo);
                expected += tiers[tier].UnitPrice;
                for (; reached < tier; reached++)
                {
                    expected += tiers[reached + 1].FlatFee;
                }
            }

            Charge charge = ChargeModels.Price(spec, quantity);
            Assert.True(expected == charge.Amount, $"seed {seed}, quantity {quantity}: expected {expected}, got {charge.Amount}");
            Assert.Equal(charge.Amount, charge.Breakdown.Sum(line => line.Amount));
            Assert.Equal(quantity, charge.Breakdown.Sum(line => line.Quantity));
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Volume_pricing_prices_every_unit_at_the_tier_of_the_total_and_is_monotone_within_a_tier(int seed)
    {
        var random = new Random(seed);
        PriceTier[] tiers = RandomTiers(random);
        var spec = new PriceSpec(ChargeModel.Volume, Tiers: tiers);
        decimal lower = 0;
        foreach (PriceTier tier in tiers)
        {
            decimal upper = tier.UpTo ?? lower + 1000;
            decimal previous = -1;
            for (decimal q = lower + 1; q <= upper; q += random.Next(1, 40))
            {
                decimal amount = ChargeModels.Price(spec, q).Amount;
                Assert.Equal((q * tier.UnitPrice) + tier.FlatFee, amount);
                Assert.True(amount >= previous, $"seed {seed}: volume price fell from {previous} to {amount} at {q} within a tier");
                previous = amount;
            }

            lower = upper;
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Package_pricing_is_the_number_of_packages_started_times_the_package_price(int seed)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < 50; trial++)
        {
            decimal size = random.Next(1, 5000) / (random.Next(2) == 0 ? 1m : 10m);
            decimal price = random.Next(0, 100_000) / 100m;
            decimal quantity = random.Next(0, 100_000) / (random.Next(2) == 0 ? 1m : 1000m);
            // Packages started: the smallest whole n with n × size ≥ quantity.
            decimal packages = 0;
            while (packages * size < quantity)
            {
                packages++;
            }

            decimal amount = ChargeModels.Price(new PriceSpec(ChargeModel.Package, PackageSize: size, PackagePrice: price), quantity).Amount;
            Assert.True(packages * price == amount, $"seed {seed}: {quantity} in packages of {size} at {price}: expected {packages * price}, got {amount}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Rounding_to_the_minor_unit_is_half_away_from_zero(int seed)
    {
        var random = new Random(seed);
        foreach ((string currency, int digits) in new[] { ("USD", 2), ("JPY", 0), ("KWD", 3), ("EUR", 2) })
        {
            for (int trial = 0; trial < 200; trial++)
            {
                decimal whole = random.Next(-1_000_000, 1_000_000);
                decimal amount = trial % 4 == 0
                    ? whole + (Sign(whole, random) * (random.Next(0, 1000) + 0.5m) / Scale(digits + 1) * 10) // exactly on a midpoint
                    : whole + (random.Next(-999_999_999, 999_999_999) / 1_000_000_000m);
                decimal rounded = Money.Round(amount, currency);
                Assert.Equal(decimal.Round(amount, digits, MidpointRounding.AwayFromZero), rounded);
                // Independently: round the magnitude half up, then put the sign back.
                decimal scale = Scale(digits);
                decimal magnitude = Math.Abs(amount) * scale;
                decimal floor = decimal.Truncate(magnitude);
                decimal expected = (magnitude - floor >= 0.5m ? floor + 1 : floor) / scale * Math.Sign(amount);
                Assert.True(expected == rounded, $"seed {seed}: {amount} {currency} rounded to {rounded}, expected {expected}");
            }
        }
    }

    private static decimal Scale(int digits)
    {
        decimal scale = 1;
        for (int i = 0; i < digits; i++)
        {
            scale *= 10;
        }

        return scale;
    }

    private static decimal Sign(decimal whole, Random random) => whole != 0 ? Math.Sign(whole) : random.Next(2) == 0 ? -1 : 1;
}
