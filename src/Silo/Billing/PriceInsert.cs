using Metering.Runtime;

namespace Metering.Silo.Billing;

public enum PriceInsert
{
    Created,
    Overlap,
}
