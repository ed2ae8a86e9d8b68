namespace Metering.Silo.ApiKeys;

/// <summary>The names of <see cref="ApiScopes"/> on the wire and in <c>api_keys.scopes</c>.</summary>
public static class ApiScopeNames
{
    private static readonly (ApiScopes Scope, string Name)[] s_names = [(ApiScopes.Ingest, "ingest"), (ApiScopes.Read, "read"), (ApiScopes.Manage, "manage")];

    /// <summary>The names of the scopes in <paramref name="scopes"/>, always in the order ingest, read, manage.</summary>
    public static string[] ToNames(this ApiScopes scopes)
        => s_names.Where(n => (scopes & n.Scope) != 0).Select(n => n.Name).ToArray();

    /// <summary>One scope by its exact name; false for anything else, <c>admin</c> included.</summary>
    public static bool TryParse(string? name, out ApiScopes scope)
    {
        foreach ((ApiScopes s, string n) in s_names)
        {
            if (string.Equals(name, n, StringComparison.Ordinal))
            {
                scope = s;
                return true;
            }
        }

        scope = ApiScopes.None;
        return false;
    }

    /// <summary>The scopes stored for a key; names this version does not know grant nothing.</summary>
    public static ApiScopes FromNames(IEnumerable<string> names)
        => names.Aggregate(ApiScopes.None, (all, name) => TryParse(name, out ApiScopes scope) ? all | scope : all);
}
