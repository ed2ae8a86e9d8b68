namespace Metering.Silo.Billing;

/// <summary>An invoice that cannot be priced: one of its amounts is beyond decimal's range (±79228162514264337593543950335),
/// from a price or fixed fee that is accepted on its own but too large for the usage, the tax or the other lines.</summary>
public sealed class AmountOutOfRangeException(string subscriptionId, DateTimeOffset periodStart, OverflowException inner)
    : Exception($"An amount of the invoice of subscription '{subscriptionId}' for the period starting {periodStart.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} is beyond ±79228162514264337593543950335: the plan's fees or prices are too large for it.", inner);
