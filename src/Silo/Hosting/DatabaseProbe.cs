using Npgsql;

namespace Metering.Silo.Hosting;

/// <summary>Whether PostgreSQL answers a query now, within <see cref="Timeout"/>: the "can accept writes" half of readiness.</summary>
public sealed class DatabaseProbe(NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private const string Ping = "SELECT 1";

    public async Task<bool> ReachableAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(deadline.Token);
            await using var command = new NpgsqlCommand(Ping, connection);
            await command.ExecuteScalarAsync(deadline.Token);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // The idle connections of the pool are most likely dead too: drop them, so that once PostgreSQL is back the
            // first writes do not fail on them one by one.
            dataSource.Clear();
            return false;
        }
    }
}
