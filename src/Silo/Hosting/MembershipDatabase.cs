using Npgsql;

namespace Metering.Silo.Hosting;

/// <summary>The connections of cluster membership (heartbeats, lease renewal, claims), a small pool of their own. A silo under
/// load can have every connection of the application's pool busy or queued for; a heartbeat that queued behind them would let
/// the silo's leases lapse, and the silo would stop serving exactly when it is busiest.</summary>
public sealed class MembershipDatabase : IAsyncDisposable
{
    /// <summary>Connections kept for membership: a heartbeat, a claim or release, and a status change may overlap.</summary>
    public const int PoolSize = 4;

    public MembershipDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            MaxPoolSize = PoolSize,
            MinPoolSize = 0,
            ApplicationName = "metering-membership",
        };
        DataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public NpgsqlDataSource DataSource { get; }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
