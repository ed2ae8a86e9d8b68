using System.Text.Json;
using Metering.Client;

/// <summary>Each scenario works in a tenant of its own.</summary>
internal static class LoadTenants
{
    /// <summary>Creates a tenant named <paramref name="prefix"/> plus a random suffix; its API key, or null (said on stderr).</summary>
    public static async Task<string?> CreateAsync(Uri target, string adminKey, string prefix)
    {
        using var admin = new MeteringClient(target, adminKey);
        (int status, JsonElement created) = await admin.PostAsync("/admin/v1/tenants", new { id = prefix + Guid.NewGuid().ToString("N")[..8] });
        if (status != 201)
        {
            Console.Error.WriteLine($"Could not create a tenant: {status} {created}");
            return null;
        }

        return created.GetProperty("api_key").GetString()!;
    }
}
