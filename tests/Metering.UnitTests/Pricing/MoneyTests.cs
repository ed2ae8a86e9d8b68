using Metering.Grains.Pricing;

namespace Metering.UnitTests.Pricing;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("BIF")]
    [InlineData("CLP")]
    [InlineData("DJF")]
    [InlineData("GNF")]
    [InlineData("ISK")]
    [InlineData("JPY")]
    [InlineData("KMF")]
    [InlineData("KRW")]
    [InlineData("PYG")]
    [InlineData("RWF")]
    [InlineData("UGX")]
    [InlineData("VND")]
    [InlineData("VUV")]
    [InlineData("XAF")]
    [InlineData("XOF")]
    [InlineData("XPF")]
    public void Currencies_without_a_minor_unit_round_to_whole_units(string currency)
    {
        Assert.Equal(0, Money.MinorUnits(currency));
        Assert.Equal(13m, Money.Round(12.5m, currency));
    }

    [Theory]
    [InlineData("BHD")]
    [InlineData("IQD")]
    [InlineData("JOD")]
    [InlineData("KWD")]
    [InlineData("LYD")]
    [InlineData("OMR")]
    [InlineData("TND")]
    public void Currencies_with_three_decimals_round_to_thousandths(string currency)
    {
        Assert.Equal(3, Money.MinorUnits(currency));
        Assert.Equal(1.001m, Money.Round(1.0005m, currency));
    }

    [Theory]
    [InlineData("USD")]
    [InlineData("EUR")]
    [InlineData("GBP")]
    [InlineData("CHF")]
    public void Other_currencies_have_two_decimals(string currency)
    {
        Assert.Equal(2, Money.MinorUnits(currency));
        Assert.Equal(0.13m, Money.Round(0.125m, currency));
    }

    [Theory]
    [InlineData(0.125, "USD", 0.13)]
    [InlineData(-0.125, "USD", -0.13)]
    [InlineData(0.124, "USD", 0.12)]
    [InlineData(12.5, "JPY", 13)]
    [InlineData(-12.5, "JPY", -13)]
    [InlineData(1.0005, "KWD", 1.001)]
    [InlineData(-1.0005, "KWD", -1.001)]
    public void Money_rounds_half_away_from_zero_to_the_minor_unit(decimal amount, string currency, decimal expected)
        => Assert.Equal(expected, Money.Round(amount, currency));
}
