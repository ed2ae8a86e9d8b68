namespace Metering.Silo.Catalog;

public enum CreateResult
{
    Created,
    AlreadyExists,
    Conflict,
    NotFound,
}
