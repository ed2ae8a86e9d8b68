namespace Metering.Grains.Pricing;

/// <summary>Money rounding: to the currency's minor unit, half away from zero.</summary>
public static class Money
{
    private static readonly HashSet<string> s_noMinorUnit = ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"];
    private static readonly HashSet<string> s_threeDecimals = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

    public static int MinorUnits(string currency) => s_noMinorUnit.Contains(currency) ? 0 : s_threeDecimals.Contains(currency) ? 3 : 2;

    public static decimal Round(decimal amount, string currency) => Math.Round(amount, MinorUnits(currency), MidpointRounding.AwayFromZero);
}
