namespace Metering.Silo.ApiKeys;

public enum RevokeOutcome
{
    Revoked,
    AlreadyRevoked,
    NotFound,
}
