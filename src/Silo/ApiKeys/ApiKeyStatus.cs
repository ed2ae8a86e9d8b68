namespace Metering.Silo.ApiKeys;

public enum ApiKeyStatus
{
    Unknown,
    Active,
    Revoked,
    Expired,
}
