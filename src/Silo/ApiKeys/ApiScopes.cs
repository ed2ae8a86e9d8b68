namespace Metering.Silo.ApiKeys;

/// <summary>What a tenant API key may do. <c>admin</c> is not one of them: the admin API has its own key
/// (METERING_ADMIN_KEY) and no tenant key ever reaches it.</summary>
[Flags]
public enum ApiScopes
{
    None = 0,

    /// <summary>Sending usage: events, single and batch, and the inline quota consume.</summary>
    Ingest = 1,

    /// <summary>Reading: usage, quota checks, invoices and every other GET.</summary>
    Read = 2,

    /// <summary>Changing the tenant's setup: catalog, prices, quotas, invoices, billing runs, re-rating, API keys, settings.</summary>
    Manage = 4,

    /// <summary>Every tenant scope: keys made before scopes existed, the key of a new tenant, the bootstrap key.</summary>
    All = Ingest | Read | Manage,
}
