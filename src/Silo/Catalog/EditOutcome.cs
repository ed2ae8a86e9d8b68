namespace Metering.Silo.Catalog;

/// <summary>What became of an edit of the catalog.</summary>
public enum EditOutcome
{
    Done,
    NotFound,

    /// <summary>A customer's currency once something is invoiced to them.</summary>
    CurrencyLocked,

    /// <summary>Deleting a customer who has subscriptions.</summary>
    HasSubscriptions,

    /// <summary>Changing how a meter counts once events of its type exist.</summary>
    HasEvents,
}
