namespace Metering.Grains.Pricing;

public enum InvoiceStatus
{
    Draft,
    Finalizing,
    Finalized,
    Voided,
}
