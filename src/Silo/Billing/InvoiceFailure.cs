namespace Metering.Silo.Billing;

/// <summary>Why an invoice command made or changed no invoice.</summary>
public enum InvoiceFailure
{
    /// <summary>The subscription or invoice does not exist.</summary>
    NotFound,

    /// <summary>The period asked for is not one of the subscription's (or none has ended yet).</summary>
    InvalidPeriod,

    /// <summary>The period has an invoice already (its id is the outcome's <c>ExistingId</c>).</summary>
    AlreadyExists,

    /// <summary>The subscription ended before the period.</summary>
    SubscriptionEnded,

    /// <summary>Only a standard draft is priced again, and the invoice is not one (or changed state meanwhile).</summary>
    NotDraft,

    Voided,
}
