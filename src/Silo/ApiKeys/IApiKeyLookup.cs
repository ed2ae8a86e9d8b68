namespace Metering.Silo.ApiKeys;

/// <summary>Where authentication reads a key's grant from (PostgreSQL; a stand-in in the cache's tests).</summary>
public interface IApiKeyLookup
{
    /// <summary>The grant of the key with this hash (<see cref="ApiKeySecrets.Hash"/>), or null when no key has it.</summary>
    Task<ApiKeyGrant?> FindAsync(string keyHash, CancellationToken cancellationToken);
}
