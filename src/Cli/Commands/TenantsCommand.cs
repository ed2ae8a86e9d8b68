using System.CommandLine;
using System.Text.Json;
using Metering.Cli.Api;

namespace Metering.Cli.Commands;

/// <summary><c>metering tenants create ID</c>: a tenant through the admin API (admin key from --key or METERING_ADMIN_KEY).</summary>
public static class TenantsCommand
{
    public static Command Create(CommandContext c)
    {
        var id = new Argument<string>("id") { Description = "The tenant's id" };
        var create = new Command("create", "Create a tenant and print its API key") { id };
        create.SetAction(async (parse, ct) =>
        {
            using ApiClient api = c.AdminClient(parse);
            JsonElement body = (await api.PostAsync("/admin/v1/tenants", new { id = parse.GetValue(id) }, ct)).Expect();
            if (c.Json(parse))
            {
                await c.Cli.Out.WriteLineAsync(body.ToString());
            }
            else
            {
                await c.Cli.Out.WriteLineAsync($"tenant {body.GetProperty("id").GetString()} created; API key: {body.GetProperty("api_key").GetString()}");
            }

            return ExitCodes.Ok;
        });
        return new Command("tenants", "Manage tenants (admin key)") { create };
    }
}
