using System.Diagnostics;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>A PostgreSQL cluster of the test's own, started and stopped through scripts/lib/pg.sh, for tests that take the
/// database away (the shared test server must stay up for the other tests). Disposing it deletes its data.</summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _name;

    private PrivatePostgres(string name, int port)
    {
        _name = name;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=metering";

    public static async Task<PrivatePostgres> StartAsync(string prefix)
    {
        var postgres = new PrivatePostgres($"{prefix}-{Guid.NewGuid():N}", GatewayProcess.FreePort());
        await postgres.StartAsync();
        return postgres;
    }

    /// <summary>Starts it (again), on the same port.</summary>
    public Task StartAsync() => PgAsync($"pg_start {_name} {Port}");

    /// <summary>A fast shutdown: the server disconnects every client and stops accepting connections.</summary>
    public Task StopAsync() => PgAsync($"pg_stop {_name}");

    public async ValueTask DisposeAsync() => await PgAsync($"pg_destroy {_name}");

    private static async Task PgAsync(string command)
    {
        string script = Path.Combine(GatewayProcess.RepositoryRoot(), "scripts", "lib", "pg.sh");
        var start = new ProcessStartInfo("bash", ["-c", $"source '{script}' && {command}"]) { RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        string errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{command}` failed ({process.ExitCode}): {errors}");
        }
    }
}
